// What a campaign did, summed over its scenarios.

import { OUTCOME_KINDS, type OutcomeKind } from '../disk/crash-outcome.ts';

export interface ScenarioStats {
  scenarios: number;
  crashes: number;
  /** Crashes at a chosen operation (the rest came after the cycle's last operation). */
  crashesMidCycle: number;
  recoveries: number;
  batches: number;
  acks: number;
  faultsInjected: number;
  /** Injected faults that fired (a planned fault may lie past the crash or the cycle's last operation). */
  faultsFired: number;
  /** Opens retried in the process after an injected failure. */
  openRetries: number;
  /** Opens that refused the log as the rules allow (strict mode and a torn tail, or bit rot). */
  openRefusals: number;
  /** Read-only opens judged (each also checked to change nothing). */
  readOnlyOpens: number;
  /** Cycles whose crash image had a record damaged before the open (damage-steps.ts). */
  damaged: number;
  /** ... of them in a segment that is not the last. */
  damagedEarlier: number;
  outcomes: Record<OutcomeKind, number>;
}

export function emptyStats(): ScenarioStats {
  const outcomes = Object.fromEntries(OUTCOME_KINDS.map((kind) => [kind, 0])) as Record<
    OutcomeKind,
    number
  >;
  return {
    scenarios: 0,
    crashes: 0,
    crashesMidCycle: 0,
    recoveries: 0,
    batches: 0,
    acks: 0,
    faultsInjected: 0,
    faultsFired: 0,
    openRetries: 0,
    openRefusals: 0,
    readOnlyOpens: 0,
    damaged: 0,
    damagedEarlier: 0,
    outcomes,
  };
}

export function addStats(into: ScenarioStats, from: ScenarioStats): void {
  into.scenarios += from.scenarios;
  into.crashes += from.crashes;
  into.crashesMidCycle += from.crashesMidCycle;
  into.recoveries += from.recoveries;
  into.batches += from.batches;
  into.acks += from.acks;
  into.faultsInjected += from.faultsInjected;
  into.faultsFired += from.faultsFired;
  into.openRetries += from.openRetries;
  into.openRefusals += from.openRefusals;
  into.readOnlyOpens += from.readOnlyOpens;
  into.damaged += from.damaged;
  into.damagedEarlier += from.damagedEarlier;
  for (const kind of OUTCOME_KINDS) into.outcomes[kind] += from.outcomes[kind];
}
