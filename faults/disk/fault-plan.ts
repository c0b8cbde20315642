// Injected operation failures, as plain data so a failing scenario can be printed and replayed.
//
// A rule names an operation kind and either the nth occurrence of that kind (from 0, counting
// every attempt of that kind, failed ones too) or a global operation index, or both (then both
// must match), or neither (every occurrence fails). The first matching rule wins.
//
//   fault     op          effect
//   EIO       datasync    fsyncgate (Linux): the file's unsynced data is marked clean without
//   ENOSPC    datasync      becoming durable; reads still see it, a later datasync never syncs it
//   EIO       write       nothing written, rejects
//   ENOSPC    write       nothing written, rejects
//   short     write       writes a prefix (`bytes`, or a seeded length in [1, n) ) and returns it
//   EIO       dsync       the sync half of an O_DSYNC write (Linux): as a failed datasync,
//   ENOSPC    dsync         the bytes just written stay readable but never durable; rejects
//                         (a short O_DSYNC write is a short 'write': its prefix is synced)
//   EIO/...   any other   the operation rejects and changes nothing

import { OP_KINDS } from './op-trace.ts';
import type { OpKind } from './op-trace.ts';

export type FaultKind = 'EIO' | 'ENOSPC' | 'short';

export interface FaultRule {
  op: OpKind;
  /** The nth occurrence (from 0) of `op`. */
  nth?: number;
  /** The global operation index (as in the trace). */
  index?: number;
  fault: FaultKind;
  /** short write: bytes actually written. */
  bytes?: number;
}

export type FaultPlan = readonly FaultRule[];

export function validateFaultPlan(plan: FaultPlan): void {
  for (const rule of plan) {
    if (!(OP_KINDS as readonly string[]).includes(rule.op))
      throw new RangeError(`fault plan: unknown op ${rule.op}`);
    if (rule.fault === 'short' && rule.op !== 'write')
      throw new RangeError(`fault plan: short applies to write only`);
    if (!['EIO', 'ENOSPC', 'short'].includes(rule.fault))
      throw new RangeError(`fault plan: unknown fault ${rule.fault}`);
    for (const n of [rule.nth, rule.index, rule.bytes]) {
      if (n !== undefined && !(Number.isSafeInteger(n) && n >= 0))
        throw new RangeError(`fault plan: bad number ${n}`);
    }
  }
}

/** Matches operations against a plan, counting occurrences per kind. */
export class FaultInjector {
  private readonly plan: FaultPlan;
  private readonly seen = new Map<OpKind, number>();

  constructor(plan: FaultPlan) {
    validateFaultPlan(plan);
    this.plan = plan;
  }

  /** Called once per operation, in order: the rule that fails it, if any. */
  take(op: OpKind, index: number): FaultRule | undefined {
    const nth = this.seen.get(op) ?? 0;
    this.seen.set(op, nth + 1);
    for (const rule of this.plan) {
      if (rule.op !== op) continue;
      if (rule.nth !== undefined && rule.nth !== nth) continue;
      if (rule.index !== undefined && rule.index !== index) continue;
      return rule;
    }
    return undefined;
  }
}
