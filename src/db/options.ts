// Open options, their defaults and their validation.

import { NodeFileSystem } from '../fs/node-fs.ts';
import type { FileSystem } from '../fs/types.ts';
import { WalError } from '../errors.ts';

export type RecoveryMode = 'strict' | 'tolerate-tail' | 'point-in-time';
export const RECOVERY_MODES: readonly RecoveryMode[] = ['strict', 'tolerate-tail', 'point-in-time'];

export interface OpenOptions {
  /** The filesystem all I/O goes through; node:fs by default. */
  fs?: FileSystem;
  /** Open without locking or changing anything on disk; writes are refused. */
  readOnly?: boolean;
  /** What recovery does at the first invalid record (src/wal/wal-format.md section 7). */
  recovery?: RecoveryMode;
  /** Rotate to a new segment once the active one would grow past this. */
  segmentBytesMax?: number;
  /** Group commit: the most record bytes one write + datasync carries. */
  groupBytesMax?: number;
  /** The largest encoded record a single batch may take. */
  batchBytesMax?: number;
  /** Batches waiting for the writer at most; more are refused with BUSY. */
  queueBatchesMax?: number;
}

export interface ResolvedOptions {
  fs: FileSystem;
  readOnly: boolean;
  recovery: RecoveryMode;
  segmentBytesMax: number;
  groupBytesMax: number;
  batchBytesMax: number;
  queueBatchesMax: number;
}

const MIB = 1024 * 1024;
// The record length field is a u32; stay well inside it.
const RECORD_BYTES_LIMIT = 1024 * MIB;

export function resolveOptions(options: OpenOptions = {}): ResolvedOptions {
  if (typeof options !== 'object' || options === null) {
    throw new WalError('INVALID_ARGUMENT', 'open options must be an object');
  }
  const recovery = options.recovery ?? 'tolerate-tail';
  if (!RECOVERY_MODES.includes(recovery)) {
    throw new WalError(
      'INVALID_ARGUMENT',
      `options.recovery must be one of ${RECOVERY_MODES.join(', ')}, got ${String(recovery)}`,
    );
  }
  return {
    fs: options.fs ?? new NodeFileSystem(),
    readOnly: options.readOnly === true,
    recovery,
    segmentBytesMax: integer(
      options.segmentBytesMax,
      'segmentBytesMax',
      64 * MIB,
      64,
      Number.MAX_SAFE_INTEGER,
    ),
    groupBytesMax: integer(options.groupBytesMax, 'groupBytesMax', 4 * MIB, 1, RECORD_BYTES_LIMIT),
    batchBytesMax: integer(
      options.batchBytesMax,
      'batchBytesMax',
      16 * MIB,
      24,
      RECORD_BYTES_LIMIT,
    ),
    queueBatchesMax: integer(options.queueBatchesMax, 'queueBatchesMax', 65_536, 1, 1 << 24),
  };
}

function integer(
  value: number | undefined,
  name: string,
  fallback: number,
  min: number,
  max: number,
): number {
  if (value === undefined) return fallback;
  if (!Number.isSafeInteger(value) || value < min || value > max) {
    throw new WalError(
      'INVALID_ARGUMENT',
      `options.${name} must be an integer from ${min} to ${max}, got ${String(value)}`,
    );
  }
  return value;
}
