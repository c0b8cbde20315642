// Opening a log (src/wal/wal-format.md section 7): replay every valid record into the memtable, stop at the
// first invalid one, and act on it according to the recovery mode. A read-only recovery
// plans the same actions but performs none of them.
//
// Order of the on-disk actions is chosen so that a crash in the middle of recovery loses
// nothing and leaves a log that the next recovery handles: later segments are moved
// whole (highest first, so the log stays contiguous) before a tail is cut, and a tail is
// durable in quarantine/ before its segment is truncated.

import { assert } from '../assert.ts';
import { LogCorruptError, WalError } from '../errors.ts';
import type { FileSystem } from '../fs/types.ts';
import { joinPath } from '../fs/types.ts';
import { writeFully } from '../fs/write-fully.ts';
import type { Memtable } from '../memtable/memtable.ts';
import { QUARANTINE_DIR } from '../wal/format.ts';
import {
  type FirstInvalid,
  type LogScan,
  type LogStatus,
  scanLog,
  type SegmentSummary,
} from '../wal/log-scan.ts';
import { forEachLogical } from '../wal/record-reader.ts';
import type { BatchBoundaries } from './batch-boundaries.ts';
import type { RecoveryMode } from './options.ts';

export type RecoveryAction =
  | { kind: 'quarantine-tail'; segment: string; offset: number; bytes: number; to: string }
  | { kind: 'quarantine-segment'; segment: string; bytes: number; to: string };

export interface RecoveryReport {
  mode: RecoveryMode;
  /** The log's status before recovery acted (src/wal/wal-format.md section 8). */
  status: LogStatus;
  records: number;
  lastSeq: number;
  firstInvalid: FirstInvalid | null;
  /** Every segment found, with its size and the records replayed from it. */
  segments: SegmentSummary[];
  /** What recovery set aside; on a read-only open, what a writable open would do. */
  actions: RecoveryAction[];
  applied: boolean;
}

const NAME_ATTEMPTS_MAX = 1000;

export async function recover(
  fs: FileSystem,
  dir: string,
  mode: RecoveryMode,
  readOnly: boolean,
  memtable: Memtable,
  boundaries: BatchBoundaries,
): Promise<RecoveryReport> {
  // One appender per segment, not one closure per record: replay is a hot path.
  let segmentBytes: Buffer | null = null;
  const append = (
    kind: number,
    keyOffset: number,
    keyLength: number,
    valueOffset: number,
    valueLength: number,
    seq: number,
  ): void => {
    memtable.bulkAppend(
      segmentBytes!,
      keyOffset,
      keyLength,
      valueOffset,
      valueLength,
      kind as 0 | 1,
      seq,
    );
  };
  const scan = await scanLog(fs, dir, (bytes, record) => {
    segmentBytes = bytes;
    forEachLogical(bytes, record, append);
    boundaries.add(record.seqStart + record.count - 1);
  });
  memtable.finishBulk();
  assert(
    boundaries.lastSeq === scan.lastSeq && memtable.lastSeq === scan.lastSeq,
    'replay ends at the same seq in the log, the batch boundaries and the memtable',
  );
  refuseIfModeForbids(scan, mode, dir);
  const actions = await planActions(fs, dir, scan);
  if (!readOnly) await applyActions(fs, dir, actions);
  return {
    mode,
    status: scan.status,
    records: scan.records,
    lastSeq: scan.lastSeq,
    firstInvalid: scan.firstInvalid,
    segments: scan.segments,
    actions,
    applied: !readOnly,
  };
}

function refuseIfModeForbids(scan: LogScan, mode: RecoveryMode, dir: string): void {
  const invalid = scan.firstInvalid;
  if (invalid === null) return;
  if (mode === 'point-in-time') return;
  if (mode === 'tolerate-tail' && scan.status === 'torn-tail') return;
  throw new LogCorruptError(dir, invalid.segment, invalid.offset, invalid.reason, mode);
}

async function planActions(fs: FileSystem, dir: string, scan: LogScan): Promise<RecoveryAction[]> {
  const invalid = scan.firstInvalid;
  if (invalid === null) return [];
  const taken = new Set(await listQuarantine(fs, dir));
  const actions: RecoveryAction[] = [];
  // Whole later segments first, highest number first.
  const wholeFrom =
    invalid.reason === 'missing-segment' ? invalid.segmentIndex : invalid.segmentIndex + 1;
  for (let index = scan.segments.length - 1; index >= wholeFrom; index--) {
    const segment = scan.segments[index]!;
    const to = freeName(taken, segment.name);
    actions.push({ kind: 'quarantine-segment', segment: segment.name, bytes: segment.bytes, to });
  }
  if (invalid.reason !== 'missing-segment') {
    const segment = scan.segments[invalid.segmentIndex]!;
    const to = freeName(taken, `${segment.name}.${invalid.offset}.tail`);
    actions.push({
      kind: 'quarantine-tail',
      segment: segment.name,
      offset: invalid.offset,
      bytes: segment.bytes - invalid.offset,
      to,
    });
  }
  return actions;
}

async function applyActions(fs: FileSystem, dir: string, actions: RecoveryAction[]): Promise<void> {
  if (actions.length === 0) return;
  const quarantine = joinPath(dir, QUARANTINE_DIR);
  if ((await fs.stat(quarantine)) === null) await fs.mkdir(quarantine);
  await fs.syncDir(dir); // even if it existed: an earlier recovery may have died before this sync
  for (const action of actions) {
    if (action.kind === 'quarantine-segment') {
      await fs.rename(joinPath(dir, action.segment), joinPath(quarantine, action.to));
      await fs.syncDir(quarantine);
      await fs.syncDir(dir);
    } else {
      await quarantineTail(fs, dir, quarantine, action);
    }
  }
}

async function quarantineTail(
  fs: FileSystem,
  dir: string,
  quarantine: string,
  action: Extract<RecoveryAction, { kind: 'quarantine-tail' }>,
): Promise<void> {
  const segmentPath = joinPath(dir, action.segment);
  const bytes = await fs.readFile(segmentPath);
  const tailPath = joinPath(quarantine, action.to);
  const tail = await fs.open(tailPath, 'create');
  try {
    await writeFully(tail, bytes.subarray(action.offset), 0);
    await tail.datasync();
  } finally {
    await tail.close();
  }
  await fs.syncDir(quarantine);
  const segment = await fs.open(segmentPath, 'write');
  try {
    await segment.truncate(action.offset);
    await segment.datasync();
  } finally {
    await segment.close();
  }
}

async function listQuarantine(fs: FileSystem, dir: string): Promise<string[]> {
  const quarantine = joinPath(dir, QUARANTINE_DIR);
  return (await fs.stat(quarantine)) === null ? [] : fs.list(quarantine);
}

function freeName(taken: Set<string>, wanted: string): string {
  for (let n = 0; n < NAME_ATTEMPTS_MAX; n++) {
    const name = n === 0 ? wanted : `${wanted}.${n}`;
    if (!taken.has(name)) {
      taken.add(name);
      return name;
    }
  }
  throw new WalError('IO', `no free name in ${QUARANTINE_DIR}/ for ${wanted}`);
}
