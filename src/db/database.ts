// The database: open (lock, recover), write through the single writer, read the memtable
// at the latest state or a snapshot, close.

import type { Batch, WriteResult } from '../batch.ts';
import { assert } from '../assert.ts';
import { asWalError, WalError } from '../errors.ts';
import { type FileSystem, joinPath, type Lock, parentPath } from '../fs/types.ts';
import { type Entry, Memtable, type ScanOptions } from '../memtable/memtable.ts';
import { listSegments } from '../wal/log-scan.ts';
import { snapshotBatch, validateBatch } from './batch-validation.ts';
import { BatchBoundaries } from './batch-boundaries.ts';
import { LogWriter } from './log-writer.ts';
import { type OpenOptions, type ResolvedOptions, resolveOptions } from './options.ts';
import { recover, type RecoveryReport } from './recovery.ts';
import { WritePipeline } from './write-pipeline.ts';

export interface ReadOptions {
  /** Snapshot sequence number: read what the database held after the batches ending at or before it. */
  at?: number;
}

export class Database {
  private closed = false;

  private constructor(
    readonly dir: string,
    private readonly options: ResolvedOptions,
    private readonly memtable: Memtable,
    private readonly boundaries: BatchBoundaries,
    /** What recovery found and did when this database was opened. */
    readonly recovery: RecoveryReport,
    private readonly pipeline: WritePipeline | null,
    private readonly lock: Lock | null,
  ) {}

  static async open(dir: string, options?: OpenOptions): Promise<Database> {
    if (typeof dir !== 'string' || dir.length === 0) {
      throw new WalError(
        'INVALID_ARGUMENT',
        `the database directory must be a non-empty string, got ${typeof dir}`,
      );
    }
    const resolved = resolveOptions(options);
    try {
      return await Database.openResolved(dir, resolved);
    } catch (error) {
      throw asWalError(error, `cannot open ${dir}`);
    }
  }

  private static async openResolved(dir: string, resolved: ResolvedOptions): Promise<Database> {
    await prepareDirectory(resolved.fs, dir, resolved.readOnly);
    const lock = resolved.readOnly ? null : await takeLock(resolved.fs, dir);
    try {
      const memtable = new Memtable();
      const boundaries = new BatchBoundaries();
      const report = await recover(
        resolved.fs,
        dir,
        resolved.recovery,
        resolved.readOnly,
        memtable,
        boundaries,
      );
      const pipeline = resolved.readOnly
        ? null
        : await openPipeline(resolved, dir, memtable, boundaries, report.lastSeq);
      return new Database(dir, resolved, memtable, boundaries, report, pipeline, lock);
    } catch (error) {
      await lock?.release();
      throw error;
    }
  }

  /** The sequence number of the last applied logical record (0 for an empty database). */
  get lastSeq(): number {
    return this.boundaries.lastSeq;
  }

  /** Resolves once the batch's record and every record before it are durable and applied. */
  write(batch: Batch): Promise<WriteResult> {
    if (this.closed)
      return Promise.reject(new WalError('CLOSED', `write after close of ${this.dir}`));
    if (this.pipeline === null)
      return Promise.reject(new WalError('READ_ONLY', `${this.dir} was opened read-only`));
    let bytes: number;
    try {
      bytes = validateBatch(batch, this.options.batchBytesMax);
    } catch (error) {
      return Promise.reject(error);
    }
    return this.pipeline.submit(snapshotBatch(batch), bytes);
  }

  get(key: Uint8Array, options: ReadOptions = {}): Buffer | undefined {
    this.checkOpen();
    checkOptionsObject(options, 'get'); // the key and the bounds are the memtable's to check
    return this.memtable.get(key, this.snapshot(options.at));
  }

  /** Live entries in key order within the bounds, at the latest state or at snapshot `at`. */
  scan(options: ScanOptions = {}): IterableIterator<Entry> {
    this.checkOpen();
    checkOptionsObject(options, 'scan');
    return this.memtable.scan({ ...options, at: this.snapshot(options.at) });
  }

  /** Waits for queued writes, then releases the files and the lock. Idempotent. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    try {
      await this.pipeline?.close();
    } finally {
      await this.lock?.release();
    }
  }

  private checkOpen(): void {
    if (this.closed) throw new WalError('CLOSED', `read after close of ${this.dir}`);
  }

  private snapshot(at: number | undefined): number {
    if (at === undefined) return this.boundaries.lastSeq;
    if (typeof at !== 'number' || !Number.isSafeInteger(at) || at < 0) {
      throw new WalError(
        'INVALID_ARGUMENT',
        `snapshot 'at' must be a non-negative integer sequence number, got ${String(at)}`,
      );
    }
    return this.boundaries.floor(at);
  }
}

function checkOptionsObject(options: unknown, what: string): void {
  if (typeof options !== 'object' || options === null)
    throw new WalError('INVALID_ARGUMENT', `${what} options must be an object`);
}

async function prepareDirectory(fs: FileSystem, dir: string, readOnly: boolean): Promise<void> {
  const stat = await fs.stat(dir);
  if (stat !== null && !stat.isDirectory)
    throw new WalError('NOT_A_DIRECTORY', `${dir} exists and is not a directory`);
  if (stat === null && readOnly)
    throw new WalError('NOT_FOUND', `${dir} does not exist (read-only open creates nothing)`);
  if (readOnly) return;
  if (stat === null) await fs.mkdir(dir);
  // The directory's own name must survive a crash. Synced on every writable open, not only
  // after mkdir: an earlier open may have created it and then failed at this very sync.
  // (Only the immediate parent: missing grandparents created by mkdir are not synced.)
  await fs.syncDir(parentPath(dir));
}

async function takeLock(fs: FileSystem, dir: string): Promise<Lock> {
  try {
    return await fs.lock(dir);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ELOCKED') {
      throw new WalError(
        'LOCKED',
        `${dir} is already open for writing (${(error as Error).message})`,
        error,
      );
    }
    throw error;
  }
}

async function openPipeline(
  options: ResolvedOptions,
  dir: string,
  memtable: Memtable,
  boundaries: BatchBoundaries,
  lastSeq: number,
): Promise<WritePipeline> {
  const segments = await listSegments(options.fs, dir);
  const last = segments.at(-1);
  const stat = last === undefined ? null : await options.fs.stat(joinPath(dir, last.name));
  // Appending at a guessed offset would overwrite records: a segment that vanished is an error.
  if (last !== undefined && stat === null)
    throw new WalError('IO', `${joinPath(dir, last.name)} disappeared while opening`);
  const lastSegment =
    last === undefined || stat === null ? null : { number: last.number, bytes: stat.size };
  assert(lastSegment !== null || lastSeq === 0, 'a log with records has a segment to append to');
  const log = await LogWriter.open(options.fs, dir, lastSegment, options.segmentBytesMax);
  return new WritePipeline(log, memtable, boundaries, options, lastSeq);
}
