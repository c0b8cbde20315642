// A FileSystem over node:fs that counts syncs (datasyncs, and writes through O_DSYNC
// handles) and can fail them on demand, for tests of group commit and of the fail-closed
// write policy. A failed O_DSYNC write fails as the kernel's does when its sync part fails:
// after the bytes were written.

import { NodeFileSystem } from '../../src/fs/node-fs.ts';
import type { FileHandle, FileStat, FileSystem, Lock, OpenMode } from '../../src/fs/types.ts';
import { isDsync } from '../../src/fs/types.ts';

export class InstrumentedFs implements FileSystem {
  private readonly inner = new NodeFileSystem();
  /** datasyncs and O_DSYNC writes. */
  syncs = 0;
  /** When set, every datasync and O_DSYNC write fails with EIO (after counting). */
  failSyncs = false;

  async open(path: string, mode: OpenMode): Promise<FileHandle> {
    const handle = await this.inner.open(path, mode);
    const sync = (): void => {
      this.syncs++;
      if (this.failSyncs) throw Object.assign(new Error('injected sync failure'), { code: 'EIO' });
    };
    return {
      read: (buffer, offset, length, position) => handle.read(buffer, offset, length, position),
      write: async (data, position) => {
        const written = await handle.write(data, position);
        if (isDsync(mode)) sync();
        return written;
      },
      datasync: async () => {
        sync();
        await handle.datasync();
      },
      truncate: (size) => handle.truncate(size),
      size: () => handle.size(),
      close: () => handle.close(),
    };
  }

  readFile(path: string): Promise<Uint8Array> {
    return this.inner.readFile(path);
  }
  writeFile(path: string, data: Uint8Array): Promise<void> {
    return this.inner.writeFile(path, data);
  }
  rename(from: string, to: string): Promise<void> {
    return this.inner.rename(from, to);
  }
  unlink(path: string): Promise<void> {
    return this.inner.unlink(path);
  }
  list(path: string): Promise<string[]> {
    return this.inner.list(path);
  }
  mkdir(path: string): Promise<void> {
    return this.inner.mkdir(path);
  }
  syncDir(path: string): Promise<void> {
    return this.inner.syncDir(path);
  }
  stat(path: string): Promise<FileStat | null> {
    return this.inner.stat(path);
  }
  lock(dir: string): Promise<Lock> {
    return this.inner.lock(dir);
  }
}
