// The last sequence number of every batch, in order. Reads at a snapshot inside a batch
// must not see part of it (all or nothing), so a snapshot is rounded down to the last
// batch that ends at or before it.

import { assert } from '../assert.ts';

// Doubles as needed. Most logs opened are small (the campaign opens thousands), and 8 ends
// (64 bytes) stay on V8's heap: no backing-store allocation per open.
const INITIAL_CAPACITY = 8;

export class BatchBoundaries {
  private ends = new Float64Array(INITIAL_CAPACITY);
  private length = 0;

  get lastSeq(): number {
    return this.length === 0 ? 0 : (this.ends[this.length - 1] as number);
  }

  add(lastSeqOfBatch: number): void {
    assert(lastSeqOfBatch > this.lastSeq, 'batch ends increase');
    if (this.length === this.ends.length) {
      const grown = new Float64Array(this.ends.length * 2);
      grown.set(this.ends);
      this.ends = grown;
    }
    this.ends[this.length++] = lastSeqOfBatch;
  }

  /** The largest batch end <= `seq`, or 0 when no batch ends that early. */
  floor(seq: number): number {
    let lo = 0;
    let hi = this.length; // invariant: ends[lo-1] <= seq < ends[hi]
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if ((this.ends[mid] as number) <= seq) lo = mid + 1;
      else hi = mid;
    }
    return lo === 0 ? 0 : (this.ends[lo - 1] as number);
  }
}
