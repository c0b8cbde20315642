// Timing helpers for benchmarks: run N concurrent loops for a fixed wall-clock budget and
// count completed operations. Benchmarks only: tests never time anything.

import { performance } from 'node:perf_hooks';

export interface Throughput {
  ops: number;
  seconds: number;
  perSec: number;
}

/** Runs `writers` loops of `op` until `seconds` pass; each loop awaits its op before the next. */
export async function measureLoops(
  writers: number,
  seconds: number,
  op: (writer: number, i: number) => Promise<unknown>,
): Promise<Throughput> {
  const deadline = performance.now() + seconds * 1000;
  let ops = 0;
  const start = performance.now();
  const loop = async (writer: number): Promise<void> => {
    for (let i = 0; performance.now() < deadline; i++) {
      await op(writer, i);
      ops++;
    }
  };
  await Promise.all(Array.from({ length: writers }, (_, w) => loop(w)));
  const elapsed = (performance.now() - start) / 1000;
  return { ops, seconds: elapsed, perSec: ops / elapsed };
}

/** A bound on cycles besides the clock, as every loop has one. */
const CYCLES_MAX = 10_000_000;

/** One single-writer loop of an interleaved measure: its next op, awaited before the next. */
export type SerialOp = (i: number) => Promise<unknown>;

export interface Interleaved {
  /** Each phase's ops over the seconds its own turns took. */
  phases: Throughput[];
  /** Milliseconds of each turn: turnMs[cycle][phase], every turn `blockOps` ops. */
  turnMs: number[][];
}

/**
 * Runs single-writer loops in turn, `blockOps` ops each, the order reversed every cycle,
 * until each has had about `seconds` of its own time; `warmupOps` ops of each go untimed
 * first (the JIT, the caches, the first allocations). A turn lasts milliseconds, so a load
 * change on a shared machine falls on every phase alike, where slices of a second each do
 * not; pairedRatio compares phases turn by turn.
 */
export async function interleaveSerial(
  ops: SerialOp[],
  options: { seconds: number; blockOps: number; warmupOps: number },
): Promise<Interleaved> {
  const counters = ops.map(() => 0);
  for (let p = 0; p < ops.length; p++) {
    for (let w = 0; w < options.warmupOps; w++) await ops[p]!(counters[p]!++);
  }
  const turnMs: number[][] = [];
  const totalMs = ops.map(() => 0);
  const budgetMs = options.seconds * 1000;
  for (let cycle = 0; Math.min(...totalMs) < budgetMs && cycle < CYCLES_MAX; cycle++) {
    const order = ops.map((_, i) => i);
    if (cycle % 2 === 1) order.reverse();
    const row = ops.map(() => 0);
    for (const p of order) {
      const start = performance.now();
      for (let b = 0; b < options.blockOps; b++) await ops[p]!(counters[p]!++);
      row[p] = performance.now() - start;
      totalMs[p] = totalMs[p]! + row[p]!;
    }
    turnMs.push(row);
  }
  const phases = totalMs.map((ms) => {
    const count = turnMs.length * options.blockOps;
    return { ops: count, seconds: ms / 1000, perSec: (count * 1000) / ms };
  });
  return { phases, turnMs };
}

/** Throughput of one phase over another's, turn by turn: the median and the quartiles. */
export interface PairedRatio {
  median: number;
  q1: number;
  q3: number;
}

/**
 * Phase `a`'s throughput over phase `b`'s in each cycle (their turns ran next to each other),
 * summarized by the median: on a loaded machine a stall of a few hundred milliseconds lands
 * in one turn and moves a ratio of totals by tens of percent (two copies of one engine, at a
 * load average of 10 on 2 cores: 0.77x to 1.18x by totals, 0.98x to 1.02x by this median).
 */
/** The median of `values` (the mean of the middle two for an even count). */
export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

export function pairedRatio(run: Interleaved, a: number, b: number): PairedRatio {
  const ratios = run.turnMs.map((row) => row[b]! / row[a]!).sort((x, y) => x - y);
  const at = (q: number): number => {
    const position = (ratios.length - 1) * q;
    const low = Math.floor(position);
    const high = Math.ceil(position);
    return ratios[low]! + (ratios[high]! - ratios[low]!) * (position - low);
  };
  return { median: at(0.5), q1: at(0.25), q3: at(0.75) };
}

/** Deterministic pseudo-random bytes: a seeded xorshift32 stream (benchmarks are seeded too). */
export function seededBytes(seed: number, length: number): Buffer {
  const out = Buffer.allocUnsafe(length);
  let x = seed >>> 0 || 0x9e3779b9;
  for (let i = 0; i < length; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out[i] = x & 0xff;
  }
  return out;
}

/** A 16-byte key, unique per (writer, i) and spread over the key space (a hash leads). */
export function benchKey(writer: number, i: number): Buffer {
  const key = Buffer.allocUnsafe(16);
  key.writeUInt32BE((Math.imul(i + 1, 0x9e3779b1) ^ Math.imul(writer + 1, 0x85ebca6b)) >>> 0, 0);
  key.writeUInt32BE(Math.imul(i ^ 0x5bd1e995, 0xcc9e2d51) >>> 0, 4);
  key.writeUInt32BE(writer, 8);
  key.writeUInt32BE(i, 12);
  return key;
}
