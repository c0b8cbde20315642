// Walks a log directory's segments in order and their records in order (src/wal/wal-format.md
// sections 6-8), stopping at the first invalid record. Shared by verification, dump and recovery,
// so all three agree on where a log ends. Reads only; never changes the directory.

import type { FileSystem } from '../fs/types.ts';
import { joinPath } from '../fs/types.ts';
import { assert } from '../assert.ts';
import { type InvalidReason, parseSegmentName, RECORD_HEADER_BYTES } from './format.ts';
import { readRecord, type ValidRecord } from './record-reader.ts';

export type LogStatus = 'clean' | 'torn-tail' | 'corrupt';

export interface SegmentSummary {
  readonly name: string;
  readonly number: number;
  readonly bytes: number;
  /** Valid records replayed from this segment (0 for segments after the first invalid record). */
  records: number;
}

export interface FirstInvalid {
  readonly segment: string;
  readonly segmentIndex: number;
  readonly offset: number;
  readonly reason: InvalidReason;
}

export interface LogScan {
  readonly status: LogStatus;
  readonly segments: SegmentSummary[];
  readonly records: number;
  readonly lastSeq: number;
  readonly firstInvalid: FirstInvalid | null;
}

export type RecordVisitor = (
  segmentBytes: Buffer,
  record: ValidRecord,
  segment: SegmentSummary,
) => void;

export interface SegmentScan {
  readonly records: number;
  readonly lastSeq: number;
  /** Offset just past the last valid record. */
  readonly validEnd: number;
  readonly invalid: { offset: number; reason: InvalidReason } | null;
}

/** Segment names of `dir` in segment-number order; other names are not part of the log. */
export async function listSegments(
  fs: FileSystem,
  dir: string,
): Promise<{ name: string; number: number }[]> {
  const segments: { name: string; number: number }[] = [];
  for (const name of await fs.list(dir)) {
    const number = parseSegmentName(name);
    if (number !== null) segments.push({ name, number });
  }
  return segments.sort((a, b) => a.number - b.number);
}

/** Valid records of one segment from offset 0, expecting `expectedSeq` first. */
export function scanSegment(
  bytes: Buffer,
  expectedSeq: number,
  visit?: (record: ValidRecord) => void,
): SegmentScan {
  let offset = 0;
  let next = expectedSeq;
  let records = 0;
  // Each valid record takes at least 24 bytes, so the loop ends within bytes/24 + 1 steps.
  const stepsMax = Math.floor(bytes.length / RECORD_HEADER_BYTES) + 1;
  for (let step = 0; step <= stepsMax && offset < bytes.length; step++) {
    const outcome = readRecord(bytes, offset, next);
    if (!outcome.valid) {
      return {
        records,
        lastSeq: next - 1,
        validEnd: offset,
        invalid: { offset, reason: outcome.reason },
      };
    }
    visit?.(outcome);
    records++;
    next = outcome.seqStart + outcome.count;
    offset = outcome.end;
  }
  assert(offset === bytes.length, 'segment scan reached the end');
  return { records, lastSeq: next - 1, validEnd: offset, invalid: null };
}

/**
 * Scans the whole log of `dir`. `visit` sees every valid record before the first invalid
 * one, with the segment's bytes (read whole, so callers may keep views into them).
 */
export async function scanLog(
  fs: FileSystem,
  dir: string,
  visit?: RecordVisitor,
): Promise<LogScan> {
  const names = await listSegments(fs, dir);
  const segments: SegmentSummary[] = [];
  let records = 0;
  let nextSeq = 1;
  let firstInvalid: FirstInvalid | null = null;
  for (let index = 0; index < names.length; index++) {
    const { name, number } = names[index]!;
    if (firstInvalid !== null) {
      const stat = await fs.stat(joinPath(dir, name));
      segments.push({ name, number, bytes: stat?.size ?? 0, records: 0 });
      continue;
    }
    const bytes = asBuffer(await fs.readFile(joinPath(dir, name)));
    const segment: SegmentSummary = { name, number, bytes: bytes.length, records: 0 };
    segments.push(segment);
    if (number !== index + 1) {
      // A gap before this segment (or a log not starting at 1): src/wal/wal-format.md section 6.
      firstInvalid = { segment: name, segmentIndex: index, offset: 0, reason: 'missing-segment' };
      continue;
    }
    const scan = scanSegment(bytes, nextSeq, visit && ((record) => visit(bytes, record, segment)));
    segment.records = scan.records;
    records += scan.records;
    nextSeq = scan.lastSeq + 1;
    if (scan.invalid !== null) {
      firstInvalid = { segment: name, segmentIndex: index, ...scan.invalid };
    }
  }
  return {
    status: statusOf(firstInvalid, segments.length),
    segments,
    records,
    lastSeq: nextSeq - 1,
    firstInvalid,
  };
}

function statusOf(firstInvalid: FirstInvalid | null, segmentCount: number): LogStatus {
  if (firstInvalid === null) return 'clean';
  if (firstInvalid.reason === 'missing-segment') return 'corrupt';
  return firstInvalid.segmentIndex === segmentCount - 1 ? 'torn-tail' : 'corrupt';
}

/** A Buffer view of the same bytes (no copy), so records can be read with Buffer methods. */
export function asBuffer(bytes: Uint8Array): Buffer {
  return Buffer.isBuffer(bytes)
    ? bytes
    : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}
