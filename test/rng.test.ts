// The harness's seeded PRNG (faults/base/rng.ts): the same seed gives the same draws on every run,
// both 32-bit halves of a seed matter, and every helper stays inside its range, including
// integer bounds past 2^32 (drawn from 53-bit floats).

import { describe, expect, it } from 'vitest';
import { Rng } from '../faults/base/rng.ts';

const SEED = Number(process.env.WALCHECK_SEED ?? 20_240_611);
const DRAWS = 4000;

const draws = (rng: Rng, n = 8): number[] => Array.from({ length: n }, () => rng.u32());

describe(`Rng (seed ${SEED}, WALCHECK_SEED to change)`, () => {
  it('is a function of its seed, and of both 32-bit halves of it', () => {
    expect(draws(new Rng(SEED))).toEqual(draws(new Rng(SEED)));
    expect(draws(new Rng(SEED))).not.toEqual(draws(new Rng(SEED + 1)));
    expect(draws(new Rng(SEED))).not.toEqual(draws(new Rng(SEED + 2 ** 32))); // same low half
    expect(draws(new Rng(0))).not.toEqual(draws(new Rng(2 ** 52)));
    const forked = new Rng(SEED).fork();
    expect(draws(forked)).not.toEqual(draws(new Rng(SEED)));
    expect(draws(new Rng(SEED).fork())).toEqual(draws(new Rng(SEED).fork()));
  });

  it('refuses a seed that is not a safe integer', () => {
    for (const seed of [1.5, Number.NaN, 2 ** 53, -Infinity])
      expect(() => new Rng(seed), String(seed)).toThrow(RangeError);
  });

  it('float is in [0, 1) and spread over it', () => {
    const rng = new Rng(SEED);
    const values = Array.from({ length: DRAWS }, () => rng.float());
    expect(values.every((v) => v >= 0 && v < 1)).toBe(true);
    const buckets = [0, 0, 0, 0];
    for (const v of values) buckets[Math.floor(v * 4)]!++;
    for (const count of buckets) expect(count).toBeGreaterThan(DRAWS / 4 - 200); // about 1,000 each
    expect(values.some((v) => v * 2 ** 53 !== Math.floor(v * 2 ** 32) * 2 ** 21)).toBe(true); // more than 32 bits
  });

  it('int and range stay in bounds, small and past 2^32, and reach both ends of a small range', () => {
    const rng = new Rng(SEED);
    const small = Array.from({ length: DRAWS }, () => rng.range(-2, 2));
    expect(new Set(small)).toEqual(new Set([-2, -1, 0, 1, 2]));
    const huge = 2 ** 40 + 3;
    const large = Array.from({ length: DRAWS }, () => rng.int(huge));
    expect(large.every((v) => Number.isSafeInteger(v) && v >= 0 && v < huge)).toBe(true);
    expect(large.some((v) => v >= 2 ** 32)).toBe(true);
    expect(rng.int(1)).toBe(0);
    expect(rng.int(2 ** 53 - 1)).toBeLessThan(2 ** 53 - 1);
    for (const bound of [0, -1, 0.5, 2 ** 53])
      expect(() => rng.int(bound), String(bound)).toThrow(RangeError);
  });

  it('bool follows its probability; pick takes any item and refuses an empty list', () => {
    const rng = new Rng(SEED);
    expect(Array.from({ length: 100 }, () => rng.bool(0)).some(Boolean)).toBe(false);
    expect(Array.from({ length: 100 }, () => rng.bool(1)).every(Boolean)).toBe(true);
    const heads = Array.from({ length: DRAWS }, () => rng.bool()).filter(Boolean).length;
    expect(Math.abs(heads - DRAWS / 2)).toBeLessThan(200);
    expect(new Set(Array.from({ length: 200 }, () => rng.pick(['a', 'b', 'c'])))).toEqual(
      new Set(['a', 'b', 'c']),
    );
    expect(() => rng.pick([])).toThrow(RangeError);
  });
});
