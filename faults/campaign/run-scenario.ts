// Runs one scenario: the engine on a simulated filesystem, crashed and recovered cycle
// after cycle, every recovery and every acknowledgement judged by the oracle against the
// model. Returns the first violation (or null) and adds what it did to `stats`.
//
//   cycle c:  fs_c = image of cycle c-1's crash, with cycle c's crash point and fault
//             read-only open (some cycles) -> judged like a recovery; nothing on disk changes
//             open (recovery), in the cycle's mode
//                                       -> judged: rules 2, 3, 4, 6, 8 (and 5 at the first ack);
//                                          an injected failure is retried once in the process;
//                                          a strict open may refuse a torn tail (the cycle ends)
//             waves of concurrent writes -> each ack judged against the durable view: rule 1
//             reopen / read steps        -> judged like a recovery / against the model
//             crash (at the crash point, or after everything) -> outcome chosen from its seed
//   end:      a last recovery of the last crash, with no crash point and no fault; rule 7 over
//             the whole history.
//
// Rule 8 is judged over each recovery that succeeds, against the log as it stood at that
// open and, when earlier attempts died (a crash or an injected failure part-way through a
// recovery), against the log as the first of those attempts found it: bytes a dying
// recovery dropped are missing from later "befores". When that first state was wholly
// durable, the durable view after the open is judged too (what a crash right then would
// leave), like rule 1 judges each ack. Quarantined files once durable must stay, byte for
// byte, to the end of the scenario.

import type { Batch } from '../../src/batch.ts';
import type { OpenOptions } from '../../src/index.ts';
import { bytesEqual } from '../../model/bytes.ts';
import {
  checkAckDurable,
  checkContinuation,
  checkFailClosed,
  checkRecovery,
  checkUnchanged,
  History,
  quarantineFiles,
  REFUSED_BEFORE_WRITE_CODES,
  type BitRot,
  type RecoveryContext,
  type RecoveryVerdict,
  segmentFiles,
  type Verdict,
  type Violation,
} from '../../model/oracle.ts';
import { diffStates, keysText, PASS, violation } from '../../model/verdict.ts';
import {
  type CrashOutcome,
  describeOutcome,
  type OutcomeKind,
  randomOutcome,
} from '../crash-outcome.ts';
import { Rng } from '../rng.ts';
import { SimFs, type SimFsOptions } from '../sim-fs.ts';
import type { TraceEntry } from '../op-trace.ts';
import type { EngineDatabase, EngineModule } from './engine-under-test.ts';
import type { Cycle, RecoveryMode, Scenario, Wave } from './scenario.ts';
import { type ScenarioStats } from './stats.ts';
import { type Damage, damagedBatch, damageNow } from './bit-rot-damage.ts';
import { BoundedFs, STEP_OPS_MAX } from './bounded-fs.ts';
import { settleWithin } from './settle.ts';
import { judgeScans } from './scan-steps.ts';
import { detachLongest, ownCopy, refusalExpected } from './refusal-steps.ts';
import { livenessViolation } from '../../model/check-liveness.ts';
import { checkFailedAbsent } from '../../model/check-failed-absent.ts';
import { checkAckSeq } from '../../model/check-fail-closed.ts';
import { checkSecondOpen } from '../../model/check-lifecycle.ts';
import { checkRecoveryMode } from '../../model/check-recovery-mode.ts';
import { applyDamage, damageStill } from './damage-steps.ts';
import {
  checkQuarantineKept,
  checkRefusalNamesInvalid,
  checkSetAside,
  checkSetAsideSince,
  checkSnapshotGets,
  DB_DIR,
  dirFiles,
  durableFiles,
  type FilesNow,
  filesNow,
  observe,
  sameFiles,
  scanAll,
} from './observe.ts';

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

/** Returned by an open attempt that an injected failure ended (not a crash). */
const INJECTED = Symbol('injected failure');
/** Returned by a bounded wait whose promise never settled (the violation is recorded). */
const STALLED = Symbol('stalled');

/** The log as the first open attempt since the last successful open found it. */
interface SetAsideBase {
  readonly files: FilesNow;
  /** Every byte of it was durable: a crash cannot undo it, so it outlives a recovery that dies. */
  readonly durable: boolean;
  attempts: number;
}

class ScenarioRun {
  readonly history = new History();
  found: ScenarioViolation | null = null;
  private cycleIndex = 0;
  private crashText = 'none yet';
  private crashOpIndex: number | null = null;
  private bitRot: Damage | undefined;
  /** Structural damage (damage-steps.ts) not yet set aside by a successful writable open. */
  private damage: BitRot | undefined;
  private fs: SimFs = new SimFs({ trace: false });
  /** The filesystem the engine sees: this.fs behind an operation budget (liveness). */
  private bounded: { fs: SimFs; view: BoundedFs } | null = null;
  private crashTrace: readonly TraceEntry[] = [];
  private firstAckOfEpoch = true;
  /** The recovery mode of the current cycle's opens. */
  private mode: RecoveryMode = 'tolerate-tail';
  /** Faults fired on this filesystem before the open database was opened: only one fired since excuses a refused write. */
  private faultsAtOpen = 0;
  private base: SetAsideBase | null = null;
  /** close() was called with writes in flight: those may be refused CLOSED. */
  private closing = false;
  /** Quarantined files seen durable (name -> bytes): nothing may delete or change them. */
  private readonly quarantineLedger = new Map<string, Uint8Array>();

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
      this.mode = cycle.recovery;
      const options = {
        crashAt: { opIndex: cycle.crash.opIndex, when: cycle.crash.when },
        faults: cycle.fault === null ? [] : [cycle.fault],
        trace: this.traced,
        seed: cycle.crash.outcomeSeed,
      };
      this.fs =
        previous === null ? new SimFs(options) : previous.fs.crashImage(previous.outcome, options);
      if (previous !== null && cycle.damage !== undefined && this.bitRot === undefined)
        this.damageImage(cycle, options);
      if (cycle.fault !== null) this.stats.faultsInjected++;
      const reopenable = await this.runCycle(cycle);
      this.stats.faultsFired += this.fs.faultsFired;
      if (this.found !== null || !reopenable) return;
      previous = { fs: this.fs, outcome: this.crash(cycle) };
    }
    if (previous === null || this.found !== null) return;
    this.cycleIndex = this.scenario.cycles.length;
    this.mode = 'tolerate-tail';
    this.fs = previous.fs.crashImage(previous.outcome, { trace: this.traced });
    const db = await this.open('final recovery');
    if (db !== null) await this.close(db);
    if (this.found === null) this.judge(checkFailClosed(this.history.events), 'fail-closed');
  }

  /** Damages the crash image before the cycle opens it (damage-steps.ts). */
  private damageImage(cycle: Cycle, options: SimFsOptions): void {
    const applied = applyDamage(this.fs, cycle.damage!, options);
    if (applied === null) return;
    this.fs = applied.image;
    this.damage = applied.context;
    this.base = null; // the harness changed the log, not the engine: rule 8 starts from here
    this.crashText += `; then damaged: ${applied.text}`;
    this.stats.damaged++;
    if (applied.earlier) this.stats.damagedEarlier++;
  }

  /** Runs a cycle up to its crash; false when the log cannot be opened any more (allowed under bit rot). */
  private async runCycle(cycle: Cycle): Promise<boolean> {
    if (cycle.readOnlyFirst) {
      await this.readOnlyOpen();
      if (this.found !== null || this.fs.crashed) return true;
    }
    let db = await this.open('recovery');
    if (db === null)
      return this.fs.crashed || (this.bitRot === undefined && this.damage === undefined);
    this.bitRot = undefined;
    this.damage = undefined;
    const inFlight: Promise<void>[] = [];
    let closed = false;
    for (const step of cycle.steps) {
      if (this.found !== null || this.fs.crashed) break;
      if ('wave' in step) {
        await this.wave(db, step.wave, inFlight);
      } else if ('reopen' in step) {
        if (!(await this.settleAll(inFlight, 'writes before a reopen'))) return true;
        if (!(await this.close(db)) || this.fs.crashed) {
          closed = true;
          break;
        }
        db = await this.open('reopen');
        if (db === null) return this.fs.crashed || this.bitRot === undefined;
      } else if ('closeQueued' in step) {
        if (!(await this.closeQueued(db, inFlight)) || this.fs.crashed) {
          closed = true;
          break;
        }
        db = await this.open('reopen');
        if (db === null) return this.fs.crashed || this.bitRot === undefined;
      } else if ('secondOpen' in step) {
        await this.secondOpen();
      } else {
        if (!(await this.settleAll(inFlight, 'writes before a read'))) return true;
        if (!this.fs.crashed) this.liveRead(db);
      }
    }
    if (!(await this.settleAll(inFlight, 'writes at the end of the cycle'))) return true;
    if (this.found === null && !this.fs.crashed && !closed) this.liveRead(db); // cheap: the key space is small
    if (this.found === null) this.judge(checkFailClosed(this.history.events), 'fail-closed');
    return true;
  }

  private async wave(db: EngineDatabase, wave: Wave, inFlight: Promise<void>[]): Promise<void> {
    for (const [i, batch] of wave.batches.entries()) {
      if (i !== wave.tamper) {
        inFlight.push(this.submit(db, batch, false));
        continue;
      }
      const copy = ownCopy(batch); // the caller changes its own bytes after write() returned
      inFlight.push(this.submit(db, copy, true));
      detachLongest(copy);
    }
    if (wave.settle) await this.settleAll(inFlight, 'writes of a wave');
  }

  /** The filesystem handed to the engine: the current SimFs behind an operation budget. */
  private engineFs(): BoundedFs {
    if (this.bounded?.fs !== this.fs) this.bounded = { fs: this.fs, view: new BoundedFs(this.fs) };
    return this.bounded.view;
  }

  /** Awaits `promise` within the liveness bound; STALLED (and a violation) when it cannot settle. */
  private async within<T>(promise: Promise<T>, what: string): Promise<T | typeof STALLED> {
    const settlement = await settleWithin(this.engineFs(), promise);
    if ('value' in settlement) return settlement.value;
    if ('error' in settlement) throw settlement.error;
    // The process died (the crash point froze the filesystem): nothing it left pending can settle.
    if (this.fs.crashed) return STALLED;
    this.judge(
      livenessViolation(this.history, { what, spun: settlement.spun, opsMax: STEP_OPS_MAX }),
      'liveness',
    );
    return STALLED;
  }

  /** Awaits every write in flight (emptying the list); false when one never settles. */
  private async settleAll(inFlight: Promise<void>[], what: string): Promise<boolean> {
    if (inFlight.length === 0) return true;
    return (await this.within(Promise.all(inFlight.splice(0)), what)) !== STALLED;
  }

  /** close() with writes still queued: each must settle (acked and durable, or refused CLOSED). */
  private async closeQueued(db: EngineDatabase, inFlight: Promise<void>[]): Promise<boolean> {
    this.closing = true;
    const closed = await this.close(db);
    const settled = await this.settleAll(inFlight, 'writes queued when close() was called');
    this.closing = false;
    return closed && settled && this.found === null;
  }

  /** A second writable open while the database is open: must fail LOCKED and leave the first alone. */
  private async secondOpen(): Promise<void> {
    const faultsBefore = this.fs.faultsFired;
    let second: EngineDatabase | typeof STALLED;
    try {
      second = await this.within(
        this.engine.Database.open(DB_DIR, this.openOptions(false)),
        'second writable open',
      );
    } catch (error) {
      const injected = this.fs.crashed || this.fs.faultsFired > faultsBefore;
      this.judge(
        checkSecondOpen({ opened: false, code: errorCode(error), injected }),
        'second writable open',
      );
      return;
    }
    if (second === STALLED) return;
    this.judge(checkSecondOpen({ opened: true }), 'second writable open');
    await this.close(second);
  }

  /** Closes within the liveness bound; false when the close failed or never completed. */
  private async close(db: EngineDatabase): Promise<boolean> {
    try {
      return (await this.within(db.close(), 'close')) !== STALLED;
    } catch {
      return false;
    }
  }

  /** Issues one batch; the promise settles after the ack or rejection was recorded and judged. */
  private submit(db: EngineDatabase, batch: Batch, tampered: boolean): Promise<void> {
    const id = this.history.issue(batch);
    this.stats.batches++;
    return db.write(batch).then(
      (result) => {
        this.history.ack(id, result.seqStart);
        this.stats.acks++;
        if (this.found !== null) return;
        if (this.firstAckOfEpoch) {
          this.firstAckOfEpoch = false;
          this.judge(
            checkContinuation(this.history, this.history.lastSeqAtRecovery, result.seqStart),
            'first ack after recovery',
          );
        }
        // Rule 5 at each ack: numbered right after the batch before it (refused ones take no numbers).
        const event = this.history.events[this.history.events.length - 1]!;
        if (this.found === null && event.type === 'ack')
          this.judge(checkAckSeq(event) ?? PASS, 'ack: sequence numbers');
        if (this.found === null)
          this.judge(checkAckDurable(this.history, id, this.fs.durableView(), DB_DIR), 'ack');
      },
      (error: unknown) => {
        const code = errorCode(error);
        if (this.fs.crashed) {
          // The process died: the batch is simply unacknowledged, unless the engine had refused
          // it before writing it (its rejection may run after the crash point froze the disk).
          if (REFUSED_BEFORE_WRITE_CODES.includes(code)) this.history.fail(id, code);
          return;
        }
        this.history.fail(id, code);
        const asked =
          refusalExpected(this.scenario, this.history.batch(id).ops, code, tampered) ||
          (code === 'CLOSED' && this.closing);
        if (this.fs.faultsFired === this.faultsAtOpen && !asked) {
          // Nothing failed underneath this database: an engine that refuses to go on breaks rule 5.
          this.judge(
            violation(
              5,
              `the engine refused a write with no injected failure and no crash: ${errorCode(error)}: ${(error as Error).message}`,
            ),
            'write',
          );
        }
      },
    );
  }

  /** Opens (recovering) and judges what it finds; null when the open did not succeed. */
  private async open(phase: string): Promise<EngineDatabase | null> {
    const first = await this.openOnce(phase, phase);
    if (first !== INJECTED) return first;
    // A real caller retries a failed open in the same process, over whatever it left.
    this.stats.openRetries++;
    const again = await this.openOnce(phase, `${phase} retried after an injected failure`);
    return again === INJECTED ? null : again;
  }

  /** One open attempt; `label` names it in reports ('recovery', 'reopen retried after ...'). */
  private async openOnce(
    phase: string,
    label: string,
  ): Promise<EngineDatabase | null | typeof INJECTED> {
    if (this.fs.crashed) return null;
    const before = filesNow(this.fs);
    this.judge(
      checkQuarantineKept(this.quarantineLedger, before.quarantined),
      `${label}: quarantine kept`,
    );
    if (this.found !== null) return null;
    this.base ??= { files: before, durable: sameFiles(before, durableFiles(this.fs)), attempts: 0 };
    this.base.attempts++;
    if (this.bitRot !== undefined) this.bitRot = damageNow(this.bitRot, before.segments);
    if (this.damage !== undefined) this.damage = damageStill(this.damage, before.segments);
    const faultsBefore = this.fs.faultsFired;
    let db: EngineDatabase;
    try {
      const opened = await this.within(
        this.engine.Database.open(DB_DIR, this.openOptions(false)),
        `open (${label})`,
      );
      if (opened === STALLED) return null;
      db = opened;
    } catch (error) {
      if (this.fs.crashed) return null; // died mid-recovery: the next recovery is judged (crash() keeps or drops the base)
      if (isInjected(error) && this.fs.faultsFired > faultsBefore) return INJECTED;
      this.judgeRefusal(error, label, before);
      return null;
    }
    this.stats.recoveries++;
    const observed = observe(db);
    const verdict = checkRecovery(this.history, observed, this.context());
    this.judge(verdict, label);
    if (this.found !== null || !verdict.ok) return db;
    this.judge(checkSnapshotGets(db, observed.snapshots), `${label}: gets at snapshots`);
    // Only a crash image is durable by construction; a reopen may read unsynced bytes.
    if (verdict.k !== null) {
      this.history.truncateTo(verdict.k, verdict.line, phase !== 'reopen');
      this.judge(
        judgeScans(db, this.scenario.scans ?? [], this.history),
        `${label}: bounded scans`,
      );
    }
    this.firstAckOfEpoch = true;
    this.faultsAtOpen = faultsBefore;
    const after = filesNow(this.fs);
    this.judge(
      checkRecoveryMode(this.mode, before.segments, { opened: true, readOnly: false, ...after }),
      `${label}: recovery mode ${this.mode}`,
    );
    this.judgeSetAside(before, after, db, label);
    return db;
  }

  /** Rule 8 over a successful open: against this attempt's start, and the first attempt's if earlier ones died. */
  private judgeSetAside(
    before: FilesNow,
    after: FilesNow,
    db: EngineDatabase,
    phase: string,
  ): void {
    const base = this.base!;
    this.base = null;
    this.judge(checkSetAside(before, after, db), `${phase}: quarantine`);
    if (base.files !== before)
      this.judge(
        checkSetAsideSince(base.files, after),
        `${phase}: quarantine, over ${base.attempts} open attempts since the log was as the first found it`,
      );
    const durable = durableFiles(this.fs);
    // As a crash right now would leave it: what was cut from a segment durably is durable in quarantine/.
    if (base.durable)
      this.judge(
        checkSetAsideSince(base.files, durable),
        `${phase}: quarantine, as a crash right after this open would leave it`,
      );
    // Files wholly durable now (a failed fsync can leave reads showing bytes a crash would lose).
    for (const [name, bytes] of durable.quarantined) {
      const now = after.quarantined.get(name);
      if (now !== undefined && bytesEqual(now, bytes)) this.quarantineLedger.set(name, bytes);
    }
  }

  /** An open that failed, neither crashed nor injected: allowed only as the oracle says, and it changes nothing. */
  private judgeRefusal(error: unknown, phase: string, before: FilesNow): void {
    const context = this.context();
    const failure = openError(error);
    this.judge(checkRecovery(this.history, { opened: false, error: failure }, context), phase);
    if (this.found === null)
      this.judge(
        checkRecoveryMode(this.mode, before.segments, { opened: false }),
        `${phase}: recovery mode ${this.mode}`,
      );
    if (this.found === null) this.stats.openRefusals++;
    if (this.found === null && context.bitRot === undefined)
      this.judge(checkRefusalNamesInvalid(failure, before.segments), phase);
    if (this.found === null)
      this.judge(
        checkUnchanged(logFiles(before), logFiles(filesNow(this.fs))),
        `${phase}: a refused open changes nothing`,
      );
  }

  /** A read-only open of the state the writable open will find: judged like a recovery, and nothing may change. */
  private async readOnlyOpen(): Promise<void> {
    const phase = 'read-only open';
    const existed = this.fs.hasDir(DB_DIR);
    const before = dirFiles(this.fs);
    const segments = segmentFiles(before, DB_DIR);
    this.judge(
      checkQuarantineKept(this.quarantineLedger, quarantineFiles(before, DB_DIR)),
      `${phase}: quarantine kept`,
    );
    if (this.bitRot !== undefined) this.bitRot = damageNow(this.bitRot, segments);
    if (this.damage !== undefined) this.damage = damageStill(this.damage, segments);
    const faultsBefore = this.fs.faultsFired;
    try {
      const db = await this.within(
        this.engine.Database.open(DB_DIR, this.openOptions(true)),
        'read-only open',
      );
      if (db === STALLED) return;
      this.stats.readOnlyOpens++;
      const observed = observe(db);
      this.judge(checkRecovery(this.history, observed, this.context()), phase);
      this.judge(
        checkRecoveryMode(this.mode, segments, { opened: true, readOnly: true }),
        `${phase}: recovery mode ${this.mode}`,
      );
      if (this.found === null)
        this.judge(checkSnapshotGets(db, observed.snapshots), `${phase}: gets at snapshots`);
      await this.close(db);
    } catch (error) {
      const excused =
        this.fs.crashed ||
        (isInjected(error) && this.fs.faultsFired > faultsBefore) ||
        (!existed && errorCode(error) === 'NOT_FOUND');
      if (!excused) {
        const context = this.context();
        const failure = openError(error);
        this.judge(checkRecovery(this.history, { opened: false, error: failure }, context), phase);
        this.judge(
          checkRecoveryMode(this.mode, segments, { opened: false }),
          `${phase}: recovery mode ${this.mode}`,
        );
        if (context.bitRot === undefined)
          this.judge(checkRefusalNamesInvalid(failure, segments), phase);
      }
    }
    // Even an open the crash cut short must not have written anything.
    if (!existed && this.fs.hasDir(DB_DIR))
      this.judge(
        violation(
          8,
          `the read-only open created ${DB_DIR}, although it must change nothing on disk`,
        ),
        phase,
      );
    this.judge(checkUnchanged(before, dirFiles(this.fs)), `${phase}: nothing on disk may change`);
  }

  private openOptions(readOnly: boolean): OpenOptions {
    const options: OpenOptions = {
      fs: this.engineFs(),
      segmentBytesMax: this.scenario.segmentBytesMax,
      groupBytesMax: this.scenario.groupBytesMax,
      recovery: this.mode,
      ...(this.scenario.batchBytesMax === undefined
        ? {}
        : { batchBytesMax: this.scenario.batchBytesMax }),
      ...(this.scenario.queueBatchesMax === undefined
        ? {}
        : { queueBatchesMax: this.scenario.queueBatchesMax }),
    };
    return readOnly ? { ...options, readOnly } : options;
  }

  private liveRead(db: EngineDatabase): void {
    const entries = scanAll(db, undefined);
    if (this.history.undecidedFailures().length > 0) {
      this.judge(checkFailedAbsent(this.history, entries), 'read after a failed write');
      return;
    }
    const k = this.history.length;
    if (this.history.model.equalsAt(entries, k)) {
      this.judge(judgeScans(db, this.scenario.scans ?? [], this.history), 'read: bounded scans');
      return;
    }
    const diff = diffStates(
      `model after all k=${k} batches → read at the latest state`,
      this.history.stateAt(k),
      entries,
    );
    this.judge(
      violation(4, `a read at the latest state does not show the model after all ${k} batches`, {
        expectedK: [k, k],
        found: keysText(entries),
        diff,
      }),
      'read',
    );
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
    const where =
      this.crashOpIndex === null
        ? 'after the last operation'
        : `${cycle.crash.when} op #${cycle.crash.opIndex}`;
    this.crashText = `cycle ${this.cycleIndex} crashed ${where}; outcome ${describeOutcome(outcome)}`;
    // Damage stays until a recovery sets it aside (an open that died may or may not have).
    const damage = outcome.kind === 'bit-rot' ? damagedBatch(this.fs, outcome) : undefined;
    if (
      damage !== undefined &&
      (this.bitRot === undefined || damage.context.seqStart! < this.bitRot.context.seqStart!)
    )
      this.bitRot = damage;
    // A base survives a crash only when the crash cannot have changed it: all of it was durable, and no bits flipped.
    if (this.base !== null && (!this.base.durable || outcome.kind === 'bit-rot')) this.base = null;
    if (outcome.kind === 'bit-rot') {
      for (const flip of outcome.flips)
        if (flip.path.startsWith(QUARANTINE_PREFIX))
          this.quarantineLedger.delete(flip.path.slice(QUARANTINE_PREFIX.length));
    }
    return outcome;
  }

  private context(): RecoveryContext {
    const base = { outcome: this.crashText, recovery: this.mode };
    const damage = this.bitRot?.context ?? this.damage;
    return damage === undefined ? base : { ...base, bitRot: damage };
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

const QUARANTINE_PREFIX = `${DB_DIR}/quarantine/`;

/** Segments and quarantined files as one map (path relative to the database directory -> bytes). */
function logFiles(files: FilesNow): Map<string, Uint8Array> {
  const out = new Map(files.segments);
  for (const [name, bytes] of files.quarantined) out.set(`quarantine/${name}`, bytes);
  return out;
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

function openError(error: unknown): {
  code: string;
  segment?: string;
  offset?: number;
  reason?: string;
} {
  const e = error as { segment?: unknown; offset?: unknown; reason?: unknown };
  const out: { code: string; segment?: string; offset?: number; reason?: string } = {
    code: errorCode(error),
  };
  if (typeof e.segment === 'string') out.segment = e.segment;
  if (typeof e.offset === 'number') out.offset = e.offset;
  if (typeof e.reason === 'string') out.reason = e.reason;
  return out;
}
