// Rule 8 across a scenario, and the refusals' naming of the damage, for an engine that writes
// walcheck's WAL (the oracle can then read its segments and quarantine/). One per scenario:
// it remembers the quarantined files seen durable, and the log as the first open attempt
// since the last successful open found it.
//
// Rule 8 is judged over each recovery that succeeds, against the log as it stood at that
// open and, when earlier attempts died (a crash or an injected failure part-way through a
// recovery), against the log as the first of those attempts found it: bytes a dying recovery
// dropped are missing from later "befores". When that first state was wholly durable, the
// durable view after the open is judged too (what a crash right then would leave), like rule
// 1 judges each ack. Quarantined files once durable must stay, byte for byte, to the end.
// This class only chooses which files to compare; the verdicts are model/'s
// (check-quarantine.ts, check-refusal.ts).

import { bytesEqual } from '../../model/bytes.ts';
import {
  checkQuarantineKept,
  checkSetAsideSince,
  checkUnchanged,
} from '../../model/check-quarantine.ts';
import { checkRefusalNamesInvalid } from '../../model/check-refusal.ts';
import type { OpenFailure } from '../../model/open-failure.ts';
import type { CrashOutcome } from '../disk/crash-outcome.ts';
import type { CrashTestDatabase } from '../engine/engine-interface.ts';
import type { SimFs } from '../disk/sim-fs.ts';
import { finding, type Finding } from './finding.ts';
import { checkSetAside } from './observe.ts';
import {
  DB_DIR,
  durableFiles,
  type FilesNow,
  filesNow,
  filesViewNow,
  sameFiles,
} from '../disk/db-files.ts';

/** The log as the first open attempt since the last successful open found it. */
interface SetAsideBase {
  readonly files: FilesNow;
  /** Every byte of it was durable: a crash cannot undo it, so it outlives a recovery that dies. */
  readonly durable: boolean;
  attempts: number;
}

const QUARANTINE_PREFIX = `${DB_DIR}/quarantine/`;

export class QuarantineJudge {
  /** Quarantined files seen durable (name -> bytes): nothing may delete or change them. */
  private readonly ledger = new Map<string, Uint8Array>();
  private base: SetAsideBase | null = null;
  /** The files the current open attempt started from. */
  private before: FilesNow = { segments: new Map(), quarantined: new Map() };

  /** The segments the current open attempt started from (bit rot is traced in them). */
  get segmentsBefore(): ReadonlyMap<string, Uint8Array> {
    return this.before.segments;
  }

  /** Before an open attempt: remembers the files, and nothing quarantined went away. */
  startAttempt(fs: SimFs, label: string): Finding | null {
    const before = filesNow(fs);
    this.before = before;
    const kept = checkQuarantineKept(this.ledger, before.quarantined);
    if (!kept.ok) return { verdict: kept, phase: `${label}: quarantine kept` };
    this.base ??= { files: before, durable: sameFiles(before, durableFiles(fs)), attempts: 0 };
    this.base.attempts++;
    return null;
  }

  /** Before a read-only open of these files (path -> bytes): nothing quarantined went away. */
  startReadOnly(quarantined: ReadonlyMap<string, Uint8Array>, label: string): Finding | null {
    return finding(checkQuarantineKept(this.ledger, quarantined), `${label}: quarantine kept`);
  }

  /**
   * After a successful open: rule 8 against this attempt's start, and the first's if earlier
   * ones died. `after` is the files now (filesViewNow), when the caller has them already.
   */
  opened(
    fs: SimFs,
    db: CrashTestDatabase,
    label: string,
    after: FilesNow = filesViewNow(fs),
  ): Finding | null {
    const { before } = this;
    const base = this.base!;
    this.base = null;
    const durable = durableFiles(fs);
    const found =
      finding(checkSetAside(before, after, db), `${label}: quarantine`) ??
      (base.files === before
        ? null
        : finding(
            checkSetAsideSince(base.files, after),
            `${label}: quarantine, over ${base.attempts} open attempts since the log was as the first found it`,
          )) ??
      // As a crash right now would leave it: what was cut from a segment durably is durable in quarantine/.
      (base.durable
        ? finding(
            checkSetAsideSince(base.files, durable),
            `${label}: quarantine, as a crash right after this open would leave it`,
          )
        : null);
    // Files wholly durable now (a failed fsync can leave reads showing bytes a crash would lose).
    for (const [name, bytes] of durable.quarantined) {
      const now = after.quarantined.get(name);
      if (now !== undefined && bytesEqual(now, bytes)) this.ledger.set(name, bytes);
    }
    return found;
  }

  /**
   * After a refused open (the oracle allowed it): without bit rot it names the log's first
   * invalid record, and it changes nothing.
   */
  refused(fs: SimFs, failure: OpenFailure, label: string, bitRot: boolean): Finding | null {
    return (
      (bitRot ? null : this.namesInvalid(failure, this.before.segments, label)) ??
      finding(
        checkUnchanged(logFiles(this.before), logFiles(filesViewNow(fs))),
        `${label}: a refused open changes nothing`,
      )
    );
  }

  /** A refusal without bit rot names the first invalid record the oracle's decoder finds. */
  namesInvalid(
    failure: OpenFailure,
    segments: ReadonlyMap<string, Uint8Array>,
    label: string,
  ): Finding | null {
    return finding(checkRefusalNamesInvalid(failure, segments), label);
  }

  /** The harness changed the log itself (damage-steps.ts): rule 8 starts from the changed log. */
  changedByHarness(): void {
    this.base = null;
  }

  /** After a crash: a base survives only when the crash cannot have changed it; flipped quarantined files leave the ledger. */
  crashed(outcome: CrashOutcome): void {
    if (this.base !== null && (!this.base.durable || outcome.kind === 'bit-rot')) this.base = null;
    if (outcome.kind !== 'bit-rot') return;
    for (const flip of outcome.flips)
      if (flip.path.startsWith(QUARANTINE_PREFIX))
        this.ledger.delete(flip.path.slice(QUARANTINE_PREFIX.length));
  }
}

/** Segments and quarantined files as one map (path relative to the database directory -> bytes). */
function logFiles(files: FilesNow): Map<string, Uint8Array> {
  const out = new Map(files.segments);
  for (const [name, bytes] of files.quarantined) out.set(`quarantine/${name}`, bytes);
  return out;
}
