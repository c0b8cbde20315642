// The FileSystem seam over node:fs: the only file in src/ that touches node:fs.

import { constants, promises as fsp, realpathSync } from 'node:fs';
import type { FileHandle as NodeFileHandle } from 'node:fs/promises';
import type { FileHandle, FileStat, FileSystem, Lock, OpenMode } from './types.ts';
import { joinPath } from './types.ts';

const OPEN_FLAGS: Record<OpenMode, number> = {
  read: constants.O_RDONLY,
  write: constants.O_RDWR,
  create: constants.O_RDWR | constants.O_CREAT,
};

/** Directories locked by this process: a second open in-process must fail too. */
const lockedInProcess = new Set<string>();
const LOCK_ATTEMPTS_MAX = 3;

class NodeFile implements FileHandle {
  constructor(private readonly handle: NodeFileHandle) {}

  async read(buffer: Uint8Array, offset: number, length: number, position: number): Promise<number> {
    return (await this.handle.read(buffer, offset, length, position)).bytesRead;
  }

  async write(data: Uint8Array, position: number): Promise<number> {
    return (await this.handle.write(data, 0, data.length, position)).bytesWritten;
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

  close(): Promise<void> {
    return this.handle.close();
  }
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

  /**
   * A LOCK file holding the owner's pid. A file left by a process that no longer runs
   * (killed) is stale and taken over; a live owner, or this process, keeps it.
   */
  async lock(dir: string): Promise<Lock> {
    const key = realpathSync(dir); // one key per directory, whatever path (or symlink) names it
    if (lockedInProcess.has(key)) throw lockedError(dir, process.pid);
    // Claimed before the first await: a concurrent open in this process must not see the
    // LOCK file naming our own pid and take it over as stale.
    lockedInProcess.add(key);
    try {
      return await takeLockFile(dir, key);
    } catch (error) {
      lockedInProcess.delete(key);
      throw error;
    }
  }
}

async function takeLockFile(dir: string, key: string): Promise<Lock> {
  const path = joinPath(dir, 'LOCK');
  for (let attempt = 0; attempt < LOCK_ATTEMPTS_MAX; attempt++) {
    try {
      await fsp.writeFile(path, `${process.pid}\n`, { flag: 'wx' });
      return { release: () => releaseLock(key, path) };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
    const owner = Number.parseInt(await fsp.readFile(path, 'utf8').catch(() => ''), 10);
    if (Number.isSafeInteger(owner) && owner !== process.pid && processAlive(owner)) throw lockedError(dir, owner);
    await fsp.unlink(path).catch(() => undefined); // stale: its owner is gone
  }
  throw lockedError(dir, Number.NaN);
}

async function releaseLock(key: string, path: string): Promise<void> {
  lockedInProcess.delete(key);
  await fsp.unlink(path).catch(() => undefined);
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function lockedError(dir: string, owner: number): NodeJS.ErrnoException {
  const error: NodeJS.ErrnoException = new Error(`${dir} is locked by process ${owner}`);
  error.code = 'ELOCKED';
  return error;
}
