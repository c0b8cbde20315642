// BatchBoundaries (src/db/batch-boundaries.ts), the index that makes snapshot reads
// batch-atomic: floor(seq) against a linear scan, for logs of a few batches and for logs
// long enough to grow the index past its initial 1,024 slots.

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { SEQ_MAX } from '../src/batch.ts';
import { BatchBoundaries } from '../src/db/batch-boundaries.ts';

const SEED = Number(process.env.WALCHECK_SEED ?? 20_240_611);

/** The largest end <= seq, by a linear scan. */
function floorModel(ends: readonly number[], seq: number): number {
  let best = 0;
  for (const end of ends) if (end <= seq) best = end;
  return best;
}

function boundariesOf(ends: readonly number[]): BatchBoundaries {
  const boundaries = new BatchBoundaries();
  for (const end of ends) boundaries.add(end);
  return boundaries;
}

describe('BatchBoundaries', () => {
  it('an empty index: lastSeq 0, and every snapshot floors to 0', () => {
    const boundaries = new BatchBoundaries();
    expect(boundaries.lastSeq).toBe(0);
    for (const seq of [0, 1, 1000, SEQ_MAX]) expect(boundaries.floor(seq)).toBe(0);
  });

  it(`floor equals a linear scan, past the initial capacity too (seed ${SEED}, WALCHECK_SEED to change)`, () => {
    // Batch sizes 1..5 (gaps between ends); up to 3,000 batches, so most runs grow the index twice.
    const sizes = fc.array(fc.integer({ min: 1, max: 5 }), { maxLength: 3000, size: 'max' });
    fc.assert(
      fc.property(sizes, fc.array(fc.nat(), { maxLength: 50 }), (batchSizes, probes) => {
        const ends: number[] = [];
        let seq = 0;
        for (const size of batchSizes) ends.push((seq += size));
        const boundaries = boundariesOf(ends);
        expect(boundaries.lastSeq).toBe(seq);
        // Every sequence number around a boundary, plus random probes anywhere.
        const around =
          ends.length <= 40 ? ends : ends.filter((_, i) => i % 97 === 0 || i >= ends.length - 3);
        const checks = [
          0,
          seq + 1,
          SEQ_MAX,
          ...around.flatMap((end) => [end - 1, end, end + 1]),
          ...probes.map((p) => p % (seq + 2)),
        ];
        for (const at of checks)
          expect(boundaries.floor(at), `floor(${at})`).toBe(floorModel(ends, at));
      }),
      { seed: SEED, numRuns: 60 },
    );
  });

  it('keeps every end exactly across two growths (2,500 single-record batches)', () => {
    const ends = Array.from({ length: 2500 }, (_, i) => i + 1);
    const boundaries = boundariesOf(ends);
    for (const end of ends) expect(boundaries.floor(end)).toBe(end);
    expect(boundaries.floor(0)).toBe(0);
    expect(boundaries.lastSeq).toBe(2500);
  });

  it('refuses an end that does not increase (a bug in the caller, not bad input)', () => {
    const boundaries = boundariesOf([3, 7]);
    expect(() => boundaries.add(7)).toThrow(/batch ends increase/);
    expect(() => boundaries.add(5)).toThrow(/batch ends increase/);
    expect(() => new BatchBoundaries().add(0)).toThrow(/batch ends increase/);
    expect(boundaries.lastSeq).toBe(7);
    boundaries.add(SEQ_MAX); // the largest legal end
    expect(boundaries.floor(SEQ_MAX - 1)).toBe(7);
    expect(boundaries.floor(SEQ_MAX)).toBe(SEQ_MAX);
  });
});
