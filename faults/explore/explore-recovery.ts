// The explorer's recovery variety (issue 11): on the workload's complete log, every valid
// record in turn is damaged (its segment cut just inside it: a torn tail, in the last segment
// or an earlier one; or its seqStart flipped with the CRC recomputed), and each damaged log is
//   recovery-mode   opened in every mode, read-only and writable: judged by the oracle (rule
//                   6's j is the damaged record) and by the mode table (check-recovery-mode.ts)
//   recovery-crash  recovered in tolerate-tail and point-in-time with a crash before each
//                   operation of the recovery (unsynced changes lost), then recovered again:
//                   judged, and rule 8 across the recovery that died
//   recovery-fault  the same with an injected EIO at each operation instead, and the open
//                   retried in the process over whatever the failed attempt left
// The workload is the explorer's; only its complete run is damaged, so this stays small.

import type {
  BitRot,
  Observed,
  RecoveryContext,
  RecoveryVerdict,
  Verdict,
} from '../../model/oracle.ts';
import { decodeLog, type History, segmentFiles } from '../../model/oracle.ts';
import { checkSetAsideSince } from '../../model/check-quarantine.ts';
import { checkRecoveryMode, type RecoveryMode } from '../../model/check-recovery-mode.ts';
import { judgeRecovery } from '../../model/judge.ts';
import { openFailureOf } from '../../model/open-failure.ts';
import type { CrashTestDatabase, CrashTestEngine } from '../engine/engine-interface.ts';
import { damageStill } from '../disk/damage-steps.ts';
import { checkSetAside, observe } from '../judge/observe.ts';
import { DB_DIR, filesNow, type FilesNow } from '../disk/db-files.ts';
import type { FaultRule } from '../disk/fault-plan.ts';
import { SimFs, type SimFsOptions } from '../disk/sim-fs.ts';
import { BoundedFs } from '../disk/bounded-fs.ts';
import { settleJudged } from '../judge/liveness.ts';
import { applyInjection, walkRecords } from '../disk/wal-injectors.ts';

export type RecoveryKind = 'recovery-mode' | 'recovery-crash' | 'recovery-fault';

export interface RecoveryExploreContext {
  readonly engine: CrashTestEngine;
  readonly segmentBytesMax: number;
  /** The complete run's durable files (path -> bytes) and a fresh History of it per call. */
  readonly files: ReadonlyMap<string, Uint8Array>;
  readonly history: () => History;
  readonly stopped: () => boolean;
  readonly count: (kind: RecoveryKind) => void;
  readonly judge: (verdict: Verdict | RecoveryVerdict, where: string, what: string) => void;
}

const MODES: readonly RecoveryMode[] = ['strict', 'tolerate-tail', 'point-in-time'];
/** Operations of one recovery crashed or failed at most (the small workload's take ~30). */
const RECOVERY_OPS_MAX = 200;

interface Damaged {
  readonly files: Map<string, Uint8Array>;
  readonly bitRot: BitRot;
  readonly text: string;
}

export async function exploreRecoveries(ctx: RecoveryExploreContext): Promise<void> {
  for (const damaged of damagedLogs(ctx.files)) {
    for (const mode of MODES) {
      for (const readOnly of [true, false]) {
        if (ctx.stopped()) return;
        ctx.count('recovery-mode');
        await openJudged(ctx, damaged, mode, readOnly, SimFs.fromFiles(damaged.files, NO_TRACE));
      }
      if (mode !== 'strict') await diedRecoveries(ctx, damaged, mode);
    }
  }
}

const NO_TRACE: SimFsOptions = { trace: false };

/** Every valid record cut just inside, and with bit 0 of its seqStart flipped (CRC recomputed). */
function damagedLogs(files: ReadonlyMap<string, Uint8Array>): Damaged[] {
  const segments = segmentFiles(files, DB_DIR);
  const out: Damaged[] = [];
  for (const record of decodeLog(segments).records) {
    const bytes = segments.get(record.segment)!;
    const index = walkRecords(bytes).findIndex((r) => r.offset === record.offset);
    const variants: [Uint8Array, string][] = [
      [bytes.slice(0, record.offset + 1), `cut at byte ${record.offset + 1}`],
      [
        applyInjection(bytes, {
          kind: 'record-field',
          record: index,
          field: 'seqStart',
          bit: 0,
          recrc: true,
        }),
        'bit 0 of seqStart flipped, CRC recomputed',
      ],
    ];
    for (const [damagedBytes, how] of variants) {
      const after = new Map(files);
      after.set(`${DB_DIR}/${record.segment}`, damagedBytes);
      const invalid = decodeLog(segmentFiles(after, DB_DIR)).firstInvalid;
      if (invalid?.segment !== record.segment || invalid.offset !== record.offset) continue;
      out.push({
        files: after,
        bitRot: { seqStart: record.seqStart, segment: record.segment, offset: record.offset },
        text: `${record.segment} record at offset ${record.offset}: ${how}`,
      });
    }
  }
  return out;
}

/** Opens `fs` in `mode` and judges it: oracle, mode table, and rule 8 since `base` (default: what this open found). */
async function openJudged(
  ctx: RecoveryExploreContext,
  damaged: Damaged,
  mode: RecoveryMode,
  readOnly: boolean,
  fs: SimFs,
  base?: FilesNow,
  what = `${damaged.text}; ${mode}${readOnly ? ' read-only' : ''} open`,
): Promise<void> {
  const before = filesNow(fs);
  const history = ctx.history();
  const context: RecoveryContext = {
    recovery: mode,
    bitRot: damageStill(damaged.bitRot, before.segments),
    outcome: what,
  };
  const where = 'after the last operation';
  // A fresh history per open: whether the judge moves it on changes nothing after.
  const judged = { readOnly };
  let db: CrashTestDatabase;
  try {
    const opened = await bounded(ctx, fs, mode, readOnly, history, where, what);
    if (opened === null) return;
    db = opened;
  } catch (error) {
    const observed = { opened: false as const, error: openFailureOf(error) };
    ctx.judge(judgeRecovery(history, { box: 'white', observed, context }, judged), where, what);
    ctx.judge(checkRecoveryMode(mode, before.segments, { opened: false }), where, what);
    return;
  }
  const observed = observedOf(observe(db, ctx.engine.features ?? {}));
  ctx.judge(judgeRecovery(history, { box: 'white', observed, context }, judged), where, what);
  const after = filesNow(fs);
  ctx.judge(
    checkRecoveryMode(
      mode,
      before.segments,
      readOnly ? { opened: true, readOnly } : { opened: true, readOnly, ...after },
    ),
    where,
    what,
  );
  if (!readOnly) {
    ctx.judge(checkSetAside(before, after, db), where, what);
    if (base !== undefined) ctx.judge(checkSetAsideSince(base, after), where, what);
  }
  await db.close();
}

/** Recoveries that die (a crash, or an injected EIO) at each of their operations, then a recovery judged. */
async function diedRecoveries(
  ctx: RecoveryExploreContext,
  damaged: Damaged,
  mode: RecoveryMode,
): Promise<void> {
  const dry = SimFs.fromFiles(damaged.files, { trace: true });
  await openQuietly(ctx, dry, mode);
  const trace = dry.trace.slice(0, RECOVERY_OPS_MAX);
  const base = filesNow(SimFs.fromFiles(damaged.files, NO_TRACE));
  for (const entry of trace) {
    if (ctx.stopped()) return;
    const crashAt = { opIndex: entry.index, when: 'before' as const };
    const crashed = SimFs.fromFiles(damaged.files, { ...NO_TRACE, crashAt });
    await openQuietly(ctx, crashed, mode);
    crashed.crashNow();
    ctx.count('recovery-crash');
    const image = crashed.crashImage({ kind: 'lose-unsynced' }, NO_TRACE);
    const what = `${damaged.text}; ${mode} recovery crashed before op #${entry.index} (${entry.op}), unsynced changes lost; recovered again`;
    await openJudged(ctx, damaged, mode, false, image, base, what);

    if (ctx.stopped()) return;
    const fault: FaultRule = { op: entry.op, index: entry.index, fault: 'EIO' };
    const failing = SimFs.fromFiles(damaged.files, { ...NO_TRACE, faults: [fault] });
    await openQuietly(ctx, failing, mode);
    ctx.count('recovery-fault');
    const retried = `${damaged.text}; ${mode} recovery failed with EIO at op #${entry.index} (${entry.op}); retried in the process`;
    await openJudged(ctx, damaged, mode, false, failing, base, retried);
  }
}

/** An open whose outcome is not judged (it crashes or fails by design); closed if it succeeds. */
async function openQuietly(
  ctx: RecoveryExploreContext,
  fs: SimFs,
  mode: RecoveryMode,
): Promise<void> {
  try {
    const db = await bounded(ctx, fs, mode, false, ctx.history(), 'after the last operation', mode);
    await db?.close();
  } catch {
    // the crash or the injected failure ended it: what it left is judged next
  }
}

/** Database.open within the liveness bound (judge/liveness.ts): null, and a violation, when it never settles. */
async function bounded(
  ctx: RecoveryExploreContext,
  fs: SimFs,
  mode: RecoveryMode,
  readOnly: boolean,
  history: History,
  where: string,
  what: string,
): Promise<CrashTestDatabase | null> {
  const engineFs = new BoundedFs(fs);
  const options = { fs: engineFs, segmentBytesMax: ctx.segmentBytesMax, recovery: mode };
  const opening = ctx.engine.open(DB_DIR, readOnly ? { ...options, readOnly } : options);
  const judged = await settleJudged(engineFs, fs, opening, history, `${mode} open`);
  if (judged.settled) return judged.value;
  if (judged.stalled !== null) ctx.judge(judged.stalled, where, what);
  return null;
}

/** What the judge takes from a read of walcheck's own engine (white box). */
function observedOf(read: ReturnType<typeof observe>): Observed {
  if (read.box !== 'white') throw new TypeError('the recovery explorer reads a white-box engine');
  return read.observed;
}
