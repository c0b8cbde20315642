// Memtable micro-benchmark: 1M versions with random 16-byte keys and 100-byte values, packed into
// 64 KiB chunks the way recovery hands segment bytes over. Prints inserts/s (one by one),
// bulk entries/s (bulkAppend x N + finishBulk) and the memory a bulk-loaded version costs.
//
//   npx tsx scripts/bench/memtable.ts                       (speed)
//   node --import tsx --expose-gc scripts/bench/memtable.ts (speed and bytes/entry)
//
// Env: WALCHECK_SEED (key generator seed), BENCH_ENTRIES (default 1000000), BENCH_ROUNDS (default 3).

import { KIND_PUT, Memtable } from '../../src/memtable/memtable.ts';
import { median } from './measure.ts';

const KEY_BYTES = 16;
const VALUE_BYTES = 100;
const CHUNK_BYTES = 64 * 1024;

interface Placed {
  chunks: Buffer[];
  chunkOf: Uint32Array;
  offset: Uint32Array;
}

function xorshift32(seed: number): () => number {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    return x;
  };
}

/** Entries back to back (key then value) in 64 KiB chunks; `keyAt` writes the key bytes. */
function place(
  entries: number,
  keyAt: (target: Buffer, offset: number, i: number) => void,
): Placed {
  const perChunk = Math.floor(CHUNK_BYTES / (KEY_BYTES + VALUE_BYTES));
  const chunks: Buffer[] = [];
  const chunkOf = new Uint32Array(entries);
  const offset = new Uint32Array(entries);
  for (let i = 0; i < entries; i++) {
    if (i % perChunk === 0) chunks.push(Buffer.alloc(CHUNK_BYTES, 0x76));
    const at = (i % perChunk) * (KEY_BYTES + VALUE_BYTES);
    keyAt(chunks[chunks.length - 1]!, at, i);
    chunkOf[i] = chunks.length - 1;
    offset[i] = at;
  }
  return { chunks, chunkOf, offset };
}

function randomKeys(entries: number, seed: number): Placed {
  const next = xorshift32(seed);
  return place(entries, (target, at) => {
    for (let b = 0; b < KEY_BYTES; b += 4) target.writeUInt32BE(next(), at + b);
  });
}

/** Keys sharing a 4-byte prefix ("key:" + 12 digits, shuffled): every radix tie goes deeper. */
function prefixedKeys(entries: number, seed: number): Placed {
  const next = xorshift32(seed);
  return place(entries, (target, at) => {
    target.write(`key:${String(next() % 1e12).padStart(12, '0')}`, at, 'latin1');
  });
}

function insertAll(placed: Placed, entries: number): Memtable {
  const memtable = new Memtable();
  for (let i = 0; i < entries; i++) {
    const offset = placed.offset[i]!;
    memtable.insert(
      placed.chunks[placed.chunkOf[i]!]!,
      offset,
      KEY_BYTES,
      offset + KEY_BYTES,
      VALUE_BYTES,
      KIND_PUT,
      i + 1,
    );
  }
  return memtable;
}

function bulkLoad(placed: Placed, entries: number): Memtable {
  const memtable = new Memtable();
  for (let i = 0; i < entries; i++) {
    const offset = placed.offset[i]!;
    memtable.bulkAppend(
      placed.chunks[placed.chunkOf[i]!]!,
      offset,
      KEY_BYTES,
      offset + KEY_BYTES,
      VALUE_BYTES,
      KIND_PUT,
      i + 1,
    );
  }
  memtable.finishBulk();
  return memtable;
}

function timed<T>(run: () => T): { result: T; seconds: number } {
  const start = process.hrtime.bigint();
  const result = run();
  return { result, seconds: Number(process.hrtime.bigint() - start) / 1e9 };
}

function rate(count: number, seconds: number): string {
  return `${Math.round(count / seconds / 1000)}k/s`;
}

const gc = (globalThis as { gc?: () => void }).gc;

function memoryBytes(): number {
  gc?.();
  gc?.();
  const usage = process.memoryUsage();
  return usage.heapUsed + usage.external;
}

function main(): void {
  const seed = Number(process.env.WALCHECK_SEED ?? 0x5eed);
  const entries = Number(process.env.BENCH_ENTRIES ?? 1_000_000);
  const rounds = Number(process.env.BENCH_ROUNDS ?? 3);
  console.log(
    `memtable bench: ${entries} entries, ${KEY_BYTES}-byte keys, ${VALUE_BYTES}-byte values, seed ${seed}`,
  );

  const random = randomKeys(entries, seed);
  const insertRates: number[] = [];
  const bulkRates: number[] = [];
  for (let round = 1; round <= rounds; round++) {
    gc?.(); // the previous round's memtables are garbage: collect them outside the timings
    const insert = timed(() => insertAll(random, entries));
    gc?.();
    const bulk = timed(() => bulkLoad(random, entries));
    insertRates.push(entries / insert.seconds);
    bulkRates.push(entries / bulk.seconds);
    console.log(
      `round ${round}: insert ${rate(entries, insert.seconds)}  bulk ${rate(entries, bulk.seconds)}`,
    );
  }
  console.log(`median: insert ${rate(median(insertRates), 1)}  bulk ${rate(median(bulkRates), 1)}`);
  const prefixed = prefixedKeys(entries, seed);
  gc?.();
  const prefixedInsert = timed(() => insertAll(prefixed, entries));
  gc?.();
  const prefixedBulk = timed(() => bulkLoad(prefixed, entries));
  console.log(
    `shared-prefix keys: insert ${rate(entries, prefixedInsert.seconds)}  bulk ${rate(entries, prefixedBulk.seconds)}`,
  );

  if (gc === undefined) {
    console.log('bytes/entry: run with node --import tsx --expose-gc to measure');
    return;
  }
  const before = memoryBytes();
  const placed = randomKeys(entries, seed + 1);
  const chunksOnly = memoryBytes();
  const memtable = bulkLoad(placed, entries);
  const after = memoryBytes();
  const total = (after - before) / entries;
  const memtableOnly = (after - chunksOnly) / entries;
  console.log(
    `bytes/entry after bulk load: ${total.toFixed(1)} total (chunks included, ${KEY_BYTES + VALUE_BYTES} of key+value), ` +
      `${memtableOnly.toFixed(1)} memtable only; versions ${memtable.versionCount}`,
  );
}

main();
