// The memtable: every version written, in (key ascending, seq descending) order, read at the
// latest state or at any snapshot seq. Keys and values are never copied: each version points into
// the chunk it was handed with (see version-columns.ts), and reads return views of those chunks.
//
// Two ways in:
//   insert            one version at a time, linked at once (the write path)
//   bulkAppend ...    versions appended unordered, then finishBulk sorts them with a radix sort
//   finishBulk        and links the skip list left to right in one linear pass (recovery)
//
// A delete is a tombstone version: it hides every older version of its key.

import { assert } from '../assert.ts';
import { SEQ_MAX } from '../batch.ts';
import { keyPrefix32 } from './key-compare.ts';
import { sortVersions } from './entry-sort.ts';
import { checkKey, planScan, readSnapshot } from './scan-options.ts';
import type { KeyBound, ScanOptions, ScanPlan } from './scan-options.ts';
import { KIND_PUT, VersionColumns } from './version-columns.ts';
import type { EntryKind } from './version-columns.ts';
import { HEAD, NIL, SEQ_ABOVE_ALL, SEQ_BELOW_ALL, VersionSkipList } from './version-skiplist.ts';

export { KIND_DELETE, KIND_PUT } from './version-columns.ts';
export type { EntryKind } from './version-columns.ts';
export type { ScanOptions } from './scan-options.ts';

export interface Entry {
  key: Buffer;
  value: Buffer;
}

/** Versions of one key walked one by one before a skip-list seek jumps over the rest. */
const VERSIONS_WALKED_MAX = 8;
const SEED_DEFAULT = 0x5eed;

export class Memtable {
  private readonly versions = new VersionColumns();
  private readonly list: VersionSkipList;
  /** First index of a bulk load not yet finished; 0 (the head's index) when none is pending. */
  private bulkFrom = 0;
  private seqLast = 0;

  /** `seed` drives skip-list heights only: the contents never depend on it. */
  constructor(seed: number = SEED_DEFAULT) {
    this.list = new VersionSkipList(this.versions, seed);
  }

  get versionCount(): number {
    return this.versions.count - 1;
  }

  /** Highest seq held, 0 when empty. */
  get lastSeq(): number {
    return this.seqLast;
  }

  /** Ordered insert of one version; seq must be greater than every seq inserted before. */
  insert(
    chunk: Buffer,
    keyOffset: number,
    keyLength: number,
    valueOffset: number,
    valueLength: number,
    kind: EntryKind,
    seq: number,
  ): void {
    assert(this.bulkFrom === 0, 'insert after bulkAppend needs finishBulk first');
    this.takeSeq(seq);
    this.list.insert(
      this.versions.append(chunk, keyOffset, keyLength, valueOffset, valueLength, kind, seq),
    );
  }

  /** Bulk load for recovery: appends versions in seq order without ordering work; see finishBulk. */
  bulkAppend(
    chunk: Buffer,
    keyOffset: number,
    keyLength: number,
    valueOffset: number,
    valueLength: number,
    kind: EntryKind,
    seq: number,
  ): void {
    assert(this.list.linkedCount === 0, 'bulkAppend only on a memtable that had no insert');
    this.takeSeq(seq);
    const index = this.versions.append(
      chunk,
      keyOffset,
      keyLength,
      valueOffset,
      valueLength,
      kind,
      seq,
    );
    if (this.bulkFrom === 0) this.bulkFrom = index;
  }

  /** Orders and links everything bulkAppend added. Only legal on a memtable that had no insert. */
  finishBulk(): void {
    assert(this.list.linkedCount === 0, 'finishBulk only on a memtable that had no insert');
    if (this.bulkFrom === 0) return; // nothing was appended
    this.list.buildFromSorted(sortVersions(this.versions, this.bulkFrom, this.versions.count));
    this.bulkFrom = 0;
  }

  /** Value of the newest version with seq <= at (default latest); undefined if absent or deleted. */
  get(key: Uint8Array, at?: number): Buffer | undefined {
    checkKey(key, 'key');
    const seqBound = readSnapshot(at, "get option 'at'", this.seqLast);
    this.assertLinked();
    const prefix = keyPrefix32(key, 0, key.length, 0);
    const node = this.list.next(this.list.findBefore(key, 0, key.length, prefix, seqBound));
    const v = this.versions;
    if (node === NIL || v.compareKeyTo(node, key, 0, key.length, prefix) !== 0) return undefined;
    return v.kind[node] === KIND_PUT ? v.value(node) : undefined;
  }

  /**
   * Live entries (newest version with seq <= at, tombstones hidden) in key order (or reverse).
   * Options are checked here, and `at` (default: the latest) is capped at the lastSeq of this
   * call: versions inserted while the iterator is open are never seen.
   */
  scan(options?: ScanOptions): IterableIterator<Entry> {
    const plan = planScan(options, this.seqLast);
    this.assertLinked();
    return plan.reverse ? this.scanReverse(plan) : this.scanForward(plan);
  }

  private *scanForward(plan: ScanPlan): IterableIterator<Entry> {
    const v = this.versions;
    let node = this.list.next(this.seekLower(plan.lower));
    for (let yielded = 0, keys = 1; yielded < plan.limit && node !== NIL; keys++) {
      assert(keys <= v.count, 'a forward scan visits each key once'); // count grows with inserts
      if (plan.upper !== undefined && !withinUpper(v, node, plan.upper)) return;
      const visible = this.seekInKey(node, plan.at);
      if (visible === NIL || !v.sameKey(visible, node)) {
        node = visible; // nothing old enough: visible is the next key's newest version
        continue;
      }
      if (v.kind[visible] === KIND_PUT) {
        yielded++;
        yield { key: v.key(visible), value: v.value(visible) };
      }
      node = this.seekInKey(visible, SEQ_BELOW_ALL);
    }
  }

  private *scanReverse(plan: ScanPlan): IterableIterator<Entry> {
    const v = this.versions;
    let last = this.seekUpper(plan.upper); // some version of the key to visit next
    for (let yielded = 0, keys = 1; yielded < plan.limit && last !== HEAD; keys++) {
      assert(keys <= v.count, 'a reverse scan visits each key once');
      if (plan.lower !== undefined && !withinLower(v, last, plan.lower)) return;
      // No back links (as in LevelDB): one seek finds the node before this key's versions.
      const before = this.list.findBeforeKeyOf(last, SEQ_ABOVE_ALL);
      const visible = this.seekInKey(this.list.next(before), plan.at);
      if (visible !== NIL && v.sameKey(visible, last) && v.kind[visible] === KIND_PUT) {
        yielded++;
        yield { key: v.key(visible), value: v.value(visible) };
      }
      last = before;
    }
  }

  /** The node after which the forward scan starts. */
  private seekLower(lower: KeyBound | undefined): number {
    if (lower === undefined) return HEAD;
    const seqBound = lower.inclusive ? SEQ_ABOVE_ALL : SEQ_BELOW_ALL;
    return this.list.findBefore(lower.key, 0, lower.key.length, lower.prefix, seqBound);
  }

  /** The last node the reverse scan may visit (HEAD: none). */
  private seekUpper(upper: KeyBound | undefined): number {
    if (upper === undefined) return this.list.findLast();
    const seqBound = upper.inclusive ? SEQ_BELOW_ALL : SEQ_ABOVE_ALL;
    return this.list.findBefore(upper.key, 0, upper.key.length, upper.prefix, seqBound);
  }

  /**
   * From `node` (a version of key K), the first node at or after (K, seqBound): the newest
   * version of K with seq <= seqBound, or else the next key's newest version (or NIL).
   * Walks a few versions, then seeks, so a key with many versions costs O(log n).
   */
  private seekInKey(node: number, seqBound: number): number {
    const v = this.versions;
    let current = node;
    for (let walked = 0; walked < VERSIONS_WALKED_MAX; walked++) {
      if (current === NIL || v.seq[current]! <= seqBound || !v.sameKey(current, node))
        return current;
      current = this.list.next(current);
    }
    return this.list.next(this.list.findBeforeKeyOf(node, seqBound));
  }

  private takeSeq(seq: number): void {
    assert(
      Number.isSafeInteger(seq) && seq > this.seqLast && seq <= SEQ_MAX,
      'seq above every seq held',
    );
    this.seqLast = seq;
  }

  private assertLinked(): void {
    assert(this.bulkFrom === 0, 'reads after bulkAppend need finishBulk first');
  }
}

function withinUpper(v: VersionColumns, node: number, upper: KeyBound): boolean {
  const byKey = v.compareKeyTo(node, upper.key, 0, upper.key.length, upper.prefix);
  return upper.inclusive ? byKey <= 0 : byKey < 0;
}

function withinLower(v: VersionColumns, node: number, lower: KeyBound): boolean {
  const byKey = v.compareKeyTo(node, lower.key, 0, lower.key.length, lower.prefix);
  return lower.inclusive ? byKey >= 0 : byKey > 0;
}
