// An open file of the simulated filesystem (sim-fs.ts): reads and writes the volatile view,
// datasync makes it durable, and every call goes through the filesystem's `run`, so handle
// operations are traced, can carry injected faults, and die with the process at a crash.
//
// A write on a handle opened O_DSYNC ('write-dsync', 'create-dsync') is two operations, as
// the kernel runs it: 'write' puts the bytes in the page cache (its faults: EIO/ENOSPC write
// nothing, short writes a prefix), then 'dsync' makes the bytes written durable before the
// call returns (its faults, EIO/ENOSPC, are a failed datasync's: fsyncgate, the bytes stay
// readable but are marked clean, and the write rejects). A crash point between the two
// leaves the bytes in the page cache, so every crash outcome (lost, torn, kept) applies to a
// write that never returned. Linux syncs only the written range; the model syncs the file,
// which is the same only when nothing else of it is unsynced, so it refuses any other case.

import type { FileHandle } from '../../src/fs/types.ts';
import type { FaultRule } from './fault-plan.ts';
import { fsError } from './fs-errors.ts';
import type { OpKind } from './op-trace.ts';
import type { Rng } from '../base/rng.ts';
import { type FileNode, syncData, volRead, volTruncate, volWrite } from './sim-nodes.ts';

/** The filesystem's operation runner: numbering, trace, crash point, fault plan. */
export type Run = <T>(
  op: OpKind,
  path: string,
  body: (fault: FaultRule | undefined) => T,
  offset?: number,
  length?: number,
  to?: string,
) => T;

export class SimHandle implements FileHandle {
  private readonly run: Run;
  private readonly rng: Rng;
  private readonly path: string;
  private readonly file: FileNode;
  private readonly writable: boolean;
  private readonly dsync: boolean;
  private closed = false;

  constructor(run: Run, rng: Rng, path: string, file: FileNode, writable: boolean, dsync = false) {
    this.run = run;
    this.rng = rng;
    this.path = path;
    this.file = file;
    this.writable = writable;
    this.dsync = dsync;
  }

  async read(
    buffer: Uint8Array,
    offset: number,
    length: number,
    position: number,
  ): Promise<number> {
    return this.run(
      'read',
      this.path,
      () => {
        this.usable('read', false);
        if (
          !isIndex(offset) ||
          !isIndex(length) ||
          !isIndex(position) ||
          offset + length > buffer.length
        ) {
          throw fsError('EINVAL', 'read', this.path);
        }
        return volRead(this.file, buffer, offset, length, position);
      },
      position,
      length,
    );
  }

  async write(data: Uint8Array, position: number): Promise<number> {
    const n = this.writeToCache(data, position);
    if (this.dsync && n > 0) this.syncWritten(position, n);
    return n;
  }

  /** The page-cache half of a write: the bytes written (a short write's prefix). */
  private writeToCache(data: Uint8Array, position: number): number {
    return this.run(
      'write',
      this.path,
      (fault) => {
        this.usable('write', true);
        if (!isIndex(position)) throw fsError('EINVAL', 'write', this.path);
        let n = data.length;
        if (fault !== undefined && fault.fault !== 'short')
          throw fsError(fault.fault, 'write', this.path);
        // A regular file write of n > 0 bytes writes at least one (POSIX), so a 1-byte write cannot be short.
        if (fault !== undefined)
          n = Math.max(
            Math.min(n, 1),
            Math.min(n, fault.bytes ?? (n >= 2 ? 1 + this.rng.int(n - 1) : n)),
          );
        const written = n === data.length ? data : data.subarray(0, n);
        volWrite(this.file, written, position);
        if (n > 0)
          this.file.pending.push({
            kind: 'write',
            offset: position,
            data: new Uint8Array(written),
          }); // a copy: the caller may reuse its buffer
        return n;
      },
      position,
      data.length,
    );
  }

  /** The O_DSYNC half of a write: the `n` bytes just written become durable, or fsyncgate. */
  private syncWritten(position: number, n: number): void {
    this.run(
      'dsync',
      this.path,
      (fault) => {
        if (fault !== undefined) {
          this.file.pending = []; // fsyncgate, as a failed datasync
          throw fsError(fault.fault, 'write', this.path);
        }
        if (this.file.pending.length !== 1)
          throw new Error(
            `walcheck invariant violated: an O_DSYNC write to ${this.path} with other unsynced data (not modelled)`,
          );
        syncData(this.file);
      },
      position,
      n,
    );
  }

  async datasync(): Promise<void> {
    this.run('datasync', this.path, (fault) => {
      this.usable('fsync', false);
      if (fault !== undefined) {
        this.file.pending = []; // fsyncgate: marked clean, never durable
        throw fsError(fault.fault, 'fsync', this.path);
      }
      syncData(this.file);
    });
  }

  async truncate(size: number): Promise<void> {
    this.run(
      'truncate',
      this.path,
      () => {
        this.usable('ftruncate', false);
        if (!this.writable) throw fsError('EINVAL', 'ftruncate', this.path); // as Linux: not open for writing
        if (!isIndex(size)) throw fsError('EINVAL', 'ftruncate', this.path);
        volTruncate(this.file, size);
        this.file.pending.push({ kind: 'truncate', size });
      },
      size,
    );
  }

  async size(): Promise<number> {
    return this.run('size', this.path, () => {
      this.usable('fstat', false);
      return this.file.volSize;
    });
  }

  async close(): Promise<void> {
    this.run('close', this.path, () => {
      this.closed = true; // a second close does nothing, as node:fs's FileHandle.close()
    });
  }

  private usable(syscall: string, needsWrite: boolean): void {
    if (this.closed || (needsWrite && !this.writable)) throw fsError('EBADF', syscall, this.path);
  }
}

export function isIndex(n: number): boolean {
  return Number.isSafeInteger(n) && n >= 0;
}
