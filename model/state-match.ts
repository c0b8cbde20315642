// Which model states an observed state (sorted entries) equals: whole prefixes of a line,
// a prefix plus only part of the next batch (rule 3), or a prefix plus a batch that had
// failed and been superseded (rule 7). Fingerprints pick candidates in O(1) per k; every
// candidate is confirmed entry by entry, so a hash collision can never decide a verdict.

import type { BatchOp } from '../src/batch.ts';
import { type Bytes, bytesEqual, compareBytes, hexBytes, keyId } from './bytes.ts';
import { type Fingerprint, sameFingerprint } from './fingerprint.ts';
import type { History, IssuedBatch, Line } from './history.ts';
import { applyOps, type Entry, type PrefixModel } from './prefix-model.ts';
import { countDifferences } from './verdict.ts';

export interface WholeMatch {
  readonly line: Line;
  readonly k: number;
}

export interface SplitMatch {
  readonly line: Line;
  /** The batch b_p of which only the first m of its ops are in the state. */
  readonly p: number;
  readonly m: number;
}

export interface SupersededMatch {
  readonly batch: IssuedBatch;
  /** The state is the model after b_1..b_k with the failed batch applied on top. */
  readonly k: number;
}

/** Index of the first entry not strictly after the one before it (unsorted or duplicate key), or -1. */
export function firstOutOfOrder(entries: readonly Entry[]): number {
  for (let i = 1; i < entries.length; i++)
    if (compareBytes(entries[i - 1]![0], entries[i]![0]) >= 0) return i;
  return -1;
}

/** A scan out of order, named as such, with both keys in hex. */
export function outOfOrderMessage(entries: readonly Entry[], index: number): string {
  const key = entries[index]![0];
  const before = entries[index - 1]![0];
  const relation = compareBytes(before, key) === 0 ? 'repeats' : 'comes after';
  return `scan out of order: entry ${index}, key ${hexBytes(key)}, ${relation} entry ${index - 1}, key ${hexBytes(before)} (a full scan returns each key once, in ascending byte order)`;
}

/** Every (line, k) whose state equals the entries. */
export function wholeMatches(
  lines: readonly Line[],
  entries: readonly Entry[],
  fp: Fingerprint,
): WholeMatch[] {
  const matches: WholeMatch[] = [];
  for (const line of lines) {
    for (let k = 0; k <= line.model.length; k++) {
      if (sameFingerprint(line.model.fingerprint(k), fp) && line.model.equalsAt(entries, k))
        matches.push({ line, k });
    }
  }
  return matches;
}

/** A state that holds the first m (0 < m < count) ops of some batch on top of the prefix before it. */
export function splitMatch(
  lines: readonly Line[],
  entries: readonly Entry[],
  fp: Fingerprint,
  pMax?: number,
): SplitMatch | null {
  for (const line of lines) {
    const last = Math.min(pMax ?? line.model.length, line.model.length);
    for (let p = 1; p <= last; p++) {
      const splits = line.model.splitFingerprints(p);
      for (let i = 0; i < splits.length; i++) {
        if (!sameFingerprint(splits[i]!, fp)) continue;
        const ops = line.model.batch(p).ops.slice(0, i + 1);
        if (stateEquals(stateWith(line.model, p - 1, ops), entries)) return { line, p, m: i + 1 };
      }
    }
  }
  return null;
}

/** A state that is a prefix of the chain plus a superseded failed batch (which must never show up). */
export function supersededMatch(
  history: History,
  entries: readonly Entry[],
  fp: Fingerprint,
): SupersededMatch | null {
  const model = history.model;
  for (const batch of history.allBatches()) {
    if (batch.fate !== 'superseded') continue;
    for (let k = 0; k <= model.length; k++) {
      if (!sameFingerprint(model.fingerprintAfter(k, batch.ops), fp)) continue;
      if (stateEquals(stateWith(model, k, batch.ops), entries)) return { batch, k };
    }
  }
  return null;
}

/** The k in [lo, hi] whose state differs from the entries in the fewest keys (for a diff). */
export function closestK(
  model: PrefixModel,
  lo: number,
  hi: number,
  entries: readonly Entry[],
): number {
  const from = Math.max(0, Math.min(lo, model.length));
  const to = Math.max(from, Math.min(hi, model.length));
  let best = from;
  let bestDifferences = Infinity;
  for (let k = from; k <= to; k++) {
    const differences = countDifferences(model.stateAt(k), entries);
    if (differences < bestDifferences) {
      best = k;
      bestDifferences = differences;
    }
  }
  return best;
}

export function stateWith(
  model: PrefixModel,
  k: number,
  ops: readonly BatchOp[],
): Map<string, Bytes> {
  return applyOps(model.stateAt(k), ops);
}

export function stateEquals(state: ReadonlyMap<string, Bytes>, entries: readonly Entry[]): boolean {
  if (state.size !== entries.length) return false;
  for (const [key, value] of entries) {
    const expected = state.get(keyId(key));
    if (expected === undefined || !bytesEqual(expected, value)) return false;
  }
  return true;
}
