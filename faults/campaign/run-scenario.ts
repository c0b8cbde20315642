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
//
// Each cycle runs in cycle-run.ts (opens judged in open-judged.ts); rule 8 across cycles is
// quarantine-judge.ts. A check returns a verdict; the first violation ends the scenario, here.

import type { Violation } from '../../model/verdict.ts';
import {
  type CrashOutcome,
  describeOutcome,
  type OutcomeKind,
  randomOutcome,
} from '../disk/crash-outcome.ts';
import type { TraceEntry } from '../disk/op-trace.ts';
import { Rng } from '../base/rng.ts';
import { SimFs, type SimFsOptions } from '../disk/sim-fs.ts';
import { applyDamage } from '../disk/damage-steps.ts';
import { damagedBatch } from '../disk/bit-rot-damage.ts';
import { CycleRun } from './cycle-run.ts';
import { asCrashTestEngine, type EngineUnderTest } from '../engine/engine-under-test.ts';
import type { Finding } from '../judge/finding.ts';
import type { Cycle, Scenario } from './scenario.ts';
import { type ScenarioState, scenarioState } from './scenario-state.ts';
import type { ScenarioStats } from './stats.ts';

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
  engine: EngineUnderTest,
  scenario: Scenario,
  stats: ScenarioStats,
  options: RunOptions = {},
): Promise<ScenarioViolation | null> {
  const state = scenarioState(asCrashTestEngine(engine), scenario, stats, options.trace === true);
  let previous: { fs: SimFs; outcome: CrashOutcome } | null = null;
  for (const [index, cycle] of scenario.cycles.entries()) {
    const options = {
      crashAt: { opIndex: cycle.crash.opIndex, when: cycle.crash.when },
      faults: cycle.fault === null ? [] : [cycle.fault],
      trace: state.traced,
      seed: cycle.crash.outcomeSeed,
    };
    let fs: SimFs =
      previous === null ? new SimFs(options) : previous.fs.crashImage(previous.outcome, options);
    if (previous !== null && cycle.damage !== undefined) fs = damaged(state, cycle, fs, options);
    if (cycle.fault !== null) stats.faultsInjected++;
    const run = new CycleRun(state, index, fs, cycle.recovery);
    const end = await run.run(cycle);
    stats.faultsFired += fs.faultsFired;
    if (end.finding !== null) return violationOf(state, run, end.finding);
    if (!end.reopenable) return null;
    previous = { fs, outcome: crash(state, index, cycle, fs) };
  }
  if (previous === null) return null;
  const image = previous.fs.crashImage(previous.outcome, { trace: state.traced });
  const last = new CycleRun(state, scenario.cycles.length, image, 'tolerate-tail');
  const found = await last.finalRecovery();
  return found === null ? null : violationOf(state, last, found);
}

/** The crash image with a record damaged before the cycle opens it (damage-steps.ts), when it applies. */
function damaged(state: ScenarioState, cycle: Cycle, fs: SimFs, options: SimFsOptions): SimFs {
  if (state.bitRot !== undefined || state.quarantine === null) return fs;
  const applied = applyDamage(fs, cycle.damage!, options);
  if (applied === null) return fs;
  state.damage = applied.context;
  state.quarantine.changedByHarness();
  state.lastCrash = {
    ...state.lastCrash,
    text: `${state.lastCrash.text}; then damaged: ${applied.text}`,
  };
  state.stats.damaged++;
  if (applied.earlier) state.stats.damagedEarlier++;
  return applied.image;
}

/** Crashes the cycle (if its crash point was not reached, after everything) and picks the outcome. */
function crash(state: ScenarioState, index: number, cycle: Cycle, fs: SimFs): CrashOutcome {
  const { stats } = state;
  const opIndex = fs.crashed ? cycle.crash.opIndex : null;
  fs.crashNow();
  const outcome = randomOutcome(fs, cycle.crash.outcome, new Rng(cycle.crash.outcomeSeed));
  stats.crashes++;
  if (opIndex !== null) stats.crashesMidCycle++;
  stats.outcomes[cycle.crash.outcome as OutcomeKind]++;
  const where =
    opIndex === null ? 'after the last operation' : `${cycle.crash.when} op #${opIndex}`;
  state.lastCrash = {
    text: `cycle ${index} crashed ${where}; outcome ${describeOutcome(outcome)}`,
    opIndex,
    trace: fs.trace,
  };
  // Damage stays until a recovery sets it aside (an open that died may or may not have).
  const damage =
    outcome.kind === 'bit-rot' && state.quarantine !== null ? damagedBatch(fs, outcome) : undefined;
  if (
    damage !== undefined &&
    (state.bitRot === undefined || damage.context.seqStart! < state.bitRot.context.seqStart!)
  )
    state.bitRot = damage;
  state.quarantine?.crashed(outcome);
  return outcome;
}

function violationOf(state: ScenarioState, run: CycleRun, found: Finding): ScenarioViolation {
  return {
    verdict: found.verdict,
    cycle: run.index,
    phase: found.phase,
    crash: state.lastCrash.text,
    crashOpIndex: state.lastCrash.opIndex,
    trace: run.fs.trace,
    crashTrace: state.lastCrash.trace,
  };
}
