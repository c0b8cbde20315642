// Runs one scenario: the engine on a simulated filesystem, crashed and recovered cycle
// after cycle, every recovery and every acknowledgement judged by the oracle against the
// model. Returns the first violation (or null) and adds what it did to `stats`.
//
//   cycle c:  fs_c = image of cycle c-1's crash, with cycle c's crash point and fault
//             open (recovery)           -> judged: rules 2, 3, 4, 6, 8 (and 5 at the first ack)
//             waves of concurrent writes -> each ack judged against the durable view: rule 1
//             reopen / read steps        -> judged like a recovery / against the model
//             crash (at the crash point, or after everything) -> outcome chosen from its seed
//   end:      a last recovery of the last crash, with no crash point and no fault; rule 7 over
//             the whole history.

import type { Batch } from '../../src/batch.ts';
import {
  type BitRot,
  checkAckDurable,
  checkContinuation,
  checkFailClosed,
  checkRecovery,
  firstDamagedRecord,
  History,
  type RecoveryVerdict,
  segmentFiles,
  type Verdict,
  type Violation,
} from '../../model/oracle.ts';
import { diffStates, keysText, violation } from '../../model/verdict.ts';
import { type CrashOutcome, describeOutcome, type OutcomeKind, randomOutcome } from '../crash-outcome.ts';
import { Rng } from '../rng.ts';
import { SimFs } from '../sim-fs.ts';
import type { TraceEntry } from '../op-trace.ts';
import type { EngineDatabase, EngineModule } from './engine-under-test.ts';
import type { Cycle, Scenario, Wave } from './scenario.ts';
import { type ScenarioStats } from './stats.ts';
import { checkSetAside, DB_DIR, filesNow, observe, scanAll } from './observe.ts';


export interface ScenarioViolation {
  readonly verdict: Violation;
  readonly cycle: number;
  /** What the harness was doing: 'recovery', 'ack', 'reopen', 'read', 'final recovery', ... */
  readonly phase: string;
  /** The crash that led to the judged state, described. */
  readonly crash: string;
  /** The operation index at which the cycle crashed (null: no crash yet in this cycle). */
  readonly crashOpIndex: number | null;
  /** The trace of the filesystem the violation was seen on (empty unless traced). */
  readonly trace: readonly TraceEntry[];
  /** The trace of the cycle that crashed last, up to its crash (empty unless traced). */
  readonly crashTrace: readonly TraceEntry[];
}

export interface RunOptions {
  /** Keep operation traces (for reports): slower. */
  trace?: boolean;
}

export async function runScenario(
  engine: EngineModule,
  scenario: Scenario,
  stats: ScenarioStats,
  options: RunOptions = {},
): Promise<ScenarioViolation | null> {
  const run = new ScenarioRun(engine, scenario, stats, options.trace === true);
  await run.all();
  return run.found;
}

class ScenarioRun {
  readonly history = new History();
  found: ScenarioViolation | null = null;
  private cycleIndex = 0;
  private crashText = 'none yet';
  private crashOpIndex: number | null = null;
  private bitRot: Damage | undefined;
  private fs: SimFs = new SimFs({ trace: false });
  private crashTrace: readonly TraceEntry[] = [];
  private firstAckOfEpoch = true;
  /** The current cycle injects an operation failure (so a rejected write may be legitimate). */
  private faultPlanned = false;

  constructor(
    private readonly engine: EngineModule,
    private readonly scenario: Scenario,
    private readonly stats: ScenarioStats,
    private readonly traced: boolean,
  ) {}

  async all(): Promise<void> {
    let previous: { fs: SimFs; outcome: CrashOutcome } | null = null;
    for (let c = 0; c < this.scenario.cycles.length && this.found === null; c++) {
      const cycle = this.scenario.cycles[c]!;
      this.cycleIndex = c;
      const options = { crashAt: { opIndex: cycle.crash.opIndex, when: cycle.crash.when }, faults: cycle.fault === null ? [] : [cycle.fault], trace: this.traced, seed: cycle.crash.outcomeSeed };
      this.fs = previous === null ? new SimFs(options) : previous.fs.crashImage(previous.outcome, options);
      this.faultPlanned = cycle.fault !== null;
      if (cycle.fault !== null) this.stats.faultsInjected++;
      const reopenable = await this.runCycle(cycle);
      if (this.found !== null || !reopenable) return;
      previous = { fs: this.fs, outcome: this.crash(cycle) };
    }
    if (previous === null || this.found !== null) return;
    this.cycleIndex = this.scenario.cycles.length;
    this.fs = previous.fs.crashImage(previous.outcome, { trace: this.traced });
    const db = await this.open('final recovery');
    await db?.close();
    if (this.found === null) this.judge(checkFailClosed(this.history.events), 'fail-closed');
  }

  /** Runs a cycle up to its crash; false when the log cannot be opened any more (allowed under bit rot). */
  private async runCycle(cycle: Cycle): Promise<boolean> {
    let db = await this.open('recovery');
    if (db === null) return this.fs.crashed || this.bitRot === undefined;
    this.bitRot = undefined;
    const inFlight: Promise<void>[] = [];
    for (const step of cycle.steps) {
      if (this.found !== null || this.fs.crashed) break;
      if ('wave' in step) {
        await this.wave(db, step.wave, inFlight);
      } else if ('reopen' in step) {
        await Promise.all(inFlight.splice(0));
        if (!(await closeQuietly(db)) || this.fs.crashed) break;
        db = await this.open('reopen');
        if (db === null) return this.fs.crashed || this.bitRot === undefined;
      } else {
        await Promise.all(inFlight.splice(0));
        if (!this.fs.crashed) this.liveRead(db);
      }
    }
    await Promise.all(inFlight);
    if (this.found === null) this.judge(checkFailClosed(this.history.events), 'fail-closed');
    return true;
  }

  private async wave(db: EngineDatabase, wave: Wave, inFlight: Promise<void>[]): Promise<void> {
    for (const batch of wave.batches) inFlight.push(this.submit(db, batch));
    if (wave.settle) await Promise.all(inFlight.splice(0));
  }

  /** Issues one batch; the promise settles after the ack or rejection was recorded and judged. */
  private submit(db: EngineDatabase, batch: Batch): Promise<void> {
    const id = this.history.issue(batch);
    this.stats.batches++;
    return db.write(batch).then(
      (result) => {
        this.history.ack(id, result.seqStart);
        this.stats.acks++;
        if (this.found !== null) return;
        if (this.firstAckOfEpoch) {
          this.firstAckOfEpoch = false;
          this.judge(checkContinuation(this.history, this.history.lastSeqAtRecovery, result.seqStart), 'first ack after recovery');
        }
        if (this.found === null) this.judge(checkAckDurable(this.history, id, this.fs.durableView(), DB_DIR), 'ack');
      },
      (error: unknown) => {
        if (this.fs.crashed) return; // the process died: the batch is simply unacknowledged
        this.history.fail(id, errorCode(error));
        if (!this.faultPlanned) {
          // Nothing failed underneath: an engine that refuses to go on breaks rule 5.
          this.judge(violation(5, `the engine refused a write with no injected failure and no crash: ${errorCode(error)}: ${(error as Error).message}`), 'write');
        }
      },
    );
  }

  /** Opens (recovering) and judges what it finds; null when the open did not succeed. */
  private async open(phase: string): Promise<EngineDatabase | null> {
    const before = this.fs.crashed ? null : filesNow(this.fs);
    if (this.bitRot !== undefined && before !== null) this.bitRot = damageNow(this.bitRot, before.segments);
    let db: EngineDatabase;
    try {
      db = await this.engine.Database.open(DB_DIR, { fs: this.fs, segmentBytesMax: this.scenario.segmentBytesMax, groupBytesMax: this.scenario.groupBytesMax });
    } catch (error) {
      if (this.fs.crashed || isInjected(error)) return null; // died or failed mid-recovery: the next recovery is judged
      this.judgeRecovery(checkRecovery(this.history, { opened: false, error: openError(error) }, this.context()), phase);
      return null;
    }
    this.stats.recoveries++;
    const verdict = checkRecovery(this.history, observe(db), this.context());
    this.judgeRecovery(verdict, phase);
    if (this.found !== null || !verdict.ok) return db;
    // Only a crash image is durable by construction; a reopen may read unsynced bytes.
    if (verdict.k !== null) this.history.truncateTo(verdict.k, verdict.line, phase !== 'reopen');
    this.firstAckOfEpoch = true;
    if (before !== null) this.judge(checkSetAside(before, filesNow(this.fs), db), `${phase}: quarantine`);
    return db;
  }

  private liveRead(db: EngineDatabase): void {
    if (this.history.undecidedFailures().length > 0) return; // which line the engine follows is open
    const entries = scanAll(db, undefined);
    const k = this.history.length;
    if (this.history.model.equalsAt(entries, k)) return;
    const diff = diffStates(`model after all k=${k} batches → read at the latest state`, this.history.stateAt(k), entries);
    this.judge(violation(4, `a read at the latest state does not show the model after all ${k} batches`, { expectedK: [k, k], found: keysText(entries), diff }), 'read');
  }

  /** Crashes the cycle (if its crash point was not reached, after everything) and picks the outcome. */
  private crash(cycle: Cycle): CrashOutcome {
    this.crashOpIndex = this.fs.crashed ? cycle.crash.opIndex : null;
    this.fs.crashNow();
    this.crashTrace = this.fs.trace;
    const outcome = randomOutcome(this.fs, cycle.crash.outcome, new Rng(cycle.crash.outcomeSeed));
    this.stats.crashes++;
    if (this.crashOpIndex !== null) this.stats.crashesMidCycle++;
    this.stats.outcomes[cycle.crash.outcome as OutcomeKind]++;
    const where = this.crashOpIndex === null ? 'after the last operation' : `${cycle.crash.when} op #${cycle.crash.opIndex}`;
    this.crashText = `cycle ${this.cycleIndex} crashed ${where}; outcome ${describeOutcome(outcome)}`;
    // Damage stays until a recovery sets it aside (an open that died may or may not have).
    const damage = outcome.kind === 'bit-rot' ? damagedBatch(this.fs, outcome) : undefined;
    if (damage !== undefined && (this.bitRot === undefined || damage.context.seqStart! < this.bitRot.context.seqStart!)) this.bitRot = damage;
    return outcome;
  }

  private context(): { bitRot?: BitRot; outcome: string } {
    return this.bitRot === undefined ? { outcome: this.crashText } : { bitRot: this.bitRot.context, outcome: this.crashText };
  }

  private judgeRecovery(verdict: RecoveryVerdict, phase: string): void {
    this.judge(verdict, phase);
  }

  private judge(verdict: Verdict | RecoveryVerdict, phase: string): void {
    if (verdict.ok || this.found !== null) return;
    this.found = {
      verdict,
      cycle: this.cycleIndex,
      phase,
      crash: this.crashText,
      crashOpIndex: this.crashOpIndex,
      trace: this.fs.trace,
      crashTrace: this.crashTrace,
    };
  }
}

/** Bit rot that hit a valid record: rule 6's j, and the flipped bytes to tell whether it is still there. */
interface Damage {
  context: BitRot;
  bytes: { segment: string; offset: number; original: number }[];
}

function damagedBatch(fs: SimFs, outcome: Extract<CrashOutcome, { kind: 'bit-rot' }>): Damage | undefined {
  const segments = segmentFiles(fs.durableView(), DB_DIR);
  const damage = outcome.flips
    .filter((flip) => flip.path.startsWith(`${DB_DIR}/`))
    .map((flip) => ({ segment: flip.path.slice(DB_DIR.length + 1), offset: Math.floor(flip.bit / 8) }));
  const record = firstDamagedRecord(segments, damage);
  if (record === null) return undefined;
  const bytes = damage.flatMap((d) => {
    const original = segments.get(d.segment)?.[d.offset];
    return original === undefined ? [] : [{ ...d, original }];
  });
  return { context: { seqStart: record.seqStart, segment: record.segment, offset: record.offset }, bytes };
}

/**
 * The damage as the log holds it now: unchanged while a flipped byte is still flipped; set
 * aside once the flipped bytes left the segments (a recovery that died cut them away); gone
 * once they all read as before (a second flip of the same bit restored them).
 */
function damageNow(damage: Damage, segments: ReadonlyMap<string, Uint8Array>): Damage | undefined {
  const now = damage.bytes.map((d) => segments.get(d.segment)?.[d.offset]);
  if (damage.bytes.some((d, i) => now[i] !== undefined && now[i] !== d.original)) return damage;
  if (damage.bytes.every((d, i) => now[i] === d.original)) return undefined;
  return { ...damage, context: { ...damage.context, setAside: true } };
}

async function closeQuietly(db: EngineDatabase): Promise<boolean> {
  try {
    await db.close();
    return true;
  } catch {
    return false;
  }
}

function errorCode(error: unknown): string {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : 'UNKNOWN';
}

/** An operation failure the fault plan injected (not corruption the engine found). */
function isInjected(error: unknown): boolean {
  const code = errorCode(error);
  if (code === 'EIO' || code === 'ENOSPC') return true;
  const cause = (error as { cause?: unknown } | null)?.cause;
  return code === 'IO' && cause !== undefined && isInjected(cause);
}

function openError(error: unknown): { code: string; segment?: string; offset?: number; reason?: string } {
  const e = error as { segment?: unknown; offset?: unknown; reason?: unknown };
  const out: { code: string; segment?: string; offset?: number; reason?: string } = { code: errorCode(error) };
  if (typeof e.segment === 'string') out.segment = e.segment;
  if (typeof e.offset === 'number') out.offset = e.offset;
  if (typeof e.reason === 'string') out.reason = e.reason;
  return out;
}
