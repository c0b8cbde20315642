// Validates one record in a segment buffer, in the order and with the reason names of
// src/wal/wal-format.md section 6. The first failing check names the outcome; nothing is allocated from
// an unvalidated length.

import { crc32c } from '@node-rs/crc32';
import { SEQ_MAX } from '../batch.ts';
import {
  type InvalidReason,
  LOGICAL_HEADER_BYTES,
  LOGICAL_KIND_DELETE,
  LOGICAL_KIND_PUT,
  OFFSET_COUNT,
  OFFSET_CRC,
  OFFSET_FLAGS,
  OFFSET_LENGTH,
  OFFSET_RESERVED,
  OFFSET_SEQ_START,
  OFFSET_TYPE,
  RECORD_HEADER_BYTES,
  RECORD_TYPE_BATCH,
} from './format.ts';

export interface ValidRecord {
  readonly valid: true;
  readonly offset: number;
  readonly seqStart: number;
  readonly count: number;
  readonly payloadOffset: number;
  /** Offset just past the record: where the next one starts. */
  readonly end: number;
}

export interface InvalidRecord {
  readonly valid: false;
  readonly offset: number;
  readonly reason: InvalidReason;
}

export type RecordOutcome = ValidRecord | InvalidRecord;

export function readRecord(
  segment: Uint8Array,
  offset: number,
  expectedSeq: number,
): RecordOutcome {
  const available = segment.length - offset;
  if (available < RECORD_HEADER_BYTES) return invalid(offset, 'truncated-header');
  const length = u32(segment, offset + OFFSET_LENGTH);
  if (length > available - RECORD_HEADER_BYTES) return invalid(offset, 'truncated-payload');
  const end = offset + RECORD_HEADER_BYTES + length;
  const crc = crc32c(segment.subarray(offset + OFFSET_LENGTH, end));
  if (crc !== u32(segment, offset + OFFSET_CRC)) return invalid(offset, 'checksum-mismatch');
  if (!headerFieldsValid(segment, offset)) return invalid(offset, 'bad-header');
  const count = u32(segment, offset + OFFSET_COUNT);
  const payloadOffset = offset + RECORD_HEADER_BYTES;
  if (count < 1 || !payloadParses(segment, payloadOffset, end, count))
    return invalid(offset, 'bad-payload');
  const seqStart = readSeq(segment, offset + OFFSET_SEQ_START);
  // Compared as count - 1 > SEQ_MAX - seqStart: the sum seqStart + count - 1 rounds past 2^53.
  if (seqStart !== expectedSeq || count - 1 > SEQ_MAX - seqStart)
    return invalid(offset, 'sequence-mismatch');
  return { valid: true, offset, seqStart, count, payloadOffset, end };
}

function headerFieldsValid(segment: Uint8Array, offset: number): boolean {
  return (
    segment[offset + OFFSET_TYPE] === RECORD_TYPE_BATCH &&
    segment[offset + OFFSET_FLAGS] === 0 &&
    segment[offset + OFFSET_RESERVED] === 0 &&
    segment[offset + OFFSET_RESERVED + 1] === 0
  );
}

/** Exactly `count` logical records using exactly [start, end); kinds 0/1; no value on a DELETE. */
function payloadParses(segment: Uint8Array, start: number, end: number, count: number): boolean {
  let at = start;
  // Each logical record takes at least 9 bytes, so `count` bounds the loop and a count
  // larger than the payload could hold fails without iterating.
  if (count > (end - start) / LOGICAL_HEADER_BYTES) return false;
  for (let i = 0; i < count; i++) {
    if (end - at < LOGICAL_HEADER_BYTES) return false;
    const keyLength = u32(segment, at);
    const valueLength = u32(segment, at + 4);
    const kind = segment[at + 8];
    if (kind !== LOGICAL_KIND_PUT && kind !== LOGICAL_KIND_DELETE) return false;
    if (kind === LOGICAL_KIND_DELETE && valueLength !== 0) return false;
    at += LOGICAL_HEADER_BYTES;
    if (keyLength > end - at || valueLength > end - at - keyLength) return false;
    at += keyLength + valueLength;
  }
  return at === end;
}

/**
 * Calls `visit` for each logical record of a record that `readRecord` found valid, with
 * the offsets of its key and value inside `segment` (no copies).
 */
export function forEachLogical(
  segment: Uint8Array,
  record: ValidRecord,
  visit: (
    kind: number,
    keyOffset: number,
    keyLength: number,
    valueOffset: number,
    valueLength: number,
    seq: number,
  ) => void,
): void {
  let at = record.payloadOffset;
  for (let i = 0; i < record.count; i++) {
    const keyLength = u32(segment, at);
    const valueLength = u32(segment, at + 4);
    const kind = segment[at + 8] as number;
    const keyOffset = at + LOGICAL_HEADER_BYTES;
    visit(kind, keyOffset, keyLength, keyOffset + keyLength, valueLength, record.seqStart + i);
    at = keyOffset + keyLength + valueLength;
  }
}

function invalid(offset: number, reason: InvalidReason): InvalidRecord {
  return { valid: false, offset, reason };
}

function u32(bytes: Uint8Array, at: number): number {
  return (
    ((bytes[at] as number) | ((bytes[at + 1] as number) << 8) | ((bytes[at + 2] as number) << 16)) +
    (bytes[at + 3] as number) * 0x100_0000
  );
}

/** A u64 as a number; values past 2^53 come out inexact but still > SEQ_MAX, so they fail step 6. */
function readSeq(bytes: Uint8Array, at: number): number {
  return u32(bytes, at) + u32(bytes, at + 4) * 0x1_0000_0000;
}
