// Public API of the walcheck engine.

export type { Batch, BatchOp, WriteResult } from './batch.ts';
export { SEQ_MAX } from './batch.ts';
export { Database, type ReadOptions } from './db/database.ts';
export type { OpenOptions, RecoveryMode } from './db/options.ts';
export { RECOVERY_MODES } from './db/options.ts';
export type { RecoveryAction, RecoveryReport } from './db/recovery.ts';
export { InvariantError } from './assert.ts';
export { LogCorruptError, WalError, type WalErrorCode } from './errors.ts';
export { NodeFileSystem } from './fs/node-fs.ts';
export type { FileHandle, FileStat, FileSystem, Lock, OpenMode } from './fs/types.ts';
export type { Entry, ScanOptions } from './memtable/memtable.ts';
export { type InvalidReason, segmentName } from './wal/format.ts';
export { type LogScan, type LogStatus, scanLog, scanSegment } from './wal/log-scan.ts';
