// Model-based property: random batches (puts and deletes over a tiny key alphabet, so keys
// collide; empty keys and values included), written singly or concurrently (group commit),
// with close + reopen at random points, read back through get, scan (random bounds,
// reverse, limit) and snapshot reads at random seqs, must equal a plain Map model of the
// same batches. Snapshots are batch-atomic: at seq s a reader sees exactly the batches
// whose last seq is <= s.

import { rm } from 'node:fs/promises';
import fc from 'fast-check';
import { afterAll, expect, it } from 'vitest';
import {
  type Batch,
  type BatchOp,
  Database,
  NodeFileSystem,
  scanLog,
  type ScanOptions,
} from '../src/index.ts';
import { makeTempDir, removeTempDirs } from './support/temp-dirs.ts';

afterAll(removeTempDirs);

const SEED = Number(process.env.WALCHECK_SEED ?? 20_240_611);
const NUM_RUNS = 300;
const fs = new NodeFileSystem();

// ---- generators --------------------------------------------------------------------------

const keyArb = fc
  .array(fc.constantFrom(0x00, 0x01, 0x61, 0xff), { maxLength: 3 })
  .map((bytes) => Buffer.from(bytes));
const valueArb = fc.uint8Array({ maxLength: 6 }).map((bytes) => Buffer.from(bytes));
const opArb: fc.Arbitrary<BatchOp> = fc.oneof(
  {
    weight: 3,
    arbitrary: fc.record({ type: fc.constant('put' as const), key: keyArb, value: valueArb }),
  },
  { weight: 1, arbitrary: fc.record({ type: fc.constant('del' as const), key: keyArb }) },
);
const batchArb: fc.Arbitrary<Batch> = fc.array(opArb, { minLength: 1, maxLength: 5 });

interface ScanChoice {
  lower: { inclusive: boolean; key: Buffer } | undefined;
  upper: { inclusive: boolean; key: Buffer } | undefined;
  reverse: boolean;
  limit: number | undefined;
}

const hex = (bytes: Uint8Array): string => Buffer.from(bytes).toString('hex');
const boundArb = fc.option(fc.record({ inclusive: fc.boolean(), key: keyArb }), { nil: undefined });
const scanArb: fc.Arbitrary<ScanChoice> = fc.record({
  lower: boundArb,
  upper: boundArb,
  reverse: fc.boolean(),
  limit: fc.option(fc.nat({ max: 6 }), { nil: undefined }),
});
/** A snapshot choice: none (latest), or a seq picked relative to lastSeq when the read runs. */
const atArb = fc.option(fc.nat({ max: 1_000 }), { nil: undefined });

type Action =
  | { kind: 'write'; batches: Batch[] }
  | { kind: 'reopen' }
  | { kind: 'get'; key: Buffer; at: number | undefined }
  | { kind: 'scan'; scan: ScanChoice; at: number | undefined }
  | { kind: 'read-only-view' };

const actionArb: fc.Arbitrary<Action> = fc.oneof(
  {
    weight: 5,
    arbitrary: fc.record({
      kind: fc.constant('write' as const),
      batches: fc.array(batchArb, { minLength: 1, maxLength: 4 }),
    }),
  },
  { weight: 1, arbitrary: fc.constant({ kind: 'reopen' as const }) },
  {
    weight: 3,
    arbitrary: fc.record({ kind: fc.constant('get' as const), key: keyArb, at: atArb }),
  },
  {
    weight: 3,
    arbitrary: fc.record({ kind: fc.constant('scan' as const), scan: scanArb, at: atArb }),
  },
  { weight: 1, arbitrary: fc.constant({ kind: 'read-only-view' as const }) },
);

// ---- the model ---------------------------------------------------------------------------

type State = ReadonlyMap<string, Buffer>; // hex key -> value

class Model {
  /** The state after each batch, with that batch's last seq; index 0 is the empty log. */
  private readonly history: { lastSeq: number; state: State }[] = [
    { lastSeq: 0, state: new Map() },
  ];

  get lastSeq(): number {
    return this.history.at(-1)!.lastSeq;
  }

  apply(batch: Batch): { seqStart: number; count: number } {
    const seqStart = this.lastSeq + 1;
    const state = new Map(this.history.at(-1)!.state);
    for (const op of batch) {
      if (op.type === 'put') state.set(hex(op.key), Buffer.from(op.value));
      else state.delete(hex(op.key));
    }
    this.history.push({ lastSeq: seqStart + batch.length - 1, state });
    return { seqStart, count: batch.length };
  }

  /** The state a reader sees at snapshot `at`: the batches whose last seq is <= at. */
  at(at: number | undefined): State {
    if (at === undefined) return this.history.at(-1)!.state;
    let found = this.history[0]!;
    for (const entry of this.history) if (entry.lastSeq <= at) found = entry;
    return found.state;
  }

  scan(options: ScanOptions): [string, string][] {
    const state = this.at(options.at);
    let keys = [...state.keys()].map((hex) => Buffer.from(hex, 'hex')).sort(Buffer.compare);
    keys = keys.filter(
      (key) =>
        (options.gte === undefined || Buffer.compare(key, options.gte) >= 0) &&
        (options.gt === undefined || Buffer.compare(key, options.gt) > 0) &&
        (options.lte === undefined || Buffer.compare(key, options.lte) <= 0) &&
        (options.lt === undefined || Buffer.compare(key, options.lt) < 0),
    );
    if (options.reverse === true) keys.reverse();
    if (options.limit !== undefined) keys = keys.slice(0, options.limit);
    return keys.map((key) => [
      key.toString('hex'),
      state.get(key.toString('hex'))!.toString('hex'),
    ]);
  }
}

// ---- running a case ----------------------------------------------------------------------

function scanOptions(scan: ScanChoice, at: number | undefined): ScanOptions {
  const options: ScanOptions = { reverse: scan.reverse };
  if (scan.lower !== undefined) options[scan.lower.inclusive ? 'gte' : 'gt'] = scan.lower.key;
  if (scan.upper !== undefined) options[scan.upper.inclusive ? 'lte' : 'lt'] = scan.upper.key;
  if (scan.limit !== undefined) options.limit = scan.limit;
  if (at !== undefined) options.at = at;
  return options;
}

function entries(db: Database, options: ScanOptions): [string, string][] {
  return Array.from(db.scan(options), (e) => [e.key.toString('hex'), e.value.toString('hex')]);
}

/** A concrete snapshot seq from a generated choice: 0 .. lastSeq + 1, so "after the end" is covered. */
function snapshotSeq(choice: number | undefined, lastSeq: number): number | undefined {
  return choice === undefined ? undefined : choice % (lastSeq + 2);
}

async function runCase(actions: Action[]): Promise<void> {
  const dir = await makeTempDir('model');
  const model = new Model();
  let db = await Database.open(dir);
  try {
    for (const action of actions) {
      switch (action.kind) {
        case 'write': {
          // Submitted together: they share group commits, and must still get seqs in call order.
          const results = await Promise.all(action.batches.map((batch) => db.write(batch)));
          const expected = action.batches.map((batch) => model.apply(batch));
          expect(results).toEqual(expected);
          expect(db.lastSeq).toBe(model.lastSeq);
          break;
        }
        case 'reopen':
          await db.close();
          db = await Database.open(dir, { recovery: 'strict' });
          expect(db.lastSeq).toBe(model.lastSeq);
          break;
        case 'get': {
          const at = snapshotSeq(action.at, model.lastSeq);
          const got = db.get(action.key, at === undefined ? {} : { at });
          expect(got?.toString('hex'), `get ${action.key.toString('hex')} at ${at}`).toBe(
            model.at(at).get(action.key.toString('hex'))?.toString('hex'),
          );
          break;
        }
        case 'scan': {
          const options = scanOptions(action.scan, snapshotSeq(action.at, model.lastSeq));
          expect(entries(db, options), JSON.stringify(options)).toEqual(model.scan(options));
          break;
        }
        case 'read-only-view': {
          // A second, read-only open recovers from disk: every acknowledged batch is there.
          const view = await Database.open(dir, { readOnly: true, recovery: 'strict' });
          try {
            expect(view.lastSeq).toBe(model.lastSeq);
            expect(entries(view, {})).toEqual(model.scan({}));
          } finally {
            await view.close();
          }
          break;
        }
      }
    }
    expect(entries(db, {})).toEqual(model.scan({}));
  } finally {
    await db.close();
  }
  const scan = await scanLog(fs, dir);
  expect(scan.status).toBe('clean');
  expect(scan.lastSeq).toBe(model.lastSeq);
  await rm(dir, { recursive: true, force: true });
}

it(`engine equals a Map model over random batches, reopens and reads (seed ${SEED}, ${NUM_RUNS} runs; set WALCHECK_SEED to vary)`, async () => {
  console.log(`engine-model property: seed ${SEED} (WALCHECK_SEED), ${NUM_RUNS} runs`);
  await fc.assert(fc.asyncProperty(fc.array(actionArb, { minLength: 1, maxLength: 40 }), runCase), {
    seed: SEED,
    numRuns: NUM_RUNS,
  });
}, 60_000);
