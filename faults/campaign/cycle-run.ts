// One cycle of a scenario, up to (not including) its crash: maybe a read-only open, the
// writable open (recovery), then the steps: waves of concurrent writes, each acknowledgement
// judged as it comes (rule 5 at the first of an epoch, rule 1 against the durable view), a
// reopen (judged like a recovery), a read at the latest state (against the model). The cycle
// ends at its first finding, when the simulated process dies, or after its last step.
//
// Per-cycle state lives here; what lasts across cycles is the ScenarioState.

import type { Batch } from '../../src/batch.ts';
import { checkAckSeq, checkFailClosed } from '../../model/check-fail-closed.ts';
import { checkRefusedWrite } from '../../model/check-continuation.ts';
import { checkFailedAbsent } from '../../model/check-failed-absent.ts';
import { checkSecondOpen } from '../../model/check-lifecycle.ts';
import { checkLatestRead } from '../../model/check-reads.ts';
import { REFUSED_BEFORE_WRITE_CODES } from '../../model/history.ts';
import { BoundedFs } from '../disk/bounded-fs.ts';
import { detachLongest, ownCopy, refusalExpected } from './refusal-steps.ts';
import { judgeScans } from '../judge/scan-steps.ts';
import { sizeHints } from './scenario-state.ts';
import { settleJudged } from '../judge/liveness.ts';
import { judgeFirstAck } from '../../model/judge.ts';
import { errorCode, errorMessage } from '../../model/open-failure.ts';
import { PASS, type Verdict } from '../../model/verdict.ts';
import type { CrashTestDatabase } from '../engine/engine-interface.ts';
import { judgedSeqStart } from '../judge/ack-rule.ts';
import type { SimFs } from '../disk/sim-fs.ts';
import { finding, type Finding } from '../judge/finding.ts';
import { scanAll } from '../judge/observe.ts';
import { DB_DIR } from '../disk/db-files.ts';
import { closeQuietly, open, type OpenTarget, type Opened, readOnlyOpen } from './open-judged.ts';
import { type LifecycleRun, openWhileClosing } from './lifecycle-steps.ts';
import type { Cycle, RecoveryMode, Step, Wave } from './scenario.ts';
import type { ScenarioState } from './scenario-state.ts';

export interface CycleEnd {
  readonly finding: Finding | null;
  /** False when the log could not be opened any more (allowed under bit rot): the scenario ends. */
  readonly reopenable: boolean;
}

export class CycleRun implements OpenTarget, LifecycleRun {
  readonly mode: RecoveryMode;
  /** The first violation an acknowledgement or a refused write showed (they settle concurrently). */
  private writeFinding: Finding | null = null;
  private firstAckOfEpoch = true;
  /** Faults fired on this filesystem before the open database was opened. */
  private faultsAtOpen = 0;
  /** What the engine is given: `fs` behind the liveness budget (bounded-fs.ts). */
  readonly engineFs: BoundedFs;
  /** close() was called with writes in flight: those may be refused CLOSED. */
  closing = false;

  constructor(
    readonly state: ScenarioState,
    /** The cycle's index (the scenario's cycle count for the final recovery). */
    readonly index: number,
    readonly fs: SimFs,
    mode: RecoveryMode,
  ) {
    // An engine without recovery modes opens in its one mode, judged as the default.
    this.mode = state.features.recoveryModes === true ? mode : 'tolerate-tail';
    this.engineFs = new BoundedFs(fs);
  }

  async run(cycle: Cycle): Promise<CycleEnd> {
    if (cycle.readOnlyFirst && this.state.features.readOnly === true) {
      const found = await readOnlyOpen(this);
      if (found !== null || this.fs.crashed) return { finding: found, reopenable: true };
    }
    const opened = await this.open('recovery');
    if (opened.db === null || opened.finding !== null) return this.notOpened(opened);
    this.state.bitRot = undefined;
    this.state.damage = undefined;
    return this.steps(cycle.steps, opened.db);
  }

  /** The final recovery of the last crash: no crash point, no fault. */
  async finalRecovery(): Promise<Finding | null> {
    const opened = await this.open('final recovery');
    if (opened.db !== null && opened.finding === null) {
      const closed = await this.close(opened.db);
      if (closed !== true) return closed === false ? this.failClosed() : closed;
    } else await opened.db?.close();
    return opened.finding ?? this.failClosed();
  }

  private async steps(steps: readonly Step[], first: CrashTestDatabase): Promise<CycleEnd> {
    const inFlight: Promise<void>[] = [];
    let db = first;
    let open = true;
    for (const step of steps) {
      if (this.writeFinding !== null || this.fs.crashed) break;
      if ('wave' in step) {
        const stalled = await this.wave(db, step.wave, inFlight);
        if (stalled !== null) return { finding: stalled, reopenable: true };
        continue;
      }
      if ('secondOpen' in step) {
        // LOCKED is walcheck's API: other engines through the interface promise no lock.
        const found = this.state.quarantine === null ? null : await this.secondOpen();
        if (found !== null) return { finding: found, reopenable: true };
        continue;
      }
      const closeFirst = 'closeQueued' in step || 'openWhileClosing' in step;
      if (!closeFirst) {
        const stalled = await this.settleAll(
          inFlight,
          `writes before a ${'read' in step ? 'read' : 'reopen'}`,
        );
        if (stalled !== null) return { finding: stalled, reopenable: true };
      }
      if (this.writeFinding !== null || this.fs.crashed) break;
      if ('read' in step) {
        const found = this.liveRead(db);
        if (found !== null) return { finding: found, reopenable: true };
        continue;
      }
      const closed = !closeFirst
        ? await this.close(db)
        : 'openWhileClosing' in step
          ? await openWhileClosing(this, db, inFlight)
          : await this.closeQueued(db, inFlight);
      if (closed !== true && closed !== false) return { finding: closed, reopenable: true };
      if (!closed || this.fs.crashed || this.writeFinding !== null) {
        open = false;
        break;
      }
      const reopened = await this.open('reopen');
      if (reopened.db === null || reopened.finding !== null) return this.notOpened(reopened);
      db = reopened.db;
    }
    const stalled = await this.settleAll(inFlight, 'writes at the end of the cycle');
    if (stalled !== null) return { finding: stalled, reopenable: true };
    // A live read ends every cycle (cheap: the key space is small).
    const read = this.writeFinding === null && !this.fs.crashed && open ? this.liveRead(db) : null;
    return { finding: this.writeFinding ?? read ?? this.failClosed(), reopenable: true };
  }

  /** Submits a wave's batches back to back; a settling wave awaits them all. */
  private async wave(
    db: CrashTestDatabase,
    wave: Wave,
    inFlight: Promise<void>[],
  ): Promise<Finding | null> {
    // Changing a batch after write() is refused by walcheck's engine (its API says so); other
    // engines promise nothing about it, so only walcheck's is given such a caller.
    const tamper = this.state.quarantine === null ? undefined : wave.tamper;
    for (const [i, batch] of wave.batches.entries()) {
      if (i !== tamper) {
        inFlight.push(this.submit(db, batch, false));
        continue;
      }
      const copy = ownCopy(batch); // the caller changes its own bytes after write() returned
      inFlight.push(this.submit(db, copy, true));
      detachLongest(copy);
    }
    return wave.settle ? this.settleAll(inFlight, 'writes of a wave') : null;
  }

  /** Awaits `promise` within the liveness bound; STALLED (and a finding) when it cannot settle. */
  async within<T>(
    promise: Promise<T>,
    what: string,
  ): Promise<{ value: T } | { stalled: Finding | null }> {
    const judged = await settleJudged(this.engineFs, this.fs, promise, this.state.history, what);
    if (judged.settled) return judged;
    // Null when the process died (the crash point froze the filesystem).
    return { stalled: judged.stalled === null ? null : finding(judged.stalled, 'liveness') };
  }

  /** Awaits every write in flight (emptying the list): a finding when one never settles. */
  async settleAll(inFlight: Promise<void>[], what: string): Promise<Finding | null> {
    if (inFlight.length === 0) return null;
    const settled = await this.within(Promise.all(inFlight.splice(0)), what);
    // A stall after the crash point is no finding: the steps then see the crash and stop.
    return 'stalled' in settled ? settled.stalled : null;
  }

  /** close(): true when closed, false when it failed, a finding when it never completed. */
  private async close(db: CrashTestDatabase): Promise<boolean | Finding> {
    try {
      const closed = await this.within(db.close(), 'close');
      if ('stalled' in closed) return closed.stalled ?? false;
      return true;
    } catch {
      return false;
    }
  }

  /** close() with writes still queued: each must settle (acked and durable, or refused CLOSED). */
  private async closeQueued(
    db: CrashTestDatabase,
    inFlight: Promise<void>[],
  ): Promise<boolean | Finding> {
    this.closing = true;
    const closed = await this.close(db);
    const stalled = await this.settleAll(inFlight, 'writes queued when close() was called');
    this.closing = false;
    return stalled ?? closed;
  }

  /** A second writable open while the database is open: must fail LOCKED and leave the first alone. */
  private async secondOpen(): Promise<Finding | null> {
    const faultsBefore = this.fs.faultsFired;
    const options = { fs: this.engineFs, ...sizeHints(this.state.scenario) };
    let second: { value: CrashTestDatabase } | { stalled: Finding | null };
    try {
      second = await this.within(this.state.engine.open(DB_DIR, options), 'second writable open');
    } catch (error) {
      const injected = this.fs.crashed || this.fs.faultsFired > faultsBefore;
      const outcome = { opened: false as const, code: errorCode(error), injected };
      return finding(checkSecondOpen(outcome), 'second writable open');
    }
    if ('stalled' in second) return second.stalled;
    const found = finding(checkSecondOpen({ opened: true }), 'second writable open');
    await closeQuietly(second.value);
    return found;
  }

  /** Issues one batch; the promise settles after the ack or rejection was recorded and judged. */
  private submit(db: CrashTestDatabase, batch: Batch, tampered: boolean): Promise<void> {
    const { history, stats } = this.state;
    const id = history.issue(batch);
    stats.batches++;
    return db.write(batch).then(
      (result) => {
        const seqStart = judgedSeqStart(db, result);
        history.ack(id, seqStart);
        stats.acks++;
        if (this.writeFinding !== null) return;
        // Rule 5 at each ack: numbered right after the batch before it (refused ones take no numbers).
        const event = history.events[history.events.length - 1]!;
        if (event.type === 'ack' && this.note(checkAckSeq(event) ?? PASS, 'ack: sequence numbers'))
          return;
        if (this.firstAckOfEpoch) {
          this.firstAckOfEpoch = false;
          if (
            seqStart !== undefined &&
            this.note(judgeFirstAck(history, seqStart), 'first ack after recovery')
          )
            return;
        }
        const durable = this.state.ackRule(history, id, this.fs);
        if (!(durable instanceof Promise)) this.note(durable, 'ack');
        else return durable.then((verdict) => void this.note(verdict, 'ack'));
      },
      (error: unknown) => {
        const code = errorCode(error);
        if (this.fs.crashed) {
          // The process died: the batch is simply unacknowledged, unless the engine had refused
          // it before writing it (its rejection may run after the crash point froze the disk).
          if (REFUSED_BEFORE_WRITE_CODES.includes(code)) history.fail(id, code);
          return;
        }
        history.fail(id, code);
        const asked =
          refusalExpected(this.state.scenario, history.batch(id).ops, code, tampered) ||
          (code === 'CLOSED' && this.closing);
        // Nothing failed underneath this database: an engine that refuses to go on breaks rule 5.
        const excused = asked || this.fs.faultsFired !== this.faultsAtOpen;
        this.note(checkRefusedWrite(code, errorMessage(error), excused), 'write');
      },
    );
  }

  /** Keeps the first violation of the cycle's writes; true when this verdict is one. */
  private note(verdict: Verdict, phase: string): boolean {
    if (verdict.ok) return false;
    this.writeFinding ??= { verdict, phase };
    return true;
  }

  private async open(phase: string): Promise<Opened> {
    const opened = await open(this, phase);
    if (opened.db !== null && opened.finding === null) {
      this.firstAckOfEpoch = true;
      this.faultsAtOpen = opened.faultsBefore;
    }
    return opened;
  }

  private notOpened(opened: Opened): CycleEnd {
    return {
      finding: opened.finding,
      reopenable:
        this.fs.crashed || (this.state.bitRot === undefined && this.state.damage === undefined),
    };
  }

  /** A read at the latest state shows the model after every batch (unless which line is open). */
  private liveRead(db: CrashTestDatabase): Finding | null {
    const { history } = this.state;
    const entries = scanAll(db, undefined);
    if (history.undecidedFailures().length > 0)
      return finding(checkFailedAbsent(history, entries), 'read after a failed write');
    const latest = finding(checkLatestRead(history, entries), 'read');
    if (latest !== null) return latest;
    return this.state.quarantine === null
      ? null
      : finding(judgeScans(db, this.state.scenario.scans ?? [], history), 'read: bounded scans');
  }

  private failClosed(): Finding | null {
    return finding(checkFailClosed(this.state.history.events), 'fail-closed');
  }
}
