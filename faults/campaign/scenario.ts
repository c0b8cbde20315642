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
import type { ScanBounds } from '../../model/check-scans.ts';
import type { OutcomeKind } from '../disk/crash-outcome.ts';
import type { FaultRule } from '../disk/fault-plan.ts';
import type { DamagePlan } from '../disk/damage-steps.ts';
import { KEY_SPACE, keyOf } from '../judge/key-space.ts';

/** One wave: batches submitted back to back by concurrent writers, then maybe awaited. */
export interface Wave {
  readonly batches: readonly Batch[];
  /** Await every batch of the wave before the next step (else they stay in flight). */
  readonly settle: boolean;
  /** This batch's caller changes its bytes right after write() (refusal-steps.ts). */
  readonly tamper?: number;
}

export type Step =
  | { readonly wave: Wave }
  | { readonly reopen: true }
  | { readonly read: true }
  /** close() with writes still in flight, then reopen: every write settles, every ack survives. */
  | { readonly closeQueued: true }
  /** A second writable open while the database is open: must fail LOCKED. */
  | { readonly secondOpen: true }
  /**
   * close() with writes still in flight and, before it resolves, a second writable open of the
   * directory (lifecycle-steps.ts): refused LOCKED (or BUSY) while the first still holds the
   * lock, or held until close() resolved; then the reopen must show every acked batch.
   */
  | { readonly openWhileClosing: true };

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
  /** Damage to the previous crash's image before this cycle opens it (damage-steps.ts). */
  readonly damage?: DamagePlan;
}

export interface Scenario {
  readonly segmentBytesMax: number;
  readonly groupBytesMax: number;
  readonly cycles: readonly Cycle[];
  /** Open option: batches over it are refused (BATCH_TOO_LARGE); the engine's default when absent. */
  readonly batchBytesMax?: number;
  /** Open option: writes past a full queue are refused (BUSY); the engine's default when absent. */
  readonly queueBatchesMax?: number;
  /** Bounded scans run at every judged recovery and live read (scan-steps.ts); none when absent. */
  readonly scans?: readonly ScanBounds[];
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
  // Four cycles at most (1.9 on average with three) keep each scenario's crash work at least
  // that of the campaign before the blind-spot steps (issue 11) took some of its cycles and
  // batches: crash points, recoveries, batches and acks per scenario.
  cyclesMax: 4,
  batchesMax: 40,
  faults: true,
};

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
    .record({
      // Up to 5 concurrent writers: groups of 1 to 5 batches (more with waves in flight).
      batches: fc.array(batchArb, { minLength: 1, maxLength: 5 }),
      settle: fc.boolean(),
      // One wave in ten has a caller that changes its batch after write().
      tamper: fc.oneof(
        { withCrossShrink: true },
        { weight: 9, arbitrary: fc.constant(undefined) },
        { weight: 1, arbitrary: fc.nat(4) },
      ),
    })
    .map(({ batches, settle, tamper }) => ({
      wave:
        tamper === undefined || tamper >= batches.length
          ? { batches, settle }
          : { batches, settle, tamper },
    }));
  const step: fc.Arbitrary<Step> = fc.oneof(
    { weight: 12, arbitrary: wave },
    { weight: 1, arbitrary: fc.constant({ reopen: true as const }) },
    { weight: 1, arbitrary: fc.constant({ read: true as const }) },
    { weight: 1, arbitrary: fc.constant({ closeQueued: true as const }) },
    { weight: 1, arbitrary: fc.constant({ secondOpen: true as const }) },
    { weight: 1, arbitrary: fc.constant({ openWhileClosing: true as const }) },
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
    // points fall in the first 1.25 x batchesMax operations, where nearly every cycle still
    // runs (an open takes ~20 of them since the lock protocol and the O_DSYNC log, so this
    // reaches as many acknowledgements as batchesMax did before), fewer up to 2 x batchesMax,
    // and some anywhere up to 6 x batchesMax, so that late operations are crash points too:
    // about 2 crashes in 3 land inside the cycle.
    opIndex: fc.oneof(
      { withCrossShrink: true },
      { weight: 6, arbitrary: fc.nat(Math.round(1.25 * shape.batchesMax)) },
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
  // Structural damage before one cycle in five (none in the first: it opens an empty disk).
  const damage = fc.oneof(
    { withCrossShrink: true },
    { weight: 4, arbitrary: fc.constant(undefined) },
    {
      weight: 1,
      arbitrary: fc.record({
        kind: fc.constantFrom('cut' as const, 'field' as const),
        seed: fc.nat(),
      }),
    },
  );
  return fc
    .record({ recovery, readOnlyFirst, steps: stepsArb(shape.batchesMax), crash, fault, damage })
    .map(({ damage: plan, ...cycle }) => (plan === undefined ? cycle : { ...cycle, damage: plan }));
}

/** A scan bound: a key of the key space, just after one (between two keys), or past them all. */
const boundKeyArb: fc.Arbitrary<Uint8Array> = fc.oneof(
  { weight: 3, arbitrary: fc.nat(KEY_SPACE - 1).map(keyOf) },
  {
    weight: 1,
    arbitrary: fc.nat(KEY_SPACE - 1).map((i) => Uint8Array.from([...keyOf(i), 0])),
  },
  { weight: 1, arbitrary: fc.constant(keyOf(KEY_SPACE)) },
);

function optional<T>(arb: fc.Arbitrary<T>): fc.Arbitrary<T | undefined> {
  return fc.option(arb, { nil: undefined, freq: 3 });
}

/** Scan options: a lower and an upper bound (each gt/gte/lt/lte or none), reverse, a limit. */
export const scanArb: fc.Arbitrary<ScanBounds> = fc
  .record({
    lower: optional(fc.record({ key: boundKeyArb, inclusive: fc.boolean() })),
    upper: optional(fc.record({ key: boundKeyArb, inclusive: fc.boolean() })),
    reverse: fc.boolean(),
    limit: optional(fc.nat(4)),
  })
  .map(({ lower, upper, reverse, limit }) => {
    const bounds: { -readonly [K in keyof ScanBounds]: ScanBounds[K] } = {};
    if (lower !== undefined) bounds[lower.inclusive ? 'gte' : 'gt'] = lower.key;
    if (upper !== undefined) bounds[upper.inclusive ? 'lte' : 'lt'] = upper.key;
    if (reverse) bounds.reverse = true;
    if (limit !== undefined) bounds.limit = limit;
    return bounds;
  });

export function scenarioArb(shape: ScenarioShape = DEFAULT_SHAPE): fc.Arbitrary<Scenario> {
  return fc
    .record({
      segmentBytesMax: fc.constantFrom(1 << 20, 1024, 300),
      groupBytesMax: fc.constantFrom(1 << 20, 200),
      cycles: fc.array(cycleArb(shape), { minLength: 1, maxLength: shape.cyclesMax }),
      scans: fc.array(scanArb, { minLength: 0, maxLength: 3 }),
      // Now and then limits low enough that the engine refuses some writes before writing them.
      limits: weighted<{ batchBytesMax?: number; queueBatchesMax?: number }>(
        [6, {}],
        [1, { batchBytesMax: 600 }],
        [1, { queueBatchesMax: 2 }],
      ),
    })
    .map(({ limits, ...scenario }) => ({ ...scenario, ...limits }));
}

export function batchCount(scenario: Scenario): number {
  let count = 0;
  for (const cycle of scenario.cycles)
    for (const step of cycle.steps) if ('wave' in step) count += step.wave.batches.length;
  return count;
}
