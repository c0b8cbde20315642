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
