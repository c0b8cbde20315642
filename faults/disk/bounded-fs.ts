// A filesystem wrapper that lets an engine issue only so many operations before it stops
// answering: once over its budget, every call returns a promise that never settles. With the
// simulated filesystem everything an engine does runs in microtasks, so an engine that spins
// through filesystem calls (a retry loop, a leader that never empties its queue) would never
// give the harness a turn; stalled calls end the spin, the event loop goes idle, and the
// harness (settle.ts) reports the writes still pending as a liveness violation instead of
// spinning with it. The budget is a count of operations, so the verdict is deterministic.

import type { FileHandle, FileSystem, Lock, OpenMode } from '../../src/fs/types.ts';

/** Operations one awaited harness step (a wave, an open, a close) may take at most. */
export const STEP_OPS_MAX = 20_000;

export class BoundedFs implements FileSystem {
  private ops = 0;
  private limit = STEP_OPS_MAX;
  /** Calls refused (left pending) since the budget ran out. */
  stalledCalls = 0;

  constructor(private readonly inner: FileSystem) {}

  /** Operations through this wrapper so far. */
  get opCount(): number {
    return this.ops;
  }

  /** Allows `ops` more operations from now (each awaited harness step calls it). */
  allow(ops: number = STEP_OPS_MAX): void {
    this.limit = this.ops + ops;
  }

  /** Counts one call; false when the budget is spent (the call must then never settle). */
  pass(): boolean {
    if (this.ops >= this.limit) {
      this.stalledCalls++;
      return false;
    }
    this.ops++;
    return true;
  }

  open(path: string, mode: OpenMode): Promise<FileHandle> {
    if (!this.pass()) return never();
    return this.inner.open(path, mode).then((handle) => new BoundedHandle(this, handle));
  }
  readFile(path: string): Promise<Uint8Array> {
    return this.pass() ? this.inner.readFile(path) : never();
  }
  writeFile(path: string, data: Uint8Array): Promise<void> {
    return this.pass() ? this.inner.writeFile(path, data) : never();
  }
  rename(from: string, to: string): Promise<void> {
    return this.pass() ? this.inner.rename(from, to) : never();
  }
  unlink(path: string): Promise<void> {
    return this.pass() ? this.inner.unlink(path) : never();
  }
  list(path: string): Promise<string[]> {
    return this.pass() ? this.inner.list(path) : never();
  }
  mkdir(path: string): Promise<void> {
    return this.pass() ? this.inner.mkdir(path) : never();
  }
  syncDir(path: string): Promise<void> {
    return this.pass() ? this.inner.syncDir(path) : never();
  }
  stat(path: string): ReturnType<FileSystem['stat']> {
    return this.pass() ? this.inner.stat(path) : never();
  }
  lock(dir: string): Promise<Lock> {
    if (!this.pass()) return never();
    return this.inner.lock(dir).then((lock) => new BoundedLock(this, lock));
  }
}

class BoundedLock implements Lock {
  constructor(
    private readonly fs: BoundedFs,
    private readonly inner: Lock,
  ) {}
  release(): Promise<void> {
    return this.fs.pass() ? this.inner.release() : never();
  }
}

class BoundedHandle implements FileHandle {
  constructor(
    private readonly fs: BoundedFs,
    private readonly inner: FileHandle,
  ) {}
  read(buffer: Uint8Array, offset: number, length: number, position: number): Promise<number> {
    return this.fs.pass() ? this.inner.read(buffer, offset, length, position) : never();
  }
  write(data: Uint8Array, position: number): Promise<number> {
    return this.fs.pass() ? this.inner.write(data, position) : never();
  }
  datasync(): Promise<void> {
    return this.fs.pass() ? this.inner.datasync() : never();
  }
  truncate(size: number): Promise<void> {
    return this.fs.pass() ? this.inner.truncate(size) : never();
  }
  size(): Promise<number> {
    return this.fs.pass() ? this.inner.size() : never();
  }
  close(): Promise<void> {
    return this.fs.pass() ? this.inner.close() : never();
  }
}

function never<T>(): Promise<T> {
  return new Promise<T>(() => {});
}
