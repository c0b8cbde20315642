// The states after every prefix of one sequence of batches, kept incrementally.
//
// Position p (1-based) holds batch b_p; "prefix k" is b_1..b_k, k = 0 being the empty
// state. Per key, the model keeps the list of (k, value) versions in increasing k, so
//   get(key, k)      = last version at or before k      (binary search)
//   ends[k]          = last sequence number after b_1..b_k (batch b_p has seqStart ends[p-1]+1)
//   lives[k], fp[k]  = live key count and fingerprint after b_1..b_k
// Appending a batch costs O(its ops); truncating to k undoes only the removed batches.
// Reads are batch-atomic: a batch's own intermediate states are never a prefix state.

import type { Batch, BatchOp } from '../src/batch.ts';
import { type Bytes, bytesEqual, keyId } from './bytes.ts';
import {
  addEntry,
  addHash,
  entryHash,
  type Fingerprint,
  removeEntry,
  removeHash,
} from './fingerprint.ts';

export type Entry = readonly [key: Bytes, value: Bytes];

export interface LineBatch {
  /** The id the history gave the batch when it was issued. */
  readonly id: number;
  readonly ops: Batch;
}

interface KeyVersions {
  readonly bytes: Bytes;
  readonly ks: number[];
  /** null is a tombstone. */
  readonly values: (Bytes | null)[];
  /** The entry's hash (entryHash; 0 for a tombstone): replacing it later needs no hashing. */
  readonly hashA: number[];
  readonly hashB: number[];
}

export class PrefixModel {
  private readonly list: LineBatch[] = [];
  private readonly ends: number[] = [0];
  private readonly lives: number[] = [0];
  private readonly fpsA: number[] = [0];
  private readonly fpsB: number[] = [0];
  private readonly versions = new Map<string, KeyVersions>();
  /** Distinct key ids written by the batch at each position, for truncation. */
  private readonly touched: string[][] = [];

  constructor(batches: readonly LineBatch[] = []) {
    for (const batch of batches) this.append(batch);
  }

  get length(): number {
    return this.list.length;
  }

  batches(): readonly LineBatch[] {
    return this.list;
  }

  /** Batch b_p, p in 1..length. */
  batch(p: number): LineBatch {
    const batch = this.list[p - 1];
    if (batch === undefined)
      throw new RangeError(`no batch at position ${p} (length ${this.list.length})`);
    return batch;
  }

  seqStart(p: number): number {
    this.batch(p);
    return this.ends[p - 1]! + 1;
  }

  /** Last sequence number after b_1..b_k (0 for k = 0). */
  endSeq(k: number): number {
    return this.at(this.ends, k);
  }

  liveCount(k: number): number {
    return this.at(this.lives, k);
  }

  fingerprint(k: number): Fingerprint {
    return { a: this.at(this.fpsA, k), b: this.at(this.fpsB, k) };
  }

  append(batch: LineBatch): void {
    if (batch.ops.length < 1) throw new RangeError('a batch holds at least one op');
    const k = this.list.length;
    const fp: Fingerprint = { a: this.fpsA[k]!, b: this.fpsB[k]! };
    let live = this.lives[k]!;
    const net = netEffect(batch.ops);
    for (const [id, { bytes, value }] of net) {
      const versions = this.versions.get(id);
      const i = versions === undefined ? -1 : lastAtOrBefore(versions.ks, k);
      if (i >= 0 && versions!.values[i] !== null) {
        removeHash(fp, versions!.hashA[i]!, versions!.hashB[i]!);
        live -= 1;
      }
      let a = 0;
      let b = 0;
      if (value !== null) {
        const hash = entryHash(bytes, value);
        a = hash[0]!;
        b = hash[1]!;
        addHash(fp, a, b);
        live += 1;
      }
      this.pushVersion(id, bytes, k + 1, value, a, b);
    }
    this.list.push(batch);
    this.touched.push([...net.keys()]);
    this.ends.push(this.ends[k]! + batch.ops.length);
    this.lives.push(live);
    this.fpsA.push(fp.a);
    this.fpsB.push(fp.b);
  }

  /** Drops b_(k+1).. so that the line is b_1..b_k. */
  truncate(k: number): void {
    if (!(Number.isInteger(k) && k >= 0 && k <= this.list.length))
      throw new RangeError(`cannot truncate to ${k}`);
    for (let p = this.list.length; p > k; p--) {
      for (const id of this.touched[p - 1]!) {
        const versions = this.versions.get(id)!;
        versions.ks.pop();
        versions.values.pop();
        versions.hashA.pop();
        versions.hashB.pop();
        if (versions.ks.length === 0) this.versions.delete(id);
      }
    }
    this.list.length = k;
    this.touched.length = k;
    this.ends.length = k + 1;
    this.lives.length = k + 1;
    this.fpsA.length = k + 1;
    this.fpsB.length = k + 1;
  }

  /** The value of a key (bytes or key id) after b_1..b_k; undefined when absent. */
  get(key: Bytes | string, k: number): Bytes | undefined {
    const versions = this.versions.get(typeof key === 'string' ? key : keyId(key));
    if (versions === undefined) return undefined;
    const i = lastAtOrBefore(versions.ks, k);
    return i < 0 ? undefined : (versions.values[i] ?? undefined);
  }

  /** The largest k <= kCap whose batches all end at or before seq: what a snapshot at seq sees. */
  kAtSeq(seq: number, kCap: number = this.list.length): number {
    let lo = 0;
    let hi = Math.min(kCap, this.list.length);
    while (lo < hi) {
      const mid = (lo + hi + 1) >>> 1;
      if (this.ends[mid]! <= seq) lo = mid;
      else hi = mid - 1;
    }
    return lo;
  }

  /** The k whose last sequence number is seq, or -1 when seq is not a batch boundary. */
  kEndingAt(seq: number): number {
    const k = this.kAtSeq(seq);
    return this.ends[k] === seq ? k : -1;
  }

  /** key id -> value after b_1..b_k. */
  stateAt(k: number): Map<string, Bytes> {
    this.at(this.ends, k);
    const state = new Map<string, Bytes>();
    for (const [id, versions] of this.versions) {
      const i = lastAtOrBefore(versions.ks, k);
      const value = i < 0 ? null : versions.values[i]!;
      if (value !== null) state.set(id, value);
    }
    return state;
  }

  /** Live entries after b_1..b_k in key order. */
  entriesAt(k: number): Entry[] {
    const state = this.stateAt(k);
    const ids = [...state.keys()].sort();
    return ids.map((id) => [this.versions.get(id)!.bytes, state.get(id)!] as const);
  }

  /** Whether entries (distinct keys, as the caller ensured) are exactly the state after k. */
  equalsAt(entries: readonly Entry[], k: number): boolean {
    if (this.liveCount(k) !== entries.length) return false;
    for (const [key, value] of entries) {
      const expected = this.get(key, k);
      if (expected === undefined || !bytesEqual(expected, value)) return false;
    }
    return true;
  }

  /** Fingerprints after applying only the first m ops of b_p to the state after b_(p-1), m = 1..count-1. */
  splitFingerprints(p: number): Fingerprint[] {
    const ops = this.batch(p).ops;
    const fp = this.fingerprint(p - 1);
    const current = new Map<string, Bytes | null>();
    const out: Fingerprint[] = [];
    for (let m = 0; m < ops.length - 1; m++) {
      const op = ops[m]!;
      const id = keyId(op.key);
      const before = current.has(id) ? current.get(id)! : (this.get(id, p - 1) ?? null);
      if (before !== null) removeEntry(fp, op.key, before);
      const after = op.type === 'put' ? op.value : null;
      if (after !== null) addEntry(fp, op.key, after);
      current.set(id, after);
      out.push({ a: fp.a, b: fp.b });
    }
    return out;
  }

  /** Fingerprint of the state after b_1..b_k with `ops` applied on top, in order. */
  fingerprintAfter(k: number, ops: readonly BatchOp[]): Fingerprint {
    const fp = this.fingerprint(k);
    const overlay = new Map<string, Bytes | null>();
    for (const op of ops) {
      const id = keyId(op.key);
      const before = overlay.has(id) ? overlay.get(id)! : (this.get(id, k) ?? null);
      if (before !== null) removeEntry(fp, op.key, before);
      const after = op.type === 'put' ? op.value : null;
      if (after !== null) addEntry(fp, op.key, after);
      overlay.set(id, after);
    }
    return fp;
  }

  private pushVersion(
    id: string,
    bytes: Bytes,
    k: number,
    value: Bytes | null,
    hashA: number,
    hashB: number,
  ): void {
    let versions = this.versions.get(id);
    if (versions === undefined) {
      versions = { bytes, ks: [], values: [], hashA: [], hashB: [] };
      this.versions.set(id, versions);
    }
    versions.ks.push(k);
    versions.values.push(value);
    versions.hashA.push(hashA);
    versions.hashB.push(hashB);
  }

  private at(array: readonly number[], k: number): number {
    const value = array[k];
    if (!Number.isInteger(k) || value === undefined)
      throw new RangeError(`no prefix ${k} (length ${this.list.length})`);
    return value;
  }
}

/** key id -> the value a batch leaves for it (its last op on that key wins). */
function netEffect(ops: readonly BatchOp[]): Map<string, { bytes: Bytes; value: Bytes | null }> {
  const net = new Map<string, { bytes: Bytes; value: Bytes | null }>();
  for (const op of ops)
    net.set(keyId(op.key), { bytes: op.key, value: op.type === 'put' ? op.value : null });
  return net;
}

/** Applies ops one by one to a state (key id -> value); used to build partial-batch states. */
export function applyOps(state: Map<string, Bytes>, ops: readonly BatchOp[]): Map<string, Bytes> {
  for (const op of ops) {
    if (op.type === 'put') state.set(keyId(op.key), op.value);
    else state.delete(keyId(op.key));
  }
  return state;
}

function lastAtOrBefore(ks: readonly number[], k: number): number {
  let lo = -1;
  let hi = ks.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >>> 1;
    if (ks[mid]! <= k) lo = mid;
    else hi = mid - 1;
  }
  return lo;
}
