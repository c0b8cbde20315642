// Every version the memtable holds, stored column-wise in growable typed arrays (LevelDB's arena
// idea, without copying): a version is an index, and its key and value stay in the chunk the
// caller handed in (a WAL record, or a whole segment read at recovery). Keys and values come back
// as chunk.subarray views, so no byte is copied on insert.
//
//   column        type          bytes   holds
//   chunkId       Uint32Array   4       index into `chunks` (whole ArrayBuffers, see memoryOf)
//   keyOffset     Uint32Array   4       key bytes are chunk[keyOffset, +keyLength)
//   keyLength     Uint32Array   4
//   valueOffset   Uint32Array   4       value bytes are chunk[valueOffset, +valueLength)
//   valueLength   Uint32Array   4
//   prefix        Uint32Array   4       keyPrefix32 of the key (see key-compare.ts)
//   seq           Float64Array  8       exact up to 2^53 - 1
//   kind          Uint8Array    1       KIND_PUT or KIND_DELETE
//                               33 bytes a version, plus growth slack (factor 1.5)
//
// Index 0 is reserved for the skip list's head, so a version index is never 0.

import { assert } from '../assert.ts';
import { compareBytes, keyPrefix32 } from './key-compare.ts';

export const KIND_DELETE = 0;
export const KIND_PUT = 1;
export type EntryKind = 0 | 1;

// Most memtables stay tiny (the campaign opens thousands of small logs), and V8 keeps a typed
// array of up to 64 bytes on its heap: 8 versions (the Float64 column's 64 bytes) cost no
// backing-store allocation, which for 64 versions was most of a small open. The first growth
// goes straight to 64 versions, then by 1.5x.
const CAPACITY_MIN = 8;
const CAPACITY_GROWN_MIN = 64;
const CAPACITY_MAX = 0xffffffff;
const OFFSET_END_MAX = 0xffffffff;

export class VersionColumns {
  /** Indices in use, the head's included: versions are 1 .. count - 1. */
  count = 1;
  maxKeyLength = 0;
  readonly chunks: Buffer[] = [];

  chunkId = new Uint32Array(CAPACITY_MIN);
  keyOffset = new Uint32Array(CAPACITY_MIN);
  keyLength = new Uint32Array(CAPACITY_MIN);
  valueOffset = new Uint32Array(CAPACITY_MIN);
  valueLength = new Uint32Array(CAPACITY_MIN);
  prefix = new Uint32Array(CAPACITY_MIN);
  seq = new Float64Array(CAPACITY_MIN);
  kind = new Uint8Array(CAPACITY_MIN);

  /** Stores one version and returns its index; nothing is linked or ordered here. */
  append(
    chunk: Buffer,
    keyOffset: number,
    keyLength: number,
    valueOffset: number,
    valueLength: number,
    kind: EntryKind,
    seq: number,
  ): number {
    assert(
      keyOffset >= 0 && keyLength >= 0 && keyOffset + keyLength <= chunk.length,
      'key inside its chunk',
    );
    assert(
      valueOffset >= 0 && valueLength >= 0 && valueOffset + valueLength <= chunk.length,
      'value inside its chunk',
    );
    assert(
      kind === KIND_PUT || (kind === KIND_DELETE && valueLength === 0),
      'kind is PUT, or DELETE without a value',
    );
    if (this.count === this.chunkId.length) this.grow();
    this.memoryOf(chunk); // makes the chunk's memory the last of this.chunks
    const base = chunk.byteOffset; // memory starts at byte 0 of the ArrayBuffer
    assert(base + chunk.length <= OFFSET_END_MAX, 'chunk offsets fit 32 bits');
    const index = this.count++;
    this.chunkId[index] = this.chunks.length - 1;
    this.keyOffset[index] = base + keyOffset;
    this.keyLength[index] = keyLength;
    this.valueOffset[index] = base + valueOffset;
    this.valueLength[index] = valueLength;
    this.prefix[index] = keyPrefix32(chunk, keyOffset, keyLength, 0);
    this.seq[index] = seq;
    this.kind[index] = kind;
    if (keyLength > this.maxKeyLength) this.maxKeyLength = keyLength;
    return index;
  }

  /**
   * The retained chunk for `chunk`: one Buffer over its whole ArrayBuffer, shared by every chunk
   * cut from the same memory (Node's pooled small Buffers, subarrays of one segment read), so
   * a version costs no Buffer object of its own. Consecutive chunks usually share memory.
   */
  private memoryOf(chunk: Buffer): Buffer {
    const last = this.chunks[this.chunks.length - 1];
    if (last !== undefined && last.buffer === chunk.buffer) return last;
    const whole = chunk.byteOffset === 0 && chunk.length === chunk.buffer.byteLength;
    const memory = whole ? chunk : Buffer.from(chunk.buffer, 0, chunk.buffer.byteLength);
    this.chunks.push(memory);
    return memory;
  }

  chunkOf(index: number): Buffer {
    return this.chunks[this.chunkId[index]!]!;
  }

  key(index: number): Buffer {
    const offset = this.keyOffset[index]!;
    return this.chunkOf(index).subarray(offset, offset + this.keyLength[index]!);
  }

  value(index: number): Buffer {
    const offset = this.valueOffset[index]!;
    return this.chunkOf(index).subarray(offset, offset + this.valueLength[index]!);
  }

  /** Sign (any magnitude) of version `index`'s key against `bytes[offset, +length)` of keyPrefix32 `prefix`. */
  compareKeyTo(
    index: number,
    bytes: Uint8Array,
    offset: number,
    length: number,
    prefix: number,
  ): number {
    const own = this.prefix[index]!;
    if (own !== prefix) return own < prefix ? -1 : 1;
    // Equal prefixes mean equal bytes over the first 4 (or the shorter key's length).
    const keyLength = this.keyLength[index]!;
    const known = Math.min(4, keyLength, length);
    return compareBytes(
      this.chunkOf(index),
      this.keyOffset[index]!,
      keyLength,
      bytes,
      offset,
      length,
      known,
    );
  }

  sameKey(a: number, b: number): boolean {
    if (this.prefix[a] !== this.prefix[b] || this.keyLength[a] !== this.keyLength[b]) return false;
    if (this.chunkId[a] === this.chunkId[b] && this.keyOffset[a] === this.keyOffset[b]) return true;
    return (
      this.compareKeyTo(
        a,
        this.chunkOf(b),
        this.keyOffset[b]!,
        this.keyLength[b]!,
        this.prefix[b]!,
      ) === 0
    );
  }

  /**
   * List order: key ascending, then seq descending (the newest version of a key comes first).
   * `knownEqual`: a count of leading key bytes the caller knows to be equal (0 if none).
   */
  compareVersions(a: number, b: number, knownEqual = 0): number {
    const prefixA = this.prefix[a]!;
    const prefixB = this.prefix[b]!;
    if (prefixA !== prefixB) return prefixA < prefixB ? -1 : 1;
    const lengthA = this.keyLength[a]!;
    const lengthB = this.keyLength[b]!;
    const known = Math.min(Math.max(4, knownEqual), lengthA, lengthB);
    const byKey = compareBytes(
      this.chunkOf(a),
      this.keyOffset[a]!,
      lengthA,
      this.chunkOf(b),
      this.keyOffset[b]!,
      lengthB,
      known,
    );
    return byKey !== 0 ? byKey : this.seq[b]! - this.seq[a]!;
  }

  private grow(): void {
    // Past the first few versions the memtable is no longer a tiny one: straight to 64.
    const capacity = Math.min(
      CAPACITY_MAX,
      Math.max(CAPACITY_GROWN_MIN, Math.ceil(this.chunkId.length * 1.5)),
    );
    assert(capacity > this.chunkId.length, 'version capacity below 2^32');
    this.chunkId = grown(this.chunkId, new Uint32Array(capacity));
    this.keyOffset = grown(this.keyOffset, new Uint32Array(capacity));
    this.keyLength = grown(this.keyLength, new Uint32Array(capacity));
    this.valueOffset = grown(this.valueOffset, new Uint32Array(capacity));
    this.valueLength = grown(this.valueLength, new Uint32Array(capacity));
    this.prefix = grown(this.prefix, new Uint32Array(capacity));
    this.seq = grown(this.seq, new Float64Array(capacity));
    this.kind = grown(this.kind, new Uint8Array(capacity));
  }
}

function grown<T extends Uint32Array | Float64Array | Uint8Array>(old: T, next: T): T {
  next.set(old);
  return next;
}
