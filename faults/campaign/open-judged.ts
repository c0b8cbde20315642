// Opening the engine in a campaign cycle, every attempt judged:
//
//   open           a writable open (recovery): judged like a recovery (rules 2, 3, 4, 6, 8),
//                  and when it passes the history moves on to the prefix it kept; an open an
//                  injected failure ended is retried once, as a real caller would, over
//                  whatever it left; a refusal is allowed only as the oracle says, naming the
//                  damage, changing nothing
//   readOnlyOpen   a read-only open of the state the writable open will find: judged like a
//                  recovery, and nothing on disk may change, even when a crash cut it short

import { checkNotCreated, checkUnchanged } from '../../model/check-quarantine.ts';
import { judgeRecovery } from '../../model/judge.ts';
import { errorCode, openFailureOf } from '../../model/open-failure.ts';
import { logDecoderFor } from '../../model/check-ack.ts';
import { type LogDecoder, quarantineFiles, segmentFiles } from '../../model/wal-decode.ts';
import type { CrashTestDatabase, CrashTestOpenOptions } from '../engine/engine-interface.ts';
import type { SimFs } from '../disk/sim-fs.ts';
import { damageNow } from '../disk/bit-rot-damage.ts';
import type { BoundedFs } from '../disk/bounded-fs.ts';
import { damageStill } from '../disk/damage-steps.ts';
import { judgeScans } from '../judge/scan-steps.ts';
import { settleJudged } from '../judge/liveness.ts';
import { checkRecoveryMode } from '../../model/check-recovery-mode.ts';
import { finding, type Finding } from '../judge/finding.ts';
import { checkReadsAgree, observe, seenOf } from '../judge/observe.ts';
import { DB_DIR, dirFiles, dirFilesNow, filesViewNow } from '../disk/db-files.ts';
import type { RecoveryMode } from './scenario.ts';
import { recoveryContext, type ScenarioState, sizeHints } from './scenario-state.ts';

/** Where an open happens: the scenario, the cycle's filesystem and its recovery mode. */
export interface OpenTarget {
  readonly state: ScenarioState;
  readonly fs: SimFs;
  readonly mode: RecoveryMode;
  /** What the engine is given: `fs` behind the liveness budget (bounded-fs.ts). */
  readonly engineFs: BoundedFs;
}

/** Database.open within the liveness bound (judge/liveness.ts): a finding when it never completes. */
async function openWithin(
  target: OpenTarget,
  readOnly: boolean,
  what: string,
): Promise<CrashTestDatabase | { stalled: Finding | null }> {
  const { state, fs } = target;
  const opening = state.engine.open(DB_DIR, openOptions(target, readOnly));
  const judged = await settleJudged(target.engineFs, fs, opening, state.history, what);
  if (judged.settled) return judged.value;
  // Null when the process died: nothing it left can settle.
  return { stalled: judged.stalled === null ? null : finding(judged.stalled, 'liveness') };
}

function isStalled(opened: CrashTestDatabase | { stalled: Finding | null }): opened is {
  stalled: Finding | null;
} {
  return 'stalled' in opened;
}

export interface Opened {
  /** The open database (also when its recovery was judged a violation), or null. */
  readonly db: CrashTestDatabase | null;
  readonly finding: Finding | null;
  /** Faults fired before the successful attempt began: only one fired since excuses a refused write. */
  readonly faultsBefore: number;
}

const NOT_OPENED: Opened = { db: null, finding: null, faultsBefore: 0 };

/** Returned by an open attempt that an injected failure ended (not a crash). */
const INJECTED = Symbol('injected failure');

/** Opens (recovering) and judges what it finds. */
export async function open(target: OpenTarget, phase: string): Promise<Opened> {
  const first = await openOnce(target, phase, phase);
  if (first !== INJECTED) return first;
  target.state.stats.openRetries++;
  const again = await openOnce(target, phase, `${phase} retried after an injected failure`);
  return again === INJECTED ? NOT_OPENED : again;
}

/** One open attempt; `label` names it in reports ('recovery', 'reopen retried after ...'). */
async function openOnce(
  target: OpenTarget,
  phase: string,
  label: string,
): Promise<Opened | typeof INJECTED> {
  const { state, fs } = target;
  if (fs.crashed) return NOT_OPENED;
  const quarantine = state.quarantine;
  const kept = quarantine?.startAttempt(fs, label) ?? null;
  if (kept !== null) return { ...NOT_OPENED, finding: kept };
  if (state.bitRot !== undefined)
    state.bitRot = damageNow(state.bitRot, quarantine!.segmentsBefore);
  if (state.damage !== undefined)
    state.damage = damageStill(state.damage, quarantine!.segmentsBefore);
  const segmentsBefore = quarantine?.segmentsBefore ?? null;
  const faultsBefore = fs.faultsFired;
  let db: CrashTestDatabase;
  try {
    const opened = await openWithin(target, false, `open (${label})`);
    if (isStalled(opened)) return { ...NOT_OPENED, finding: opened.stalled };
    db = opened;
  } catch (error) {
    if (fs.crashed) return NOT_OPENED; // died mid-recovery: the next recovery is judged
    if (isInjected(error) && fs.faultsFired > faultsBefore) return INJECTED;
    return { ...NOT_OPENED, finding: judgeRefusal(target, error, label) };
  }
  state.stats.recoveries++;
  const read = observe(db, state.features);
  // Only a crash image is durable by construction; a reopen may read unsynced bytes.
  const verdict = judgeRecovery(state.history, seenOf(read, recoveryContext(state, target.mode)), {
    keptDurable: phase !== 'reopen',
  });
  const found =
    finding(verdict, label) ??
    finding(
      checkReadsAgree(db, read),
      `${label}: gets${read.box === 'white' ? ' at snapshots' : ''}`,
    );
  if (!verdict.ok) return { db, finding: found, faultsBefore };
  // Bounded scans need walcheck's scan options: judged on engines writing its WAL.
  const scans =
    quarantine === null
      ? null
      : finding(
          judgeScans(db, state.scenario.scans ?? [], state.history),
          `${label}: bounded scans`,
        );
  const after = quarantine === null ? null : filesViewNow(fs); // judged right away: views
  const mode =
    segmentsBefore === null
      ? null
      : finding(
          checkRecoveryMode(
            target.mode,
            segmentsBefore,
            { opened: true, readOnly: false, ...after! },
            decoderOf(state),
          ),
          `${label}: recovery mode ${target.mode}`,
        );
  const setAside = quarantine?.opened(fs, db, label, after!) ?? null;
  return { db, finding: found ?? scans ?? mode ?? setAside, faultsBefore };
}

/** An open that failed, neither crashed nor injected: allowed only as the oracle says, and it changes nothing. */
function judgeRefusal(target: OpenTarget, error: unknown, label: string): Finding | null {
  const { state } = target;
  const context = recoveryContext(state, target.mode);
  const failure = openFailureOf(error);
  const verdict = judgeRecovery(state.history, {
    box: 'white',
    observed: { opened: false, error: failure },
    context,
  });
  if (!verdict.ok) return finding(verdict, label);
  const segmentsBefore = state.quarantine?.segmentsBefore;
  const mode =
    segmentsBefore === undefined
      ? null
      : finding(
          checkRecoveryMode(target.mode, segmentsBefore, { opened: false }, decoderOf(state)),
          `${label}: recovery mode ${target.mode}`,
        );
  if (mode !== null) return mode;
  state.stats.openRefusals++;
  return state.quarantine?.refused(target.fs, failure, label, context.bitRot !== undefined) ?? null;
}

/** A read-only open of the state the writable open will find: judged like a recovery, and nothing may change. */
export async function readOnlyOpen(target: OpenTarget): Promise<Finding | null> {
  const phase = 'read-only open';
  const { state, fs } = target;
  const existed = fs.hasDir(DB_DIR);
  const before = dirFiles(fs);
  const segments = segmentFiles(before, DB_DIR);
  const kept = state.quarantine?.startReadOnly(quarantineFiles(before, DB_DIR), phase) ?? null;
  if (kept !== null) return kept;
  if (state.bitRot !== undefined) state.bitRot = damageNow(state.bitRot, segments);
  if (state.damage !== undefined) state.damage = damageStill(state.damage, segments);
  const faultsBefore = fs.faultsFired;
  let found: Finding | null = null;
  try {
    const opened = await openWithin(target, true, 'read-only open');
    if (isStalled(opened)) return opened.stalled;
    const db = opened;
    state.stats.readOnlyOpens++;
    const read = observe(db, state.features);
    const context = recoveryContext(state, target.mode);
    found =
      finding(judgeRecovery(state.history, seenOf(read, context), { readOnly: true }), phase) ??
      finding(
        checkReadsAgree(db, read),
        `${phase}: gets${read.box === 'white' ? ' at snapshots' : ''}`,
      ) ??
      (state.quarantine === null
        ? null
        : finding(
            checkRecoveryMode(
              target.mode,
              segments,
              { opened: true, readOnly: true },
              decoderOf(state),
            ),
            `${phase}: recovery mode ${target.mode}`,
          ));
    await closeQuietly(db);
  } catch (error) {
    const excused =
      fs.crashed ||
      (isInjected(error) && fs.faultsFired > faultsBefore) ||
      (!existed && MISSING_CODES.includes(errorCode(error)));
    if (!excused) found = judgeReadOnlyRefusal(target, error, segments, phase);
  }
  if (found !== null) return found;
  // Even an open the crash cut short must not have written anything.
  return (
    finding(checkNotCreated(DB_DIR, existed, fs.hasDir(DB_DIR)), phase) ??
    finding(checkUnchanged(before, dirFilesNow(fs)), `${phase}: nothing on disk may change`)
  );
}

/** Codes a read-only open of a missing database may fail with. */
const MISSING_CODES: readonly string[] = ['NOT_FOUND', 'ENOENT'];

function judgeReadOnlyRefusal(
  target: OpenTarget,
  error: unknown,
  segments: ReadonlyMap<string, Uint8Array>,
  phase: string,
): Finding | null {
  const { state } = target;
  const context = recoveryContext(state, target.mode);
  const failure = openFailureOf(error);
  const verdict = judgeRecovery(
    state.history,
    { box: 'white', observed: { opened: false, error: failure }, context },
    { readOnly: true },
  );
  if (!verdict.ok) return finding(verdict, phase);
  if (state.quarantine !== null) {
    const mode = finding(
      checkRecoveryMode(target.mode, segments, { opened: false }, decoderOf(state)),
      `${phase}: recovery mode ${target.mode}`,
    );
    if (mode !== null) return mode;
  }
  if (context.bitRot !== undefined) return null;
  return state.quarantine?.namesInvalid(failure, segments, phase) ?? null;
}

/** The scenario's log decoder, shared with rule 1's checks at acknowledgements (logDecoderFor). */
function decoderOf(state: ScenarioState): LogDecoder {
  return logDecoderFor(state.history, DB_DIR);
}

function openOptions(target: OpenTarget, readOnly: boolean): CrashTestOpenOptions {
  const { features, scenario } = target.state;
  const options: CrashTestOpenOptions = {
    fs: target.engineFs,
    ...sizeHints(scenario),
    ...(features.recoveryModes === true ? { recovery: target.mode } : {}),
  };
  return readOnly ? { ...options, readOnly } : options;
}

export async function closeQuietly(db: CrashTestDatabase): Promise<boolean> {
  try {
    await db.close();
    return true;
  } catch {
    return false;
  }
}

/** An operation failure the fault plan injected (not corruption the engine found). */
export function isInjected(error: unknown): boolean {
  const code = errorCode(error);
  if (code === 'EIO' || code === 'ENOSPC') return true;
  const cause = (error as { cause?: unknown } | null)?.cause;
  return code === 'IO' && cause !== undefined && isInjected(cause);
}
