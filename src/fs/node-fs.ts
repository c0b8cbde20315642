// The FileSystem seam over node:fs: with node-lock.ts, the only code in src/ that touches node:fs.

import { constants, promises as fsp, write as writeWithCallback } from 'node:fs';
import { lockDirectory } from './node-lock.ts';
import type { FileHandle as NodeFileHandle } from 'node:fs/promises';
import type { FileHandle, FileStat, FileSystem, Lock, OpenMode } from './types.ts';

const OPEN_FLAGS: Record<OpenMode, number> = {
  read: constants.O_RDONLY,
  write: constants.O_RDWR,
  create: constants.O_RDWR | constants.O_CREAT,
  // One pwrite both writes and syncs (the kernel does the fdatasync's work before returning):
  // one thread-pool round trip per durable write instead of two.
  'write-dsync': constants.O_RDWR | constants.O_DSYNC,
  'create-dsync': constants.O_RDWR | constants.O_CREAT | constants.O_DSYNC,
};

class NodeFile implements FileHandle {
  /** Writes issued on the descriptor and not yet returned: close waits for them. */
  private writesInFlight = 0;
  private writesDrained: (() => void)[] = [];
  /** Set when close begins: no write may start on a descriptor being closed. */
  private closing = false;

  constructor(private readonly handle: NodeFileHandle) {}

  async read(
    buffer: Uint8Array,
    offset: number,
    length: number,
    position: number,
  ): Promise<number> {
    return (await this.handle.read(buffer, offset, length, position)).bytesRead;
  }

  /**
   * The log's hot path: fs.write on the descriptor with one callback, one promise per write
   * (FileHandle.write wraps the same request in five), since every durable write of a single
   * writer waits for it. The FileHandle still owns the descriptor; close waits for these.
   */
  write(data: Uint8Array, position: number): Promise<number> {
    const fd = this.handle.fd;
    if (this.closing || fd < 0) return Promise.reject(closedError('write'));
    return new Promise((resolve, reject) => {
      writeWithCallback(fd, data, 0, data.length, position, (error, written) => {
        if (--this.writesInFlight === 0) for (const wake of this.writesDrained.splice(0)) wake();
        if (error === null) resolve(written);
        else reject(error);
      });
      this.writesInFlight++; // after the call: one that throws (bad arguments) issued nothing
    });
  }

  datasync(): Promise<void> {
    return this.handle.datasync();
  }

  truncate(size: number): Promise<void> {
    return this.handle.truncate(size);
  }

  async size(): Promise<number> {
    return (await this.handle.stat()).size;
  }

  async close(): Promise<void> {
    this.closing = true;
    // A descriptor closed under a queued write could be reused by another open and written.
    if (this.writesInFlight > 0)
      await new Promise<void>((resolve) => this.writesDrained.push(resolve));
    await this.handle.close();
  }
}

/** What FileHandle reports for an operation on a closed handle. */
function closedError(syscall: string): NodeJS.ErrnoException {
  return Object.assign(new Error(`EBADF: file closed, ${syscall}`), { code: 'EBADF', syscall });
}

export class NodeFileSystem implements FileSystem {
  async open(path: string, mode: OpenMode): Promise<FileHandle> {
    return new NodeFile(await fsp.open(path, OPEN_FLAGS[mode], 0o644));
  }

  readFile(path: string): Promise<Uint8Array> {
    return fsp.readFile(path);
  }

  writeFile(path: string, data: Uint8Array): Promise<void> {
    return fsp.writeFile(path, data);
  }

  rename(from: string, to: string): Promise<void> {
    return fsp.rename(from, to);
  }

  unlink(path: string): Promise<void> {
    return fsp.unlink(path);
  }

  async list(path: string): Promise<string[]> {
    return (await fsp.readdir(path)).sort();
  }

  async mkdir(path: string): Promise<void> {
    await fsp.mkdir(path, { recursive: true });
  }

  async syncDir(path: string): Promise<void> {
    const handle = await fsp.open(path, constants.O_RDONLY);
    try {
      await handle.sync();
    } finally {
      await handle.close();
    }
  }

  async stat(path: string): Promise<FileStat | null> {
    try {
      const stat = await fsp.stat(path);
      return { size: stat.size, isDirectory: stat.isDirectory() };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw error;
    }
  }

  /** The LOCK file protocol is in node-lock.ts. */
  lock(dir: string): Promise<Lock> {
    return lockDirectory(dir);
  }
}
