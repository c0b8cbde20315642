// The pure model: prefix states, batch-atomic snapshot reads, truncateTo and failure fates
// of the History, and a seeded property comparing the cached prefix states with a naive
// replay of the batches.

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Batch, BatchOp } from '../src/batch.ts';
import { fingerprintOf, sameFingerprint } from '../model/fingerprint.ts';
import { History } from '../model/history.ts';
import { type Entry, PrefixModel } from '../model/prefix-model.ts';

const SEED = Number(process.env.WALCHECK_SEED ?? 20240611);
const RUNS = 300;

const text = (s: string): Uint8Array => new TextEncoder().encode(s);
const put = (key: string, value: string): BatchOp => ({
  type: 'put',
  key: text(key),
  value: text(value),
});
const del = (key: string): BatchOp => ({ type: 'del', key: text(key) });
const show = (entries: readonly Entry[]): [string, string][] =>
  entries.map(([k, v]) => [Buffer.from(k).toString('latin1'), Buffer.from(v).toString('latin1')]);

function threeBatches(): History {
  const history = new History();
  history.issue([put('a', '1'), put('b', '1')]); // seq 1..2
  history.issue([put('a', '2'), del('b'), put('c', '3')]); // seq 3..5
  history.issue([del('a')]); // seq 6
  return history;
}

describe('History prefix states', () => {
  it('gives the state after every whole prefix k, keys in byte order', () => {
    const history = threeBatches();
    expect(history.length).toBe(3);
    expect(history.lastSeq).toBe(6);
    expect(show(history.entriesAt(0))).toEqual([]);
    expect(show(history.entriesAt(1))).toEqual([
      ['a', '1'],
      ['b', '1'],
    ]);
    expect(show(history.entriesAt(2))).toEqual([
      ['a', '2'],
      ['c', '3'],
    ]);
    expect(show(history.entriesAt(3))).toEqual([['c', '3']]);
    expect(history.get(text('b'), 1)).toEqual(text('1'));
    expect(history.get(text('b'), 2)).toBeUndefined();
    expect([0, 1, 2, 3].map((k) => history.model.endSeq(k))).toEqual([0, 2, 5, 6]);
  });

  it('orders keys as unsigned bytes (0xff after 0x7f, a prefix first)', () => {
    const history = new History();
    history.issue([
      { type: 'put', key: Uint8Array.of(0xff), value: Uint8Array.of(1) },
      { type: 'put', key: Uint8Array.of(0x7f), value: Uint8Array.of(2) },
      { type: 'put', key: Uint8Array.of(0x7f, 0x00), value: Uint8Array.of(3) },
      { type: 'put', key: new Uint8Array(0), value: new Uint8Array(0) },
    ]);
    const keys = history.entriesAt(1).map(([key]) => Buffer.from(key).toString('hex'));
    expect(keys).toEqual(['', '7f', '7f00', 'ff']);
  });

  it('copies the ops it is given, so later changes to the caller buffers do not leak in', () => {
    const history = new History();
    const value = text('v');
    history.issue([{ type: 'put', key: text('k'), value }]);
    value[0] = 0x78;
    expect(show(history.entriesAt(1))).toEqual([['k', 'v']]);
  });
});

describe('snapshot reads are batch-atomic', () => {
  it('a snapshot inside a batch does not see that batch', () => {
    const history = threeBatches();
    expect(show(history.readAt(0))).toEqual([]);
    expect(show(history.readAt(1))).toEqual([]); // inside b1 (seq 1..2)
    expect(show(history.readAt(2))).toEqual([
      ['a', '1'],
      ['b', '1'],
    ]);
    expect(show(history.readAt(4))).toEqual([
      ['a', '1'],
      ['b', '1'],
    ]); // inside b2 (seq 3..5)
    expect(show(history.readAt(5))).toEqual([
      ['a', '2'],
      ['c', '3'],
    ]);
    expect(show(history.readAt(99))).toEqual([['c', '3']]);
    expect(history.model.kAtSeq(4)).toBe(1);
    expect(history.model.kEndingAt(4)).toBe(-1);
    expect(history.model.kEndingAt(5)).toBe(2);
  });
});

describe('truncateTo', () => {
  it('keeps b1..bk, loses the rest and continues the sequence from lastSeq + 1', () => {
    const history = threeBatches();
    history.ack(1);
    history.truncateTo(1);
    expect(history.length).toBe(1);
    expect(history.lastSeq).toBe(2);
    expect(history.lastSeqAtRecovery).toBe(2);
    expect(history.epoch).toBe(1);
    expect(history.batch(2).fate).toBe('lost');
    expect(history.batch(3).fate).toBe('lost');
    const id = history.issue([put('z', '9')]);
    expect(id).toBe(4);
    expect(history.position(id)).toBe(2);
    expect(history.seqStartOf(id)).toBe(3);
    expect(show(history.entriesAt(2))).toEqual([
      ['a', '1'],
      ['b', '1'],
      ['z', '9'],
    ]);
    expect(history.events.at(-2)).toEqual({
      type: 'recover',
      epoch: 1,
      k: 1,
      lastSeq: 2,
      line: 'main',
    });
  });

  it('refuses a k beyond the chain', () => {
    expect(() => threeBatches().truncateTo(4)).toThrow(RangeError);
  });
});

describe('failures', () => {
  it('a refused write leaves the chain; a failed write stays a candidate until a later ack supersedes it', () => {
    const history = new History();
    history.issue([put('a', '1')]);
    history.ack(1);
    history.issue([put('b', '2')]);
    history.fail(2, 'BUSY');
    expect(history.batch(2).fate).toBe('refused');
    expect(history.length).toBe(1);

    history.issue([put('c', '3')]); // id 3
    history.fail(3, 'IO');
    expect(history.batch(3).fate).toBe('chain');
    const lines = history.lines();
    expect(lines.map((l) => [l.name, l.kMin, l.kMax])).toEqual([
      ['main', 1, 2],
      ['without-failed', 1, 1],
    ]);

    history.issue([put('d', '4')]); // id 4, seq 3 once the failed batch is gone
    expect(history.seqStartOf(4)).toBe(3);
    history.ack(4, 2);
    expect(history.batch(3).fate).toBe('superseded');
    expect(history.seqStartOf(4)).toBe(2);
    expect(history.lines()).toHaveLength(1);
    expect(history.events.at(-1)).toMatchObject({
      type: 'ack',
      id: 4,
      seqStart: 2,
      seqStartIfFailedKept: 3,
      reportedSeqStart: 2,
    });
  });

  it('recovering the without-failed line drops the failed batch for good', () => {
    const history = new History();
    history.issue([put('a', '1')]);
    history.issue([put('b', '2')]);
    history.fail(2, 'IO');
    history.issue([put('c', '3')]);
    history.truncateTo(2, 'without-failed');
    expect(show(history.entriesAt(2))).toEqual([
      ['a', '1'],
      ['c', '3'],
    ]);
    expect(history.batch(2).fate).toBe('lost');
    expect(history.lastSeq).toBe(2);
  });
});

// ---- property: cached prefix states against a naive replay ----

const keyArb = fc.constantFrom('', 'a', 'b', 'ab', '\u00ff', '\u0000');
const opArb: fc.Arbitrary<BatchOp> = fc.oneof(
  fc.record({ key: keyArb, value: fc.string({ maxLength: 3 }) }).map(({ key, value }) => ({
    type: 'put' as const,
    key: Buffer.from(key, 'latin1'),
    value: Buffer.from(value, 'latin1'),
  })),
  keyArb.map((key) => ({ type: 'del' as const, key: Buffer.from(key, 'latin1') })),
);
type Step = { kind: 'append'; ops: Batch } | { kind: 'truncate'; back: number };
const stepArb: fc.Arbitrary<Step> = fc.oneof(
  {
    weight: 5,
    arbitrary: fc
      .array(opArb, { minLength: 1, maxLength: 5 })
      .map((ops) => ({ kind: 'append' as const, ops })),
  },
  { weight: 1, arbitrary: fc.nat(3).map((back) => ({ kind: 'truncate' as const, back })) },
);

function naiveState(batches: readonly Batch[], k: number): Map<string, string> {
  const state = new Map<string, string>();
  for (const ops of batches.slice(0, k)) {
    for (const op of ops) {
      const key = Buffer.from(op.key).toString('latin1');
      if (op.type === 'put') state.set(key, Buffer.from(op.value).toString('latin1'));
      else state.delete(key);
    }
  }
  return new Map([...state].sort(([x], [y]) => (x < y ? -1 : x > y ? 1 : 0)));
}

describe(`property: PrefixModel equals a naive replay (seed ${SEED}, ${RUNS} runs; WALCHECK_SEED to change)`, () => {
  it('for every k: entries, get, live count, fingerprint, last seq; for every seq: kAtSeq', () => {
    console.log(`model.test property seed ${SEED}`);
    fc.assert(
      fc.property(fc.array(stepArb, { maxLength: 30 }), (steps) => {
        const model = new PrefixModel();
        const batches: Batch[] = [];
        for (const step of steps) {
          if (step.kind === 'append') {
            model.append({ id: batches.length + 1, ops: step.ops });
            batches.push(step.ops);
          } else {
            const k = Math.max(0, batches.length - step.back);
            model.truncate(k);
            batches.length = k;
          }
        }
        expect(model.length).toBe(batches.length);
        let seq = 0;
        for (let k = 0; k <= batches.length; k++) {
          if (k > 0) seq += batches[k - 1]!.length;
          const naive = naiveState(batches, k);
          const entries = model.entriesAt(k);
          expect(show(entries)).toEqual([...naive]);
          expect(model.liveCount(k)).toBe(naive.size);
          expect(sameFingerprint(model.fingerprint(k), fingerprintOf(entries))).toBe(true);
          expect(model.equalsAt(entries, k)).toBe(true);
          expect(model.endSeq(k)).toBe(seq);
          for (const key of ['', 'a', 'b', 'ab', '\u00ff', '\u0000']) {
            const value = model.get(Buffer.from(key, 'latin1'), k);
            expect(value === undefined ? undefined : Buffer.from(value).toString('latin1')).toBe(
              naive.get(key),
            );
          }
        }
        for (let s = 0; s <= seq + 1; s++) {
          const k = model.kAtSeq(s);
          expect(model.endSeq(k)).toBeLessThanOrEqual(s);
          if (k < model.length) expect(model.endSeq(k + 1)).toBeGreaterThan(s);
        }
      }),
      { seed: SEED, numRuns: RUNS },
    );
  });
});
