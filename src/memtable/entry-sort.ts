// Orders a bulk-loaded run of versions into list order (key ascending, seq descending) without a
// comparator on the common path: a radix sort of (4-byte key prefix, index) pairs, repeated on
// the next 4 key bytes only inside runs whose prefixes tie (an MSD radix over 4-byte digits, each
// digit sorted LSD). Bytes are compared only in small runs and in runs of keys that all end within
// the bytes already sorted. Every radix pass is stable and the versions start newest first, so
// a run of one key's many versions arrives already in order and costs one linear check.

import { assert } from '../assert.ts';
import { keyPrefix32 } from './key-compare.ts';
import type { VersionColumns } from './version-columns.ts';

/** Runs this short are insertion-sorted with the full comparator. */
const RUN_SMALL_MAX = 16;
/**
 * A bulk load this short (a small log's recovery) is insertion-sorted whole: a radix pass
 * costs its 1,024 counters and four passes over them whatever the count.
 */
const BULK_SMALL_MAX = 32;
/** Runs this long take 11-bit digits (3 passes); shorter ones 8-bit digits (4 passes). */
const RUN_WIDE_DIGITS_MIN = 1 << 15;

/** Indices `first .. end - 1` (appended in ascending seq) in list order. */
export function sortVersions(v: VersionColumns, first: number, end: number): Uint32Array {
  const n = end - first;
  const order = new Uint32Array(n);
  for (let i = 0; i < n; i++) order[i] = end - 1 - i; // newest first
  if (n <= BULK_SMALL_MAX) {
    insertionSort(v, order, 0, n, 0);
    return order;
  }
  const sortKeys = new Uint32Array(n);
  for (let i = 0; i < n; i++) sortKeys[i] = v.prefix[order[i]!]!;
  const scratch = { keys: new Uint32Array(n), order: new Uint32Array(n) };
  radixSortPairs(sortKeys, order, scratch, 0, n);
  sortTiedRuns(v, sortKeys, order, scratch);
  return order;
}

/** Resolves runs of tied 4-byte digits, deeper and deeper, with an explicit stack (keys can be long). */
function sortTiedRuns(
  v: VersionColumns,
  sortKeys: Uint32Array,
  order: Uint32Array,
  scratch: Scratch,
): void {
  const stack: number[] = []; // triples (from, to, depth): order[from, to) agree on key bytes [0, depth)
  pushTiedRuns(stack, sortKeys, 0, order.length, 4);
  const runsMax = order.length * (Math.ceil(v.maxKeyLength / 4) + 1) + 1;
  for (let runs = 0; stack.length > 0; runs++) {
    assert(runs <= runsMax, 'each run is split one 4-byte digit deeper, up to the longest key');
    const depth = stack.pop()!;
    const to = stack.pop()!;
    const from = stack.pop()!;
    if (to - from <= RUN_SMALL_MAX) {
      insertionSort(v, order, from, to, depth);
    } else if (allKeysEndBy(v, order, from, to, depth)) {
      // Equal on every byte they have: only lengths differ (or nothing), so compare whole keys.
      if (!isSorted(v, order, from, to, depth))
        order.subarray(from, to).sort((a, b) => v.compareVersions(a, b, depth));
    } else {
      for (let i = from; i < to; i++) {
        const index = order[i]!;
        sortKeys[i] = keyPrefix32(
          v.chunkOf(index),
          v.keyOffset[index]!,
          v.keyLength[index]!,
          depth,
        );
      }
      radixSortPairs(sortKeys, order, scratch, from, to);
      pushTiedRuns(stack, sortKeys, from, to, depth + 4);
    }
  }
}

function pushTiedRuns(
  stack: number[],
  sortKeys: Uint32Array,
  from: number,
  to: number,
  depth: number,
): void {
  let runStart = from;
  for (let i = from + 1; i <= to; i++) {
    if (i < to && sortKeys[i] === sortKeys[runStart]) continue;
    if (i - runStart > 1) stack.push(runStart, i, depth);
    runStart = i;
  }
}

interface Scratch {
  keys: Uint32Array;
  order: Uint32Array;
}

/** Stable LSD radix sort of pairs (sortKeys[i], order[i]) for i in [from, to), by the unsigned key. */
function radixSortPairs(
  sortKeys: Uint32Array,
  order: Uint32Array,
  scratch: Scratch,
  from: number,
  to: number,
): void {
  const digitBits = to - from >= RUN_WIDE_DIGITS_MIN ? 11 : 8;
  const buckets = 1 << digitBits;
  const mask = buckets - 1;
  const passes = Math.ceil(32 / digitBits);
  const counts = new Uint32Array(buckets * passes);
  for (let i = from; i < to; i++) {
    const key = sortKeys[i]!;
    for (let pass = 0; pass < passes; pass++)
      counts[pass * buckets + ((key >>> (pass * digitBits)) & mask)]!++;
  }
  const n = to - from;
  for (let pass = 0; pass < passes; pass++) {
    const base = pass * buckets;
    const shift = pass * digitBits;
    if (counts[base + ((sortKeys[from]! >>> shift) & mask)] === n) continue; // one digit value: nothing moves
    let position = from;
    for (let digit = 0; digit < buckets; digit++) {
      const count = counts[base + digit]!;
      counts[base + digit] = position;
      position += count;
    }
    const keysOut = scratch.keys;
    const orderOut = scratch.order;
    for (let i = from; i < to; i++) {
      const key = sortKeys[i]!;
      const slot = counts[base + ((key >>> shift) & mask)]!++;
      keysOut[slot] = key;
      orderOut[slot] = order[i]!;
    }
    sortKeys.set(keysOut.subarray(from, to), from);
    order.set(orderOut.subarray(from, to), from);
  }
}

function allKeysEndBy(
  v: VersionColumns,
  order: Uint32Array,
  from: number,
  to: number,
  depth: number,
): boolean {
  for (let i = from; i < to; i++) if (v.keyLength[order[i]!]! > depth) return false;
  return true;
}

function isSorted(
  v: VersionColumns,
  order: Uint32Array,
  from: number,
  to: number,
  depth: number,
): boolean {
  for (let i = from + 1; i < to; i++)
    if (v.compareVersions(order[i - 1]!, order[i]!, depth) > 0) return false;
  return true;
}

function insertionSort(
  v: VersionColumns,
  order: Uint32Array,
  from: number,
  to: number,
  depth: number,
): void {
  for (let i = from + 1; i < to; i++) {
    const index = order[i]!;
    let j = i - 1;
    while (j >= from && v.compareVersions(order[j]!, index, depth) > 0) {
      order[j + 1] = order[j]!;
      j--;
    }
    order[j + 1] = index;
  }
}
