// A skip list over VersionColumns indices (LevelDB's db/skiplist.h, with integer links in typed
// arrays instead of pointers). List order is (key ascending, seq descending), so the versions of
// one key sit together, newest first, and "the newest version at or below seq s" is one seek.
//
//   node n, height h   level 0 link:       next0[n]
//                      level l link, l>0:  upper[upperBase[n] + l - 1]   (only when h > 1)
//
// Node 0 is the head (height HEIGHT_MAX, links at upper[0 .. HEIGHT_MAX - 2]); link 0 (NIL)
// ends a level, since the head is nobody's successor. Nodes are only ever added, so an index
// held by a reader stays valid while inserts go on.

import { assert } from '../assert.ts';
import { HEIGHT_MAX, SkipListLevels } from './skiplist-levels.ts';
import type { VersionColumns } from './version-columns.ts';

export const HEAD = 0;
export const NIL = 0;

/** Seq bounds for seeks: every version is newer than SEQ_BELOW_ALL and older than SEQ_ABOVE_ALL. */
export const SEQ_BELOW_ALL = -1;
export const SEQ_ABOVE_ALL = Infinity;

// Grows by 1.5x. 16 links (64 bytes) stay on V8's heap, as in version-columns.ts, and hold the
// head's HEIGHT_MAX - 1 upper links.
const CAPACITY_MIN = 16;
/** The first growth goes straight to this many nodes (as version-columns.ts does), then by 1.5x. */
const CAPACITY_GROWN_MIN = 64;

export class VersionSkipList {
  private next0 = new Uint32Array(CAPACITY_MIN);
  private upperBase = new Uint32Array(CAPACITY_MIN);
  private upper = new Uint32Array(CAPACITY_MIN);
  private upperUsed = HEIGHT_MAX - 1; // the head's links
  private height = 1;
  private linked = 0;
  private readonly levels: SkipListLevels;
  private readonly prev = new Uint32Array(HEIGHT_MAX);

  constructor(
    private readonly versions: VersionColumns,
    seed: number,
  ) {
    this.levels = new SkipListLevels(seed);
  }

  /** Versions linked so far. */
  get linkedCount(): number {
    return this.linked;
  }

  next(node: number): number {
    return this.next0[node]!;
  }

  /**
   * The last node ordered before the target (key, seqBound): its key is below the key, or equal
   * with a seq above seqBound. HEAD when none is. Its successor is the first node at or after the
   * target, so seqBound = SEQ_ABOVE_ALL finds a key's newest version and SEQ_BELOW_ALL skips them all.
   */
  findBefore(
    bytes: Uint8Array,
    offset: number,
    length: number,
    prefix: number,
    seqBound: number,
  ): number {
    return this.descend(bytes, offset, length, prefix, seqBound, false);
  }

  /** findBefore for the key of version `node`. */
  findBeforeKeyOf(node: number, seqBound: number): number {
    const v = this.versions;
    return this.descend(
      v.chunkOf(node),
      v.keyOffset[node]!,
      v.keyLength[node]!,
      v.prefix[node]!,
      seqBound,
      false,
    );
  }

  /** The last node of the list, HEAD when empty. */
  findLast(): number {
    const next0 = this.next0;
    const upperBase = this.upperBase;
    const upper = this.upper;
    let node = HEAD;
    let steps = 0;
    for (let level = this.height - 1; level >= 0; level--) {
      for (;;) {
        const next = level === 0 ? next0[node]! : upper[upperBase[node]! + level - 1]!;
        if (next === NIL) break;
        node = next;
        assert(++steps <= this.linked, 'findLast advances at most once a node');
      }
    }
    return node;
  }

  /** Links one appended version at its place; its seq must be the highest so far. */
  insert(node: number): void {
    const v = this.versions;
    this.ensureNodes(v.count);
    // A new version's seq is the highest, so it goes before every older version of its key.
    this.descend(
      v.chunkOf(node),
      v.keyOffset[node]!,
      v.keyLength[node]!,
      v.prefix[node]!,
      SEQ_ABOVE_ALL,
      true,
    );
    const height = this.levels.nextHeight();
    const prev = this.prev;
    for (let level = this.height; level < height; level++) prev[level] = HEAD;
    if (height > this.height) this.height = height;
    if (height > 1) this.upperBase[node] = this.allocateUpper(height - 1);
    for (let level = 0; level < height; level++) this.link(prev[level]!, node, level);
    this.linked++;
  }

  /** Links nodes given in list order, left to right, into an empty list: linear, no comparisons. */
  buildFromSorted(order: Uint32Array): void {
    assert(this.linked === 0, 'bulk build needs an empty list');
    const v = this.versions;
    this.ensureNodes(v.count);
    const last = new Uint32Array(HEIGHT_MAX); // the rightmost node of each level so far (HEAD at first)
    for (let i = 0; i < order.length; i++) {
      const node = order[i]!;
      const height = this.levels.nextHeight();
      if (height > this.height) this.height = height;
      if (height > 1) this.upperBase[node] = this.allocateUpper(height - 1);
      for (let level = 0; level < height; level++) {
        this.setLink(last[level]!, level, node);
        last[level] = node;
      }
    }
    for (let level = 0; level < HEIGHT_MAX; level++) this.setLink(last[level]!, level, NIL);
    this.linked = order.length;
  }

  private descend(
    bytes: Uint8Array,
    offset: number,
    length: number,
    prefix: number,
    seqBound: number,
    recordPrev: boolean,
  ): number {
    const v = this.versions;
    const prefixes = v.prefix;
    const seqs = v.seq;
    const next0 = this.next0;
    const upperBase = this.upperBase;
    const upper = this.upper;
    const stepsMax = this.linked + HEIGHT_MAX;
    let node = HEAD;
    let level = this.height - 1;
    for (let steps = 0; ; steps++) {
      assert(steps <= stepsMax, 'a seek moves right at most once a node, and down once a level');
      const next = level === 0 ? next0[node]! : upper[upperBase[node]! + level - 1]!;
      if (next !== NIL) {
        const nextPrefix = prefixes[next]!;
        let before: boolean;
        if (nextPrefix !== prefix) {
          before = nextPrefix < prefix;
        } else {
          const byKey = v.compareKeyTo(next, bytes, offset, length, prefix);
          before = byKey < 0 || (byKey === 0 && seqs[next]! > seqBound);
        }
        if (before) {
          node = next;
          continue;
        }
      }
      if (recordPrev) this.prev[level] = node;
      if (level === 0) return node;
      level--;
    }
  }

  private link(prev: number, node: number, level: number): void {
    const after = level === 0 ? this.next0[prev]! : this.upper[this.upperBase[prev]! + level - 1]!;
    this.setLink(node, level, after);
    this.setLink(prev, level, node);
  }

  private setLink(node: number, level: number, target: number): void {
    if (level === 0) this.next0[node] = target;
    else this.upper[this.upperBase[node]! + level - 1] = target;
  }

  private allocateUpper(links: number): number {
    const base = this.upperUsed;
    if (base + links > this.upper.length) {
      const bigger = new Uint32Array(Math.max(CAPACITY_GROWN_MIN, Math.ceil((base + links) * 1.5)));
      bigger.set(this.upper);
      this.upper = bigger;
    }
    this.upperUsed = base + links;
    return base;
  }

  private ensureNodes(count: number): void {
    if (count <= this.next0.length) return;
    const capacity = Math.max(count, CAPACITY_GROWN_MIN, Math.ceil(this.next0.length * 1.5));
    const next0 = new Uint32Array(capacity);
    next0.set(this.next0);
    this.next0 = next0;
    const upperBase = new Uint32Array(capacity);
    upperBase.set(this.upperBase);
    this.upperBase = upperBase;
  }
}
