// A violation the campaign found, with what it was doing: checks return verdicts, a step
// returns its first Finding (or null), and the scenario ends where one comes back.

import type { RecoveryVerdict, Verdict, Violation } from '../../model/verdict.ts';

export interface Finding {
  readonly verdict: Violation;
  /** What the harness was doing: 'recovery', 'ack', 'reopen', 'read', 'final recovery', ... */
  readonly phase: string;
}

export function finding(verdict: Verdict | RecoveryVerdict, phase: string): Finding | null {
  return verdict.ok ? null : { verdict, phase };
}
