// A crash scenario as plain data, and the fast-check arbitrary that generates (and shrinks)
// it. A scenario is a few cycles; each cycle opens (recovering what the previous crash
// left) in its recovery mode, maybe after a read-only open of the same state, runs a
// workload of concurrent writers, and crashes at a chosen operation with a chosen outcome,
// in about one cycle in four with one injected operation failure.
//
// Crash points are operation indices counted from the cycle's first operation (its open).
// A point past the cycle's last operation means "crash after everything": the scenario
// needs no dry run to know how many operations a cycle takes, and shrinking moves the
// crash towards the start.

import fc from 'fast-check';
import type { Batch, BatchOp } from '../../src/batch.ts';
import type { OutcomeKind } from '../crash-outcome.ts';
import type { FaultRule } from '../fault-plan.ts';

/** One wave: batches submitted back to back by concurrent writers, then maybe awaited. */
export interface Wave {
  readonly batches: readonly Batch[];
  /** Await every batch of the wave before the next step (else they stay in flight). */
  readonly settle: boolean;
}

export type Step = { readonly wave: Wave } | { readonly reopen: true } | { readonly read: true };

export interface CrashPlan {
  readonly opIndex: number;
  readonly when: 'before' | 'after';
  readonly outcome: OutcomeKind;
  /** Seeds the outcome's own choices (cut byte, torn sectors, kept metadata, flipped bits). */
  readonly outcomeSeed: number;
}

export type RecoveryMode = 'strict' | 'tolerate-tail' | 'point-in-time';

export interface Cycle {
  /** Every open of the cycle uses this mode; strict refuses a torn tail (the cycle then ends). */
  readonly recovery: RecoveryMode;
  /** Before the writable open, open read-only: judged like a recovery, and nothing may change. */
  readonly readOnlyFirst: boolean;
  readonly steps: readonly Step[];
  readonly crash: CrashPlan;
  readonly fault: FaultRule | null;
}

export interface Scenario {
  readonly segmentBytesMax: number;
  readonly groupBytesMax: number;
  readonly cycles: readonly Cycle[];
}

export interface ScenarioShape {
  /** Crash outcomes the campaign allows. */
  readonly outcomes: readonly OutcomeKind[];
  /** Cycles (crash-recover rounds) per scenario, at most. */
  readonly cyclesMax: number;
  /** Batches per cycle, at most. */
  readonly batchesMax: number;
  /** Inject operation failures (write/datasync errors, short writes, open/rename/truncate/syncDir EIO). */
  readonly faults: boolean;
}

export const DEFAULT_SHAPE: ScenarioShape = {
  outcomes: ['lose-unsynced', 'keep-prefix', 'tear-sectors', 'reorder-metadata'],
  cyclesMax: 3,
  batchesMax: 40,
  faults: true,
};

/** Keys come from a small space so that writes collide, overwrite and delete each other. */
export const KEY_SPACE = 8;

export function keyOf(index: number): Uint8Array {
  return index === 0 ? new Uint8Array(0) : Uint8Array.of(0x60 + index); // index 0: the empty key
}

const valueArb = fc.oneof(
  { weight: 6, arbitrary: fc.uint8Array({ maxLength: 24 }) },
  // Now and then a value large enough for records to span 512-byte sectors and segments.
  {
    weight: 1,
    arbitrary: fc.integer({ min: 200, max: 700 }).map((n) => new Uint8Array(n).fill(n & 0xff)),
  },
);

const opArb: fc.Arbitrary<BatchOp> = fc.oneof(
  {
    weight: 4,
    arbitrary: fc.record({
      type: fc.constant('put' as const),
      key: fc.nat(KEY_SPACE - 1).map(keyOf),
      value: valueArb,
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      type: fc.constant('del' as const),
      key: fc.nat(KEY_SPACE - 1).map(keyOf),
    }),
  },
);

const batchArb: fc.Arbitrary<Batch> = fc.array(opArb, { minLength: 1, maxLength: 4 });

function stepsArb(batchesMax: number): fc.Arbitrary<Step[]> {
  const wave = fc
    .record({ batches: fc.array(batchArb, { minLength: 1, maxLength: 4 }), settle: fc.boolean() })
    .map((w) => ({ wave: w }));
  const step: fc.Arbitrary<Step> = fc.oneof(
    { weight: 12, arbitrary: wave },
    { weight: 1, arbitrary: fc.constant({ reopen: true as const }) },
    { weight: 1, arbitrary: fc.constant({ read: true as const }) },
  );
  return fc.array(step, { minLength: 1, maxLength: Math.max(1, Math.ceil(batchesMax / 2.5)) });
}

const faultArb: fc.Arbitrary<FaultRule> = fc.oneof(
  fc.record({
    // dsync: the sync half of the log's O_DSYNC writes (every group has one); datasync:
    // recovery's syncs (a few per writable open), so drawn less often
    op: fc.oneof(
      { weight: 3, arbitrary: fc.constant('dsync' as const) },
      { weight: 1, arbitrary: fc.constant('datasync' as const) },
    ),
    nth: fc.nat(6),
    fault: fc.constantFrom('EIO' as const, 'ENOSPC' as const),
  }),
  fc.record({
    op: fc.constant('write' as const),
    nth: fc.nat(6),
    fault: fc.constantFrom('EIO' as const, 'ENOSPC' as const),
  }),
  fc.record({
    op: fc.constant('write' as const),
    nth: fc.nat(6),
    fault: fc.constant('short' as const),
  }),
  fc.record({
    op: fc.constantFrom(
      'open' as const,
      'rename' as const,
      'truncate' as const,
      'syncDir' as const,
    ),
    nth: fc.nat(2),
    fault: fc.constant('EIO' as const),
  }),
);

/** Plain weighted choice that shrinks towards the first (the most common, simplest) value. */
function weighted<T>(
  ...choices: readonly (readonly [weight: number, value: T])[]
): fc.Arbitrary<T> {
  return fc.oneof(
    { withCrossShrink: true },
    ...choices.map(([weight, value]) => ({ weight, arbitrary: fc.constant(value) })),
  );
}

function cycleArb(shape: ScenarioShape): fc.Arbitrary<Cycle> {
  const crash = fc.record({
    // Cycles take a median of ~40 operations (p90 ~85, a long tail to ~250). Most crash
    // points fall in the first batchesMax operations, where nearly every cycle still runs,
    // fewer up to 2 x batchesMax, and some anywhere up to 6 x batchesMax, so that late
    // operations are crash points too: about 2 crashes in 3 land inside the cycle.
    opIndex: fc.oneof(
      { withCrossShrink: true },
      { weight: 6, arbitrary: fc.nat(shape.batchesMax) },
      { weight: 3, arbitrary: fc.nat(2 * shape.batchesMax) },
      { weight: 1, arbitrary: fc.nat(6 * shape.batchesMax) },
    ),
    when: fc.constantFrom('before' as const, 'after' as const),
    outcome: fc.constantFrom(...shape.outcomes),
    outcomeSeed: fc.nat(),
  });
  // A fault in one cycle in four (shrinks to none).
  const fault = shape.faults
    ? fc.oneof(
        { withCrossShrink: true },
        { weight: 3, arbitrary: fc.constant(null) },
        { weight: 1, arbitrary: faultArb },
      )
    : fc.constant(null);
  const recovery = weighted<RecoveryMode>(
    [12, 'tolerate-tail'],
    [3, 'point-in-time'],
    [1, 'strict'],
  );
  const readOnlyFirst = weighted([3, false], [1, true]);
  return fc.record({ recovery, readOnlyFirst, steps: stepsArb(shape.batchesMax), crash, fault });
}

export function scenarioArb(shape: ScenarioShape = DEFAULT_SHAPE): fc.Arbitrary<Scenario> {
  return fc.record({
    segmentBytesMax: fc.constantFrom(1 << 20, 1024, 300),
    groupBytesMax: fc.constantFrom(1 << 20, 200),
    cycles: fc.array(cycleArb(shape), { minLength: 1, maxLength: shape.cyclesMax }),
  });
}

export function batchCount(scenario: Scenario): number {
  let count = 0;
  for (const cycle of scenario.cycles)
    for (const step of cycle.steps) if ('wave' in step) count += step.wave.batches.length;
  return count;
}
