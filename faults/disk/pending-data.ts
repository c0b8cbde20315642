// Unsynced file data: the writes and truncates issued since a file's last successful datasync,
// in issue order, and the byte images a crash can make of them.
//
// Buffers here follow one rule: a buffer holds a file of `size` bytes at [0, size) and zeros
// after it, up to its length (its capacity). Growing a file past its size therefore reads
// zeros in the gap, as POSIX requires, without a fill.
//
// Keep-prefix cuts count *units*: each written byte is one unit and each truncate is one unit,
// in issue order. Cut c keeps the first c units: whole ops, then a prefix of the write that
// the cut falls in.

export interface PendingWrite {
  readonly kind: 'write';
  readonly offset: number;
  readonly data: Uint8Array; // a private copy
}

export interface PendingTruncate {
  readonly kind: 'truncate';
  readonly size: number;
}

export type PendingOp = PendingWrite | PendingTruncate;

export const SECTOR_BYTES = 512;

export function pendingUnits(ops: readonly PendingOp[]): number {
  let units = 0;
  for (const op of ops) units += op.kind === 'write' ? op.data.length : 1;
  return units;
}

/** Size after the first `units` units; and the largest size reached on the way (the extent). */
export function sizeAfter(
  size: number,
  ops: readonly PendingOp[],
  units = Infinity,
): { size: number; extent: number } {
  let extent = size;
  let left = units;
  for (const op of ops) {
    if (left <= 0) break;
    if (op.kind === 'truncate') {
      size = op.size;
      left -= 1;
    } else {
      const n = Math.min(op.data.length, left);
      if (n > 0) size = Math.max(size, op.offset + n);
      left -= op.data.length;
    }
    extent = Math.max(extent, size);
  }
  return { size, extent };
}

/** Lowest byte offset the ops may change (a truncate changes everything from its size on). */
export function lowestOffset(ops: readonly PendingOp[]): number {
  let low = Infinity;
  for (const op of ops) low = Math.min(low, op.kind === 'write' ? op.offset : op.size);
  return low;
}

/**
 * Applies the first `units` units of `ops` to `buf` (a file of `size` bytes, zeros after it;
 * `buf.length` at least the extent). Returns the new size; keeps the zeros-after rule.
 */
export function applyOps(
  buf: Uint8Array,
  size: number,
  ops: readonly PendingOp[],
  units = Infinity,
): number {
  let left = units;
  for (const op of ops) {
    if (left <= 0) break;
    if (op.kind === 'truncate') {
      if (op.size < size) buf.fill(0, op.size, size);
      size = op.size;
      left -= 1;
    } else {
      const n = Math.min(op.data.length, left);
      buf.set(n === op.data.length ? op.data : op.data.subarray(0, n), op.offset);
      if (n > 0) size = Math.max(size, op.offset + n);
      left -= op.data.length;
    }
  }
  return size;
}

/** A new exact-size array: `base` with the first `units` units of `ops` applied. */
export function withOps(base: Uint8Array, ops: readonly PendingOp[], units = Infinity): Uint8Array {
  const { extent } = sizeAfter(base.length, ops, units);
  const buf = new Uint8Array(extent);
  buf.set(base);
  const size = applyOps(buf, base.length, ops, units);
  return buf.subarray(0, size);
}

/**
 * Sorted indices of the sectors the ops change: every sector a write covers, and every sector
 * between a truncate's old and new size (zeroed, or cut off). `size` is the size before them.
 */
export function touchedSectors(size: number, ops: readonly PendingOp[]): number[] {
  const sectors = new Set<number>();
  for (const op of ops) {
    if (op.kind === 'write') {
      touchSectors(sectors, op.offset, op.offset + op.data.length);
      size = Math.max(size, op.offset + op.data.length);
    } else {
      touchSectors(sectors, Math.min(size, op.size), Math.max(size, op.size));
      size = op.size;
    }
  }
  return [...sectors].sort((x, y) => x - y);
}

/** Adds the sectors bytes [start, end) lie in (a module function: crashState calls it per file). */
function touchSectors(sectors: Set<number>, start: number, end: number): void {
  if (end <= start) return;
  const last = Math.floor((end - 1) / SECTOR_BYTES);
  for (let s = Math.floor(start / SECTOR_BYTES); s <= last; s++) sectors.add(s);
}

/** End offsets of the writes, sorted and distinct. */
export function writeEnds(ops: readonly PendingOp[]): number[] {
  const ends = new Set<number>();
  for (const op of ops)
    if (op.kind === 'write' && op.data.length > 0) ends.add(op.offset + op.data.length);
  return [...ends].sort((x, y) => x - y);
}

/**
 * A torn file of `length` bytes: sectors listed in `fresh` hold `next`'s bytes, the others
 * `old`'s; bytes past either source read as zeros.
 */
export function tearContent(
  old: Uint8Array,
  next: Uint8Array,
  fresh: readonly number[],
  length: number,
): Uint8Array {
  const out = new Uint8Array(length);
  out.set(old.length <= length ? old : old.subarray(0, length));
  for (const sector of fresh) {
    const start = sector * SECTOR_BYTES;
    if (start >= length) continue;
    const end = Math.min(length, start + SECTOR_BYTES);
    const src = next.subarray(Math.min(start, next.length), Math.min(end, next.length));
    out.set(src, start);
    out.fill(0, start + src.length, end);
  }
  return out;
}
