// Byte-level damage to WAL segments: pure functions on Uint8Array (each returns a new array,
// so they work on simulated and real files alike), a small record walker that finds fields by
// structure, and a helper that applies an injection to a file through any FileSystem.
//
// Record (src/wal/wal-format.md section 2), little-endian; CRC-32C over bytes [4, 24 + length):
//
//   0       4     8    9     10        12        20     24
//   +-------+-----+----+-----+---------+---------+------+-------------------+
//   | crc   | len |type|flags|reserved |seqStart | count| payload (len)     |
//   | u32   | u32 | u8 | u8  | u16     | u64     | u32  |                   |
//   +-------+-----+----+-----+---------+---------+------+-------------------+
//
// Logical record (section 3), back to back in the payload:
//
//   0        4        8      9          9+K
//   +--------+--------+------+----------+------------+
//   | keyLen | valLen | kind | key (K)  | value (V)  |
//   +--------+--------+------+----------+------------+
//
// The walker here is deliberately independent of src/wal: it trusts the length and count
// fields only as far as the bytes go, and never checks the CRC, so it can locate fields of
// damaged records too. Re-CRC after a flip lets a test reach the checks after the checksum
// (bad-header, bad-payload, sequence-mismatch).

import { crc32c } from '@node-rs/crc32';
import type { FileSystem } from '../../src/fs/types.ts';
import { Rng } from '../base/rng.ts';

export const RECORD_HEADER_BYTES = 24;
export const LOGICAL_HEADER_BYTES = 9;

export type RecordField = 'crc' | 'length' | 'type' | 'flags' | 'reserved' | 'seqStart' | 'count';
export type LogicalField = 'keyLen' | 'valLen' | 'kind' | 'key' | 'value';

/** Offset and size in bytes of each header field. */
export const RECORD_FIELDS: Readonly<
  Record<RecordField, readonly [offset: number, bytes: number]>
> = {
  crc: [0, 4],
  length: [4, 4],
  type: [8, 1],
  flags: [9, 1],
  reserved: [10, 2],
  seqStart: [12, 8],
  count: [20, 4],
};

export interface LogicalSpan {
  /** Absolute offset of the logical record in the segment. */
  offset: number;
  keyLen: number;
  valLen: number;
  kind: number;
}

export interface RecordSpan {
  /** Absolute offset of the record header. */
  offset: number;
  length: number;
  /** seqStart as a number (exact up to 2^53). */
  seqStart: number;
  count: number;
  /** False when the payload runs past the end of the bytes (a torn tail). */
  complete: boolean;
  logical: LogicalSpan[];
}

export type Injection =
  | { kind: 'truncate'; offset: number }
  | { kind: 'tear'; start: number; end: number; fill: 'zero' }
  | { kind: 'tear'; start: number; end: number; fill: 'random'; seed: number }
  | { kind: 'flip'; bits: number[] }
  | { kind: 'record-field'; record: number; field: RecordField; bit: number; recrc: boolean }
  | {
      kind: 'logical-field';
      record: number;
      logical: number;
      field: LogicalField;
      bit: number;
      recrc: boolean;
    };

// ---- walking ------------------------------------------------------------------------------

/** Every record whose header fits, in order; the last may be incomplete. */
export function walkRecords(bytes: Uint8Array): RecordSpan[] {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const spans: RecordSpan[] = [];
  let offset = 0;
  // each record takes at least a header, which bounds the loop
  while (
    offset + RECORD_HEADER_BYTES <= bytes.length &&
    spans.length <= bytes.length / RECORD_HEADER_BYTES
  ) {
    const length = view.getUint32(offset + 4, true);
    const count = view.getUint32(offset + 20, true);
    const seqStart =
      view.getUint32(offset + 12, true) + view.getUint32(offset + 16, true) * 0x1_0000_0000;
    const end = offset + RECORD_HEADER_BYTES + length;
    const complete = end <= bytes.length;
    const logical = walkLogical(
      view,
      offset + RECORD_HEADER_BYTES,
      Math.min(end, bytes.length),
      count,
    );
    spans.push({ offset, length, seqStart, count, complete, logical });
    if (!complete) break;
    offset = end;
  }
  return spans;
}

function walkLogical(view: DataView, start: number, end: number, count: number): LogicalSpan[] {
  const out: LogicalSpan[] = [];
  let at = start;
  const countMax = Math.min(count, Math.floor((end - start) / LOGICAL_HEADER_BYTES));
  while (out.length < countMax && at + LOGICAL_HEADER_BYTES <= end) {
    const keyLen = view.getUint32(at, true);
    const valLen = view.getUint32(at + 4, true);
    out.push({ offset: at, keyLen, valLen, kind: view.getUint8(at + 8) });
    at += LOGICAL_HEADER_BYTES + keyLen + valLen;
  }
  return out;
}

// ---- pure injectors ----------------------------------------------------------------------

export function truncateAt(bytes: Uint8Array, offset: number): Uint8Array {
  checkRange(offset, 0, bytes.length, 'truncate offset');
  return bytes.slice(0, offset);
}

/** Bytes [start, end) replaced by zeros, or by seeded random bytes. */
export function tearRange(
  bytes: Uint8Array,
  start: number,
  end: number,
  fill: 'zero' | { seed: number } = 'zero',
): Uint8Array {
  checkRange(start, 0, bytes.length, 'tear start');
  checkRange(end, start, bytes.length, 'tear end');
  const out = new Uint8Array(bytes); // a copy even of a Buffer (whose slice() is a view)
  if (fill === 'zero') {
    out.fill(0, start, end);
  } else {
    const rng = new Rng(fill.seed);
    for (let i = start; i < end; i++) out[i] = rng.int(256);
  }
  return out;
}

/** Flips bits numbered byte * 8 + bit (bit 0 the least significant). */
export function flipBits(bytes: Uint8Array, bits: readonly number[]): Uint8Array {
  const out = new Uint8Array(bytes); // a copy even of a Buffer (whose slice() is a view)
  for (const bit of bits) {
    checkRange(bit, 0, bytes.length * 8 - 1, 'bit');
    out[bit >>> 3]! ^= 1 << (bit & 7);
  }
  return out;
}

/** Rewrites record `index`'s CRC from its (current) length, header and payload. */
export function recomputeCrc(bytes: Uint8Array, index: number): Uint8Array {
  const span = recordAt(bytes, index);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const length = view.getUint32(span.offset + 4, true);
  const end = span.offset + RECORD_HEADER_BYTES + length;
  if (end > bytes.length)
    throw new RangeError(
      `record ${index}: length ${length} runs past the end, its CRC cannot be recomputed`,
    );
  const out = new Uint8Array(bytes); // a copy even of a Buffer (whose slice() is a view)
  const crc = crc32c(out.subarray(span.offset + 4, end));
  new DataView(out.buffer, out.byteOffset, out.byteLength).setUint32(span.offset, crc >>> 0, true);
  return out;
}

/** The absolute bit a structure-aware target names. */
export function targetBit(
  bytes: Uint8Array,
  inj: Extract<Injection, { kind: 'record-field' | 'logical-field' }>,
): number {
  const span = recordAt(bytes, inj.record);
  let offset: number;
  let size: number;
  if (inj.kind === 'record-field') {
    const [at, n] = RECORD_FIELDS[inj.field];
    offset = span.offset + at;
    size = n;
  } else {
    const lr = span.logical[inj.logical];
    if (lr === undefined)
      throw new RangeError(
        `record ${inj.record} has no logical record ${inj.logical} (${span.logical.length} found)`,
      );
    [offset, size] = logicalField(lr, inj.field);
  }
  checkRange(inj.bit, 0, size * 8 - 1, `bit of ${inj.field}`);
  const bit = offset * 8 + inj.bit;
  checkRange(bit, 0, bytes.length * 8 - 1, `${inj.field} bit (past the end of the bytes)`);
  return bit;
}

function logicalField(lr: LogicalSpan, field: LogicalField): [offset: number, bytes: number] {
  switch (field) {
    case 'keyLen':
      return [lr.offset, 4];
    case 'valLen':
      return [lr.offset + 4, 4];
    case 'kind':
      return [lr.offset + 8, 1];
    case 'key':
      return [lr.offset + LOGICAL_HEADER_BYTES, lr.keyLen];
    case 'value':
      return [lr.offset + LOGICAL_HEADER_BYTES + lr.keyLen, lr.valLen];
  }
}

export function applyInjection(bytes: Uint8Array, inj: Injection): Uint8Array {
  switch (inj.kind) {
    case 'truncate':
      return truncateAt(bytes, inj.offset);
    case 'tear':
      return tearRange(
        bytes,
        inj.start,
        inj.end,
        inj.fill === 'zero' ? 'zero' : { seed: inj.seed },
      );
    case 'flip':
      return flipBits(bytes, inj.bits);
    case 'record-field':
    case 'logical-field': {
      if (inj.recrc && inj.kind === 'record-field' && inj.field === 'crc') {
        throw new RangeError('re-CRC after flipping a CRC bit would undo the flip');
      }
      const flipped = flipBits(bytes, [targetBit(bytes, inj)]);
      return inj.recrc ? recomputeCrc(flipped, inj.record) : flipped;
    }
  }
}

export function describeInjection(inj: Injection): string {
  switch (inj.kind) {
    case 'truncate':
      return `truncate at byte ${inj.offset}`;
    case 'tear':
      return `tear bytes [${inj.start}, ${inj.end}) with ${inj.fill === 'zero' ? 'zeros' : `random bytes (seed ${inj.seed})`}`;
    case 'flip':
      return `flip bits ${inj.bits.map((b) => `${b >>> 3}.${b & 7}`).join(', ')} (byte.bit)`;
    case 'record-field':
      return `flip bit ${inj.bit} of record ${inj.record}'s ${inj.field}${inj.recrc ? ', CRC recomputed' : ''}`;
    case 'logical-field':
      return `flip bit ${inj.bit} of record ${inj.record} logical ${inj.logical}'s ${inj.field}${inj.recrc ? ', CRC recomputed' : ''}`;
  }
}

// ---- through a FileSystem ------------------------------------------------------------------

/** Short writes tolerated before giving up. */
const WRITE_ATTEMPTS_MAX = 64;

/**
 * Applies `inj` to the file at `path` and makes the change durable (datasync): rewrites only
 * the bytes that changed, truncates when the file shrank. Returns the new content.
 */
export async function injectFile(
  fs: FileSystem,
  path: string,
  inj: Injection,
): Promise<Uint8Array> {
  const before = await fs.readFile(path);
  const after = applyInjection(before, inj);
  const handle = await fs.open(path, 'write');
  try {
    if (after.length < before.length) await handle.truncate(after.length);
    let lo = 0;
    while (lo < after.length && after[lo] === before[lo]) lo++;
    let hi = after.length;
    while (hi > lo && after[hi - 1] === before[hi - 1]) hi--;
    for (let attempt = 0; lo < hi; attempt++) {
      if (attempt >= WRITE_ATTEMPTS_MAX)
        throw new Error(`injectFile: ${path}: too many short writes`);
      lo += await handle.write(after.subarray(lo, hi), lo);
    }
    await handle.datasync();
  } finally {
    await handle.close();
  }
  return after;
}

// ---- helpers ------------------------------------------------------------------------------

function recordAt(bytes: Uint8Array, index: number): RecordSpan {
  const spans = walkRecords(bytes);
  const span = spans[index];
  if (span === undefined)
    throw new RangeError(`no record ${index}: the bytes hold ${spans.length}`);
  return span;
}

function checkRange(n: number, lo: number, hi: number, what: string): void {
  if (!(Number.isInteger(n) && n >= lo && n <= hi))
    throw new RangeError(`${what} ${n} outside [${lo}, ${hi}]`);
}
