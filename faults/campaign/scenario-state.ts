// What lives across the cycles of one scenario (per-cycle state lives in cycle-run.ts): the
// engine and what it supports, the history the oracle judges, rule 8's memory, bit rot not
// yet set aside, and the last crash, described for reports.

import { History } from '../../model/history.ts';
import type { BitRot, RecoveryContext } from '../../model/check-recovery.ts';
import type { TraceEntry } from '../disk/op-trace.ts';
import type { CrashTestEngine, CrashTestFeatures } from '../engine/engine-interface.ts';
import { type AckRule, ackRuleFor } from '../judge/ack-rule.ts';
import type { Damage } from '../disk/bit-rot-damage.ts';
import { writesWalcheckWal } from '../engine/engine-under-test.ts';
import { DB_DIR } from '../disk/db-files.ts';
import { QuarantineJudge } from '../judge/quarantine-judge.ts';
import type { RecoveryMode, Scenario } from './scenario.ts';
import type { ScenarioStats } from './stats.ts';

/** The crash that led to the state being judged. */
export interface CrashRecord {
  readonly text: string;
  /** The operation index at which the cycle crashed (null: after its last operation, or none yet). */
  readonly opIndex: number | null;
  /** The trace of the cycle that crashed last, up to its crash (empty unless traced). */
  readonly trace: readonly TraceEntry[];
}

export interface ScenarioState {
  readonly engine: CrashTestEngine;
  readonly features: CrashTestFeatures;
  readonly scenario: Scenario;
  readonly stats: ScenarioStats;
  readonly traced: boolean;
  readonly history: History;
  /** Rule 1 at each acknowledgement, as the engine's format allows. */
  readonly ackRule: AckRule;
  /** Rule 8 and refusal naming: only for engines writing walcheck's WAL. */
  readonly quarantine: QuarantineJudge | null;
  /** Bit rot of a crash that touched a valid record, until a recovery sets it aside. */
  bitRot: Damage | undefined;
  /** Structural damage (damage-steps.ts) not yet set aside by a successful writable open. */
  damage: BitRot | undefined;
  lastCrash: CrashRecord;
}

export function scenarioState(
  engine: CrashTestEngine,
  scenario: Scenario,
  stats: ScenarioStats,
  traced: boolean,
): ScenarioState {
  return {
    engine,
    features: engine.features ?? {},
    scenario,
    stats,
    traced,
    history: new History(),
    ackRule: ackRuleFor(engine, DB_DIR, sizeHints(scenario)),
    quarantine: writesWalcheckWal(engine) ? new QuarantineJudge() : null,
    bitRot: undefined,
    damage: undefined,
    lastCrash: { text: 'none yet', opIndex: null, trace: [] },
  };
}

export function sizeHints(scenario: Scenario): {
  segmentBytesMax: number;
  groupBytesMax: number;
} {
  return { segmentBytesMax: scenario.segmentBytesMax, groupBytesMax: scenario.groupBytesMax };
}

/** What the oracle is told of the recovery being judged. */
export function recoveryContext(state: ScenarioState, mode: RecoveryMode): RecoveryContext {
  const base = { outcome: state.lastCrash.text, recovery: mode };
  const damage = state.bitRot?.context ?? state.damage;
  return damage === undefined ? base : { ...base, bitRot: damage };
}
