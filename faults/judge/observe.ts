// Reading a recovered engine the way the oracle wants it: a full scan, a get per key, scans
// at snapshots (and a get per key at each), the recovery report; and rule 8 over the files
// before and after a recovery (disk/db-files.ts takes them).

import { bytesEqual, showBytes } from '../../model/bytes.ts';
import {
  checkQuarantine,
  decodeLog,
  type Entry,
  type Observed,
  type RecoveryContext,
  type SnapshotRead,
  type Verdict,
} from '../../model/oracle.ts';
import { describeOpenFailure, type OpenFailure } from '../../model/open-failure.ts';
import { PASS, violation } from '../../model/verdict.ts';
import type { BlackBoxObserved } from '../../model/check-black-box.ts';
import type { RecoverySeen } from '../../model/judge.ts';
import type { CrashTestDatabase, CrashTestFeatures } from '../engine/engine-interface.ts';
import { KEY_SPACE, keyOf } from './key-space.ts';
import type { FilesNow } from '../disk/db-files.ts';

/** Snapshot reads per recovery at most (all of them when lastSeq is small). */
const SNAPSHOTS_MAX = 24;

/** What the oracle reads of a recovered engine: white box when it reports lastSeq. */
export type RecoveryRead =
  | {
      readonly box: 'white';
      readonly observed: Extract<Observed, { opened: true }>;
      readonly snapshots: readonly SnapshotRead[];
    }
  | { readonly box: 'black'; readonly observed: Extract<BlackBoxObserved, { opened: true }> };

/** Everything a recovered engine shows: full scan, a get per key, snapshot reads, report. */
export function observe(db: CrashTestDatabase, features: CrashTestFeatures): RecoveryRead {
  const lastSeq = db.lastSeq;
  const entries = scanAll(db, undefined);
  if (lastSeq === undefined) return { box: 'black', observed: { opened: true, entries } };
  const gets: [Uint8Array, Uint8Array | undefined][] = [];
  for (const key of KEYS) gets.push([key, db.get(key)]);
  const snapshots =
    features.snapshots === true
      ? snapshotSeqs(lastSeq).map((seq): SnapshotRead => ({ seq, entries: scanAll(db, seq) }))
      : [];
  const report = db.recovery;
  const observed: Extract<Observed, { opened: true }> =
    report === undefined
      ? { opened: true, lastSeq, entries, gets, snapshots }
      : {
          opened: true,
          lastSeq,
          entries,
          gets,
          snapshots,
          report: {
            status: report.status,
            quarantinedBytes: reportedBytes(db),
            firstInvalid: report.firstInvalid ?? null,
          },
        };
  return { box: 'white', observed, snapshots };
}

/** The read as the judge takes it, with the context of the recovery. */
export function seenOf(read: RecoveryRead, context: RecoveryContext): RecoverySeen {
  return read.box === 'white'
    ? { box: 'white', observed: read.observed, context }
    : { box: 'black', observed: read.observed };
}

/**
 * Rule 4 (white box, at the snapshots observe() scanned) or rule 2 (black box, at the
 * latest state): get of every key of the key space agrees with the scan the oracle judged.
 */
export function checkReadsAgree(db: CrashTestDatabase, read: RecoveryRead): Verdict {
  if (read.box === 'white') return checkSnapshotGets(db, read.snapshots);
  return checkGetsAgree(db, read.observed.entries, undefined);
}

/**
 * Rule 4 through get: at every snapshot observe() scanned, get(key, {at}) of every key of the
 * key space agrees with that scan (which the oracle held to the model).
 */
export function checkSnapshotGets(
  db: CrashTestDatabase,
  snapshots: readonly SnapshotRead[],
): Verdict {
  for (const { seq, entries } of snapshots) {
    const verdict = checkGetsAgree(db, entries, seq);
    if (!verdict.ok) return verdict;
  }
  return PASS;
}

/** Every key of the key space, made once (the engine copies what it keeps). */
const KEYS: readonly Uint8Array[] = Array.from({ length: KEY_SPACE }, (_, k) => keyOf(k));

/** The value a scan shows for `key` (the last entry with that key, as a Map of them would). */
function scannedValue(entries: readonly Entry[], key: Uint8Array): Uint8Array | undefined {
  for (let i = entries.length - 1; i >= 0; i--)
    if (bytesEqual(entries[i]![0], key)) return entries[i]![1];
  return undefined;
}

function checkGetsAgree(
  db: CrashTestDatabase,
  entries: readonly Entry[],
  seq: number | undefined,
): Verdict {
  const at = seq === undefined ? undefined : { at: seq }; // one options object per snapshot
  for (const key of KEYS) {
    const got = at === undefined ? db.get(key) : db.get(key, at);
    const want = scannedValue(entries, key);
    if (got === undefined ? want === undefined : want !== undefined && bytesEqual(got, want))
      continue;
    if (seq === undefined)
      return violation(2, `get(${showBytes(key)}) disagrees with the full scan`, {
        found: `get returned ${showBytes(got)}, the scan shows ${showBytes(want)}`,
      });
    return violation(
      4,
      `get(${showBytes(key)}, { at: ${seq} }) disagrees with the scan at snapshot ${seq}`,
      { found: `get returned ${showBytes(got)}, the scan at ${seq} shows ${showBytes(want)}` },
    );
  }
  return PASS;
}

export function scanAll(db: CrashTestDatabase, at: number | undefined): Entry[] {
  const entries: Entry[] = [];
  for (const entry of db.scan(at === undefined ? {} : { at }))
    entries.push([entry.key, entry.value]);
  return entries;
}

/** Every seq when there are few, else an even spread that includes 0 and lastSeq. */
function snapshotSeqs(lastSeq: number): number[] {
  const seqs: number[] = [];
  if (lastSeq < SNAPSHOTS_MAX) for (let i = 0; i < lastSeq; i++) seqs.push(i);
  else
    for (let i = 0; i < SNAPSHOTS_MAX; i++)
      seqs.push(Math.round((i * lastSeq) / (SNAPSHOTS_MAX - 1)));
  return seqs;
}

/** Rule 8 over one recovery: nothing left quarantine/, and what left the segments is now in it. */
export function checkSetAside(before: FilesNow, after: FilesNow, db: CrashTestDatabase): Verdict {
  return checkSetAsideSince(before, after, reportedBytes(db));
}

/**
 * Rule 8 since `before`: nothing in quarantine/ went away or changed, and what left the
 * segments is now in quarantine/, byte for byte. `reported` (the bytes the recovery report
 * says it set aside) is checked when `before` is what that very recovery started from.
 */
export function checkSetAsideSince(before: FilesNow, after: FilesNow, reported?: number): Verdict {
  const kept = checkQuarantineKept(before.quarantined, after.quarantined);
  if (!kept.ok) return kept;
  const added = new Map<string, Uint8Array>();
  for (const [name, bytes] of after.quarantined)
    if (!before.quarantined.has(name)) added.set(name, bytes);
  return checkQuarantine(before.segments, after.segments, added, reported);
}

/** Rule 8: every quarantined file of `before` is still in quarantine/, byte for byte. */
export function checkQuarantineKept(
  before: ReadonlyMap<string, Uint8Array>,
  now: ReadonlyMap<string, Uint8Array>,
): Verdict {
  for (const [name, bytes] of before) {
    const still = now.get(name);
    if (still !== undefined && bytesEqual(still, bytes)) continue;
    return violation(
      8,
      `quarantine/${name} was ${still === undefined ? 'deleted' : 'changed'}: nothing may leave quarantine/`,
      {
        found:
          still === undefined
            ? `${bytes.byteLength} bytes before, the file is gone`
            : `${bytes.byteLength} bytes before, ${still.byteLength} now, not the same bytes`,
      },
    );
  }
  return PASS;
}

/**
 * An open refused without bit rot (strict mode) must name the log's first invalid record, as
 * the independent decoder finds it in the files the open read: a refusal of a valid log, or
 * one naming another place, is a default-mode-like failure (rule 2).
 */
export function checkRefusalNamesInvalid(
  error: OpenFailure,
  segments: ReadonlyMap<string, Uint8Array>,
): Verdict {
  const invalid = decodeLog(segments).firstInvalid;
  const found = describeOpenFailure(error);
  if (invalid === null)
    return violation(2, 'the open refused a log in which every record is valid', { found });
  if (
    invalid.segment === error.segment &&
    invalid.offset === error.offset &&
    invalid.reason === error.reason
  )
    return PASS;
  return violation(
    2,
    `the open refused the log naming the wrong place: its first invalid record is ${invalid.segment} offset ${invalid.offset} (${invalid.reason})`,
    { found },
  );
}

export function reportedBytes(db: CrashTestDatabase): number {
  return db.recovery?.actions?.reduce((sum, a) => sum + a.bytes, 0) ?? 0;
}
