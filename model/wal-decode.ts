// An independent decoder of the WAL (src/wal/wal-format.md sections 1-8), written from
// that contract for the oracle, sharing no code with the engine. Pure: it takes file contents.
//
//  Record (one write batch), integers little-endian:
//  +---------+---------+------+-------+----------+--------------+---------+-----------+
//  | crc u32 | len u32 | type | flags | reserved | seqStart u64 | count   | payload   |
//  |  @0     |  @4     | u8@8 | u8@9  | u16 @10  |   @12        | u32 @20 | len bytes |
//  +---------+---------+------+-------+----------+--------------+---------+-----------+
//  crc = CRC-32C over bytes [4, 24 + len).
//
//  Logical record, `count` of them back to back in the payload:
//  +-----------+-----------+---------+-----+-------+
//  | keyLen u32| valLen u32| kind u8 | key | value |     kind 1 = PUT, 0 = DELETE (valLen 0)
//  +-----------+-----------+---------+-----+-------+
//
// Outcomes of reading one record, checked in this order (src/wal/wal-format.md section 6):
//   truncated-header, truncated-payload, checksum-mismatch, bad-header, bad-payload,
//   sequence-mismatch; and missing-segment for a gap in the segment numbers.

import { crc32c } from '@node-rs/crc32';
import type { BatchOp } from '../src/batch.ts';

export type InvalidReason =
  | 'truncated-header'
  | 'truncated-payload'
  | 'checksum-mismatch'
  | 'bad-header'
  | 'bad-payload'
  | 'sequence-mismatch'
  | 'missing-segment';

export const INVALID_REASONS: readonly InvalidReason[] = [
  'truncated-header',
  'truncated-payload',
  'checksum-mismatch',
  'bad-header',
  'bad-payload',
  'sequence-mismatch',
  'missing-segment',
];

export type LogStatus = 'clean' | 'torn-tail' | 'corrupt';

export interface DecodedRecord {
  readonly segment: string;
  readonly offset: number;
  /** Bytes the record occupies: 24 + length. */
  readonly size: number;
  readonly seqStart: number;
  readonly count: number;
  readonly ops: BatchOp[];
}

export interface FirstInvalid {
  readonly segment: string;
  readonly offset: number;
  readonly reason: InvalidReason;
}

export interface DecodedLog {
  readonly status: LogStatus;
  /** The valid prefix of the log: records replayed before the first invalid one. */
  readonly records: readonly DecodedRecord[];
  readonly lastSeq: number;
  readonly firstInvalid: FirstInvalid | null;
  readonly segments: { readonly name: string; readonly bytes: number; readonly records: number }[];
}

const HEADER_BYTES = 24;
const LOGICAL_HEADER_BYTES = 9;
const TYPE_BATCH = 1;
const SEQ_MAX = 2 ** 53 - 1;
const SEGMENT_NAME = /^(\d{20})\.wal$/;
const QUARANTINE_PREFIX = 'quarantine/';
/** Segment names whose numbers a LogDecoder keeps parsed. */
const NAMES_KEPT_MAX = 1024;

/** Segment files (name -> bytes) among the files of a directory (path -> bytes); other names are not the log. */
export function segmentFiles(
  files: ReadonlyMap<string, Uint8Array>,
  dbDir: string,
): Map<string, Uint8Array> {
  return logFilesOf(files, dbDir).segments;
}

/** Files under dbDir/quarantine/ (name relative to it -> bytes). */
export function quarantineFiles(
  files: ReadonlyMap<string, Uint8Array>,
  dbDir: string,
): Map<string, Uint8Array> {
  return logFilesOf(files, dbDir).quarantined;
}

/** segmentFiles and quarantineFiles of the same files, in one pass. */
export function logFilesOf(
  files: ReadonlyMap<string, Uint8Array>,
  dbDir: string,
): { segments: Map<string, Uint8Array>; quarantined: Map<string, Uint8Array> } {
  // Paths under dbDir, relative to it ('' or '.' means the paths are already relative).
  const prefix = dbDir === '' || dbDir === '.' ? '' : dbDir.endsWith('/') ? dbDir : `${dbDir}/`;
  const segments = new Map<string, Uint8Array>();
  const quarantined = new Map<string, Uint8Array>();
  for (const [path, bytes] of files) {
    if (!path.startsWith(prefix)) continue;
    const name = path.slice(prefix.length);
    if (SEGMENT_NAME.test(name)) segments.set(name, bytes);
    else if (name.startsWith(QUARANTINE_PREFIX))
      quarantined.set(name.slice(QUARANTINE_PREFIX.length), bytes);
  }
  return { segments, quarantined };
}

/** Walks the segments (name -> bytes) in number order and their records in order, stopping at the first invalid one. */
export function decodeLog(segments: ReadonlyMap<string, Uint8Array>): DecodedLog {
  return new LogDecoder().decode(segments);
}

interface OrderedSegment {
  readonly name: string;
  readonly bytes: Uint8Array;
  readonly number: bigint;
}

/** How far a previous walk got in one segment: a copy of the bytes its valid records cover. */
interface Progress {
  readonly name: string;
  copy: Uint8Array;
  length: number;
}

/**
 * decodeLog for a log that is read again and again as it grows (rule 1 checks at every
 * acknowledgement): it keeps a copy of the bytes it has validated and, when they are
 * unchanged, resumes where the previous walk stopped instead of starting over. Any change
 * in those bytes (or names) makes it decode again from the segment that changed, so the
 * result is always exactly decodeLog's. The records array returned is the decoder's own, and
 * the records' keys and values are views of its copy of the bytes: read them before the next
 * decode() (decodeLog's are the caller's to keep: its decoder decodes only once).
 */
export class LogDecoder {
  private progress: Progress[] = [];
  private records: DecodedRecord[] = [];
  /** The segment index of each record. */
  private recordSegments: number[] = [];
  private reused = 0;
  private count = 0;
  private readonly numbers = new Map<string, bigint | null>();

  /** Records of the last decode taken unchanged from the one before. */
  get reusedRecords(): number {
    return this.reused;
  }

  /** Decodes so far: a user sharing the decoder sees whether others decoded since its own last one. */
  get decodes(): number {
    return this.count;
  }

  decode(segments: ReadonlyMap<string, Uint8Array>): DecodedLog {
    this.count++;
    const ordered: OrderedSegment[] = [];
    for (const [name, bytes] of segments) {
      const number = this.numberOf(name);
      if (number !== null) ordered.push({ name, bytes, number });
    }
    if (ordered.length > 1)
      ordered.sort((x, y) => (x.number < y.number ? -1 : x.number > y.number ? 1 : 0));
    let [index, offset] = this.resumePoint(ordered);
    this.forget(index, offset);
    this.reused = this.records.length;
    let firstInvalid: FirstInvalid | null = null;
    for (; index < ordered.length; index++, offset = 0) {
      const { name, bytes, number } = ordered[index]!;
      firstInvalid =
        offset === 0 && number !== BigInt(index + 1)
          ? { segment: name, offset: 0, reason: 'missing-segment' }
          : this.decodeSegment(index, name, bytes, offset);
      if (firstInvalid !== null) break;
    }
    const last = this.records[this.records.length - 1];
    const counts = ordered.map(() => 0);
    for (const i of this.recordSegments) counts[i]!++;
    return {
      status: statusOf(firstInvalid, firstInvalid === null ? -1 : index, ordered.length),
      records: this.records, // decodeLog's decoder is thrown away; a LogDecoder's user reads before decoding again
      lastSeq: last === undefined ? 0 : last.seqStart + last.count - 1,
      firstInvalid,
      segments: ordered.map(({ name, bytes }, i) => ({
        name,
        bytes: bytes.byteLength,
        records: counts[i]!,
      })),
    };
  }

  /**
   * Walks one segment's records from `offset` to its end or its first invalid record. Each
   * record is copied into the decoder's own bytes first and decoded there, so its ops are views
   * of bytes that no caller can change (and one copy serves both the ops and resumePoint).
   */
  private decodeSegment(
    index: number,
    name: string,
    bytes: Uint8Array,
    offset: number,
  ): FirstInvalid | null {
    const progress = this.progressAt(index, name);
    const last = this.records[this.records.length - 1];
    let expectedSeq = last === undefined ? 1 : last.seqStart + last.count;
    // Every valid record takes at least 24 bytes, so this loop ends within size/24 turns.
    while (offset < bytes.byteLength) {
      const size = recordSize(bytes, offset);
      if (typeof size === 'string') return { segment: name, offset, reason: size };
      const at = appendCopy(progress, bytes.subarray(offset, offset + size));
      const outcome = decodeRecord(progress.copy.subarray(0, at + size), at, expectedSeq);
      if (!outcome.ok) {
        progress.length = at;
        return { segment: name, offset, reason: outcome.reason };
      }
      const count = outcome.ops.length;
      this.records.push({
        segment: name,
        offset,
        size,
        seqStart: outcome.seqStart,
        count,
        ops: outcome.ops,
      });
      this.recordSegments.push(index);
      expectedSeq = outcome.seqStart + count;
      offset += size;
    }
    return null;
  }

  /** A segment name's number, null for a name that is not a segment's (parsed once per name). */
  private numberOf(name: string): bigint | null {
    let number = this.numbers.get(name);
    if (number === undefined) {
      number = SEGMENT_NAME.test(name) ? BigInt(name.slice(0, 20)) : null;
      if (this.numbers.size >= NAMES_KEPT_MAX) this.numbers.clear();
      this.numbers.set(name, number);
    }
    return number;
  }

  /** Where to start decoding: the end of the validated bytes that are still unchanged. */
  private resumePoint(ordered: readonly OrderedSegment[]): [number, number] {
    for (let i = 0; i < this.progress.length; i++) {
      const seen = this.progress[i]!;
      const now = ordered[i];
      const unchanged =
        now !== undefined &&
        now.name === seen.name &&
        now.bytes.byteLength >= seen.length &&
        Buffer.compare(now.bytes.subarray(0, seen.length), seen.copy.subarray(0, seen.length)) ===
          0;
      if (!unchanged) return [i, 0];
      if (i === this.progress.length - 1 || now.bytes.byteLength !== seen.length)
        return [i, seen.length];
    }
    return [0, 0];
  }

  /** Drops what was validated at or after (index, offset): records and copied bytes. */
  private forget(index: number, offset: number): void {
    let keep = 0;
    while (
      keep < this.records.length &&
      isBefore(this.recordSegments[keep]!, this.records[keep]!.offset, index, offset)
    )
      keep++;
    this.records.length = keep;
    this.recordSegments.length = keep;
    const segment = this.progress[index];
    if (segment === undefined || offset === 0) {
      this.progress.length = Math.min(this.progress.length, index);
    } else {
      segment.length = offset;
      this.progress.length = index + 1;
    }
  }

  private progressAt(index: number, name: string): Progress {
    let progress = this.progress[index];
    if (progress === undefined) {
      progress = { name, copy: new Uint8Array(256), length: 0 };
      this.progress[index] = progress;
    }
    return progress;
  }
}

function isBefore(
  recordIndex: number,
  recordOffset: number,
  index: number,
  offset: number,
): boolean {
  return recordIndex < index || (recordIndex === index && recordOffset < offset);
}

/** Appends bytes to a segment's copy (growing it by doubling); returns where they start. */
function appendCopy(progress: Progress, bytes: Uint8Array): number {
  const at = progress.length;
  if (at + bytes.byteLength > progress.copy.byteLength) {
    const grown = new Uint8Array(Math.max(progress.copy.byteLength * 2, at + bytes.byteLength));
    grown.set(progress.copy.subarray(0, at)); // records decoded before keep viewing the old copy
    progress.copy = grown;
  }
  progress.copy.set(bytes, at);
  progress.length = at + bytes.byteLength;
  return at;
}

function readUint32(bytes: Uint8Array, at: number): number {
  return (
    (bytes[at]! | (bytes[at + 1]! << 8) | (bytes[at + 2]! << 16) | (bytes[at + 3]! << 24)) >>> 0
  );
}

function statusOf(
  firstInvalid: FirstInvalid | null,
  index: number,
  segmentCount: number,
): LogStatus {
  if (firstInvalid === null) return 'clean';
  if (firstInvalid.reason === 'missing-segment') return 'corrupt';
  return index === segmentCount - 1 ? 'torn-tail' : 'corrupt';
}

export type RecordOutcome =
  | { readonly ok: true; readonly size: number; readonly seqStart: number; readonly ops: BatchOp[] }
  | { readonly ok: false; readonly reason: InvalidReason };

/** Validates the record at `offset` of a segment whose next expected sequence number is expectedSeq. */
export function decodeRecord(
  bytes: Uint8Array,
  offset: number,
  expectedSeq: number,
): RecordOutcome {
  const size = recordSize(bytes, offset);
  if (typeof size === 'string') return { ok: false, reason: size };
  const length = size - HEADER_BYTES;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const crc = view.getUint32(offset, true);
  if (crc32c(bytes.subarray(offset + 4, offset + HEADER_BYTES + length)) >>> 0 !== crc) {
    return { ok: false, reason: 'checksum-mismatch' };
  }
  const type = view.getUint8(offset + 8);
  const flags = view.getUint8(offset + 9);
  const reserved = view.getUint16(offset + 10, true);
  if (type !== TYPE_BATCH || flags !== 0 || reserved !== 0)
    return { ok: false, reason: 'bad-header' };
  const count = view.getUint32(offset + 20, true);
  const ops = count >= 1 ? parsePayload(bytes, view, offset + HEADER_BYTES, length, count) : null;
  if (ops === null) return { ok: false, reason: 'bad-payload' };
  // seqStart as two halves: exact in a number up to 2^53 - 1 (SEQ_MAX), and no BigInt per record.
  const seqHigh = view.getUint32(offset + 16, true);
  const seqStart = view.getUint32(offset + 12, true) + seqHigh * 2 ** 32;
  if (seqHigh >= 2 ** 21 || seqStart !== expectedSeq || count - 1 > SEQ_MAX - seqStart) {
    return { ok: false, reason: 'sequence-mismatch' };
  }
  return { ok: true, size, seqStart, ops };
}

/**
 * The size of the record at `offset` (header and payload) as its length field says, or why
 * the bytes end before it does: the first two checks of a record, shared by decodeRecord and
 * the resuming decoder (which copies exactly one record before decoding it).
 */
function recordSize(
  bytes: Uint8Array,
  offset: number,
): number | 'truncated-header' | 'truncated-payload' {
  const available = bytes.byteLength - offset;
  if (available < HEADER_BYTES) return 'truncated-header';
  const length = readUint32(bytes, offset + 4);
  return length > available - HEADER_BYTES ? 'truncated-payload' : HEADER_BYTES + length;
}

/** Exactly `count` logical records using exactly `length` bytes, or null. */
function parsePayload(
  bytes: Uint8Array,
  view: DataView,
  start: number,
  length: number,
  count: number,
): BatchOp[] | null {
  const end = start + length;
  const ops: BatchOp[] = [];
  let at = start;
  // Each logical record takes at least 9 bytes: the loop ends within length/9 turns.
  for (let i = 0; i < count; i++) {
    if (end - at < LOGICAL_HEADER_BYTES) return null;
    const keyLength = view.getUint32(at, true);
    const valueLength = view.getUint32(at + 4, true);
    const kind = view.getUint8(at + 8);
    at += LOGICAL_HEADER_BYTES;
    if (kind !== 0 && kind !== 1) return null;
    if (kind === 0 && valueLength !== 0) return null;
    if (keyLength > end - at || valueLength > end - at - keyLength) return null;
    const key = bytes.subarray(at, at + keyLength);
    at += keyLength;
    const value = bytes.subarray(at, at + valueLength);
    at += valueLength;
    ops.push(kind === 1 ? { type: 'put', key, value } : { type: 'del', key });
  }
  return at === end ? ops : null;
}

/**
 * The earliest valid record that contains any of the damaged bytes (segment name, byte
 * offset), or null when the damage touches no valid record: what "the lowest batch j whose
 * record bytes the flips touched" of rule 6 (model/crash-model.md section 2) is. Decode the log before the flips.
 */
export function firstDamagedRecord(
  segments: ReadonlyMap<string, Uint8Array>,
  damage: readonly { readonly segment: string; readonly offset: number }[],
): DecodedRecord | null {
  for (const record of decodeLog(segments).records) {
    const hit = damage.some(
      (d) =>
        d.segment === record.segment &&
        d.offset >= record.offset &&
        d.offset < record.offset + record.size,
    );
    if (hit) return record;
  }
  return null;
}
