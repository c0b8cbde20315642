// Encodes a batch as one WAL record (layout in format.ts). The payload is written in
// place after a header reserved up front, so a batch is copied exactly once.

import { crc32c } from '@node-rs/crc32';
import type { Batch } from '../batch.ts';
import { SEQ_MAX } from '../batch.ts';
import { assert } from '../assert.ts';
import {
  LOGICAL_HEADER_BYTES,
  LOGICAL_KIND_DELETE,
  LOGICAL_KIND_PUT,
  OFFSET_COUNT,
  OFFSET_CRC,
  OFFSET_LENGTH,
  OFFSET_SEQ_START,
  OFFSET_TYPE,
  RECORD_HEADER_BYTES,
  RECORD_TYPE_BATCH,
} from './format.ts';

/** Bytes the record of `batch` takes, header included. */
export function recordBytes(batch: Batch): number {
  let bytes = RECORD_HEADER_BYTES;
  for (const op of batch) {
    bytes += LOGICAL_HEADER_BYTES + op.key.length + (op.type === 'put' ? op.value.length : 0);
  }
  return bytes;
}

/**
 * Writes the record of `batch` with `seqStart` into `target` at `offset`; returns the
 * offset just past it. `target` must have room for `recordBytes(batch)`.
 */
export function encodeRecord(
  batch: Batch,
  seqStart: number,
  target: Buffer,
  offset: number,
): number {
  assert(batch.length >= 1, 'a record holds at least one logical record');
  assert(seqStart >= 1 && batch.length - 1 <= SEQ_MAX - seqStart, 'seqStart in range'); // no rounding past 2^53
  let at = offset + RECORD_HEADER_BYTES;
  for (const op of batch) {
    const isPut = op.type === 'put';
    const valueLength = isPut ? op.value.length : 0;
    target.writeUInt32LE(op.key.length, at);
    target.writeUInt32LE(valueLength, at + 4);
    target[at + 8] = isPut ? LOGICAL_KIND_PUT : LOGICAL_KIND_DELETE;
    at += LOGICAL_HEADER_BYTES;
    target.set(op.key, at);
    at += op.key.length;
    if (isPut) {
      target.set(op.value, at);
      at += valueLength;
    }
  }
  const payloadBytes = at - offset - RECORD_HEADER_BYTES;
  target.writeUInt32LE(payloadBytes, offset + OFFSET_LENGTH);
  target.writeUInt32LE(0, offset + OFFSET_TYPE); // type, flags, reserved: then set type
  target[offset + OFFSET_TYPE] = RECORD_TYPE_BATCH;
  writeSeq(target, offset + OFFSET_SEQ_START, seqStart);
  target.writeUInt32LE(batch.length, offset + OFFSET_COUNT);
  const crc = crc32c(target.subarray(offset + OFFSET_LENGTH, at));
  target.writeUInt32LE(crc, offset + OFFSET_CRC);
  return at;
}

/** A u64 little-endian from a safe integer, without BigInt on the hot path. */
function writeSeq(target: Buffer, offset: number, seq: number): void {
  target.writeUInt32LE(seq % 0x1_0000_0000, offset);
  target.writeUInt32LE(Math.floor(seq / 0x1_0000_0000), offset + 4);
}
