// WAL record layout (src/wal/wal-format.md sections 2-3). All integers little-endian.
//
//  Record (one write batch):
//  +---------+---------+------+-------+----------+-------------+---------+-------------+
//  | crc u32 | len u32 | type | flags | reserved | seqStart u64| count   | payload     |
//  |  @0     |  @4     | u8@8 | u8@9  | u16 @10  |   @12       | u32 @20 | len bytes   |
//  +---------+---------+------+-------+----------+-------------+---------+-------------+
//  crc = CRC-32C (Castagnoli, unmasked) over bytes [4, 24 + len): length, header, payload.
//
//  Logical record (count of them, back to back, inside the payload):
//  +-----------+-----------+---------+-----+-------+
//  | keyLen u32| valLen u32| kind u8 | key | value |
//  +-----------+-----------+---------+-----+-------+
//  kind 1 = PUT, 0 = DELETE (valLen must be 0).

import { assert } from '../assert.ts';

export const RECORD_HEADER_BYTES = 24;
export const LOGICAL_HEADER_BYTES = 9;

export const OFFSET_CRC = 0;
export const OFFSET_LENGTH = 4;
export const OFFSET_TYPE = 8;
export const OFFSET_FLAGS = 9;
export const OFFSET_RESERVED = 10;
export const OFFSET_SEQ_START = 12;
export const OFFSET_COUNT = 20;

// The fields above tile the header in order with the widths drawn, and the logical header is
// keyLen u32 + valLen u32 + kind u8: encoder and readers rely on both.
assert(
  OFFSET_CRC === 0 &&
    OFFSET_LENGTH === OFFSET_CRC + 4 &&
    OFFSET_TYPE === OFFSET_LENGTH + 4 &&
    OFFSET_FLAGS === OFFSET_TYPE + 1 &&
    OFFSET_RESERVED === OFFSET_FLAGS + 1 &&
    OFFSET_SEQ_START === OFFSET_RESERVED + 2 &&
    OFFSET_COUNT === OFFSET_SEQ_START + 8 &&
    RECORD_HEADER_BYTES === OFFSET_COUNT + 4,
  'the record header fields tile RECORD_HEADER_BYTES',
);
assert(LOGICAL_HEADER_BYTES === 4 + 4 + 1, 'the logical header is keyLen, valLen, kind');

export const RECORD_TYPE_BATCH = 1;
export const LOGICAL_KIND_DELETE = 0;
export const LOGICAL_KIND_PUT = 1;

/** Why a record is invalid, in the order the checks run (src/wal/wal-format.md section 6). */
export type InvalidReason =
  | 'truncated-header'
  | 'truncated-payload'
  | 'checksum-mismatch'
  | 'bad-header'
  | 'bad-payload'
  | 'sequence-mismatch'
  | 'missing-segment';

/** Segment files: 20 zero-padded decimal digits + ".wal"; the first is number 1. */
const SEGMENT_NAME = /^(\d{20})\.wal$/;
export const SEGMENT_DIGITS = 20;

export function segmentName(number: number): string {
  return `${String(number).padStart(SEGMENT_DIGITS, '0')}.wal`;
}

/** The segment number of a file name, or null when the name is not a segment. */
export function parseSegmentName(name: string): number | null {
  const match = SEGMENT_NAME.exec(name);
  if (match === null) return null;
  const number = Number(match[1]);
  return Number.isSafeInteger(number) ? number : null;
}

export const QUARANTINE_DIR = 'quarantine';
export const LOCK_FILE = 'LOCK';
