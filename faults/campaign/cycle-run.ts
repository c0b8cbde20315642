// One cycle of a scenario, up to (not including) its crash: maybe a read-only open, the
// writable open (recovery), then the steps: waves of concurrent writes, each acknowledgement
// judged as it comes (rule 5 at the first of an epoch, rule 1 against the durable view), a
// reopen (judged like a recovery), a read at the latest state (against the model). The cycle
// ends at its first finding, when the simulated process dies, or after its last step.
//
// Per-cycle state lives here; what lasts across cycles is the ScenarioState.

import type { Batch } from '../../src/batch.ts';
import { checkFailClosed } from '../../model/check-fail-closed.ts';
import { judgeFirstAck } from '../../model/judge.ts';
import { errorCode } from '../../model/open-failure.ts';
import { diffStates, keysText, type Verdict, violation } from '../../model/verdict.ts';
import type { CrashTestDatabase } from '../engine-interface.ts';
import { judgedSeqStart } from '../judge.ts';
import type { SimFs } from '../sim-fs.ts';
import { finding, type Finding } from './finding.ts';
import { scanAll } from './observe.ts';
import { closeQuietly, open, type OpenTarget, type Opened, readOnlyOpen } from './open-judged.ts';
import type { Cycle, RecoveryMode, Step, Wave } from './scenario.ts';
import type { ScenarioState } from './scenario-state.ts';

export interface CycleEnd {
  readonly finding: Finding | null;
  /** False when the log could not be opened any more (allowed under bit rot): the scenario ends. */
  readonly reopenable: boolean;
}

export class CycleRun implements OpenTarget {
  readonly mode: RecoveryMode;
  /** The first violation an acknowledgement or a refused write showed (they settle concurrently). */
  private writeFinding: Finding | null = null;
  private firstAckOfEpoch = true;
  /** Faults fired on this filesystem before the open database was opened. */
  private faultsAtOpen = 0;

  constructor(
    readonly state: ScenarioState,
    /** The cycle's index (the scenario's cycle count for the final recovery). */
    readonly index: number,
    readonly fs: SimFs,
    mode: RecoveryMode,
  ) {
    // An engine without recovery modes opens in its one mode, judged as the default.
    this.mode = state.features.recoveryModes === true ? mode : 'tolerate-tail';
  }

  async run(cycle: Cycle): Promise<CycleEnd> {
    if (cycle.readOnlyFirst && this.state.features.readOnly === true) {
      const found = await readOnlyOpen(this);
      if (found !== null || this.fs.crashed) return { finding: found, reopenable: true };
    }
    const opened = await this.open('recovery');
    if (opened.db === null || opened.finding !== null) return this.notOpened(opened);
    this.state.bitRot = undefined;
    return this.steps(cycle.steps, opened.db);
  }

  /** The final recovery of the last crash: no crash point, no fault. */
  async finalRecovery(): Promise<Finding | null> {
    const opened = await this.open('final recovery');
    await opened.db?.close();
    return opened.finding ?? this.failClosed();
  }

  private async steps(steps: readonly Step[], first: CrashTestDatabase): Promise<CycleEnd> {
    const inFlight: Promise<void>[] = [];
    let db = first;
    for (const step of steps) {
      if (this.writeFinding !== null || this.fs.crashed) break;
      if ('wave' in step) {
        await this.wave(db, step.wave, inFlight);
        continue;
      }
      await Promise.all(inFlight.splice(0));
      if (this.writeFinding !== null || this.fs.crashed) break;
      if ('read' in step) {
        const found = this.liveRead(db);
        if (found !== null) return { finding: found, reopenable: true };
        continue;
      }
      if (!(await closeQuietly(db)) || this.fs.crashed) break;
      const reopened = await this.open('reopen');
      if (reopened.db === null || reopened.finding !== null) return this.notOpened(reopened);
      db = reopened.db;
    }
    await Promise.all(inFlight);
    return { finding: this.writeFinding ?? this.failClosed(), reopenable: true };
  }

  /** Submits a wave's batches back to back; a settling wave awaits them all. */
  private async wave(db: CrashTestDatabase, wave: Wave, inFlight: Promise<void>[]): Promise<void> {
    for (const batch of wave.batches) inFlight.push(this.submit(db, batch));
    if (wave.settle) await Promise.all(inFlight.splice(0));
  }

  /** Issues one batch; the promise settles after the ack or rejection was recorded and judged. */
  private submit(db: CrashTestDatabase, batch: Batch): Promise<void> {
    const { history, stats } = this.state;
    const id = history.issue(batch);
    stats.batches++;
    return db.write(batch).then(
      (result) => {
        const seqStart = judgedSeqStart(db, result);
        history.ack(id, seqStart);
        stats.acks++;
        if (this.writeFinding !== null) return;
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
        if (this.fs.crashed) return; // the process died: the batch is simply unacknowledged
        history.fail(id, errorCode(error));
        // Nothing failed underneath this database: an engine that refuses to go on breaks rule 5.
        if (this.fs.faultsFired === this.faultsAtOpen)
          this.note(
            violation(
              5,
              `the engine refused a write with no injected failure and no crash: ${errorCode(error)}: ${(error as Error).message}`,
            ),
            'write',
          );
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
      reopenable: this.fs.crashed || this.state.bitRot === undefined,
    };
  }

  /** A read at the latest state shows the model after every batch (unless which line is open). */
  private liveRead(db: CrashTestDatabase): Finding | null {
    const { history } = this.state;
    if (history.undecidedFailures().length > 0) return null;
    const entries = scanAll(db, undefined);
    const k = history.length;
    if (history.model.equalsAt(entries, k)) return null;
    const diff = diffStates(
      `model after all k=${k} batches → read at the latest state`,
      history.stateAt(k),
      entries,
    );
    return finding(
      violation(4, `a read at the latest state does not show the model after all ${k} batches`, {
        expectedK: [k, k],
        found: keysText(entries),
        diff,
      }),
      'read',
    );
  }

  private failClosed(): Finding | null {
    return finding(checkFailClosed(this.state.history.events), 'fail-closed');
  }
}
