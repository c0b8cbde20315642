// Power-loss emulation on a real directory tree (after LazyFS and RocksDB's
// FaultInjectionTestFS): a FileSystem over node:fs that keeps everything not yet synced in
// this process's memory, so that when the process is SIGKILLed the disk holds exactly what
// a power cut would have left (model/crash-model.md section 1, pessimistic POSIX):
//
//   file data    write/truncate are kept per file as pending ops; datasync writes them
//                through to the disk file and fsyncs it
//   directories  create, rename, unlink, mkdir are kept per directory as changes; syncDir
//                applies that directory's changes to the disk and fsyncs it (a new file's
//                synced bytes live in memory until its name is made durable)
//   reads        see the volatile view: disk bytes with the pending ops on top
//
// A write on a handle opened O_DSYNC is a pending write and its datasync in one serialized
// operation: durable when it resolves, and (with tear) it may be cut by a kill like any
// datasync. A kill before it resolves may leave it wholly, partly (tear) or not at all.
//
// Optionally (tear) a datasync writes the pending data in two synced steps, a seeded prefix
// of its units (bytes in issue order, a truncate one unit) first, so that a kill during the
// first fsync leaves a torn tail, as keep-prefix does in SimFs. (Writing a prefix through
// at write time instead would leave a window of microseconds; fsyncs are where the time goes.)
//
//   disk (what a kill leaves) = durable view (+ a synced prefix of a datasync in progress)
//   volatile view             = disk + pending ops + namespace changes
//
// A rename's new name, once its directory is synced, is a hard link to the same disk file,
// so the file keeps one inode until the old directory's sync unlinks the old name (or, when
// the old directory is synced first, the synced bytes move to memory). Every operation is
// serialized, so a datasync never interleaves with the writes it carries.

import { link } from 'node:fs/promises';
import { resolve } from 'node:path';
import { type LockSite, lockDirectoryOn, lockSiteOf } from '../../src/fs/lock-protocol.ts';
import { NodeFileSystem } from '../../src/fs/node-fs.ts';
import { nodeProcess } from '../../src/fs/node-lock.ts';
import type { FileHandle, FileStat, FileSystem, Lock, OpenMode } from '../../src/fs/types.ts';
import { createsFile, isDsync, joinPath, parentPath } from '../../src/fs/types.ts';
import { writeFully } from '../../src/fs/write-fully.ts';
import { fsError } from './fs-errors.ts';
import { type PendingOp, pendingUnits, sizeAfter, withOps } from './pending-data.ts';
import { Rng } from '../base/rng.ts';

export interface TearOptions {
  seed: number;
  /** Chance that a datasync goes in two steps (0..1). */
  probability: number;
}

export interface PowerLossOptions {
  /** Datasyncs in two steps, a seeded prefix first, for torn tails; off by default. */
  tear?: TearOptions;
}

interface FileNode {
  /** A disk path holding this file's durable bytes, or null while no durable name has it. */
  diskPath: string | null;
  /** The durable bytes while diskPath is null (a created file whose name is not yet synced). */
  memory: Uint8Array;
  /** Writes and truncates since the last datasync not yet on disk, in issue order. */
  pending: PendingOp[];
}

type Change =
  | { readonly kind: 'file'; readonly node: FileNode }
  | { readonly kind: 'dir' }
  | { readonly kind: 'gone' };
type Found = { readonly kind: 'file'; readonly node: FileNode } | { readonly kind: 'dir' } | null;

const EMPTY = new Uint8Array(0);
/** Ancestors mkdir walks at most (a path deeper than this is a bug, not a database). */
const PATH_DEPTH_MAX = 256;

export class PowerLossFileSystem implements FileSystem {
  /** dir -> name -> change not yet made durable by syncDir(dir). */
  private readonly changes = new Map<string, Map<string, Change>>();
  /** The node of each disk file this process has looked at, so every name of a file shares it. */
  private readonly diskNodes = new Map<string, FileNode>();
  private readonly tearRng: Rng | null;
  private readonly tearProbability: number;
  private queue: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly inner: FileSystem = new NodeFileSystem(),
    options: PowerLossOptions = {},
  ) {
    this.tearRng = options.tear === undefined ? null : new Rng(options.tear.seed);
    this.tearProbability = options.tear?.probability ?? 0;
  }

  open(path: string, mode: OpenMode): Promise<FileHandle> {
    return this.serial(async () => {
      const key = resolve(path);
      const found = await this.lookUp(key);
      if (found?.kind === 'dir') throw fsError('EISDIR', 'open', path);
      const dsync = isDsync(mode);
      if (found !== null) return new PowerLossFile(this, found.node, mode === 'read', dsync);
      if (!createsFile(mode)) throw fsError('ENOENT', 'open', path);
      return new PowerLossFile(this, await this.createFile(key, 'open'), false, dsync);
    });
  }

  readFile(path: string): Promise<Uint8Array> {
    return this.serial(async () =>
      this.volatileBytes(await this.fileNode(resolve(path), 'readFile')),
    );
  }

  writeFile(path: string, data: Uint8Array): Promise<void> {
    return this.serial(async () => {
      const key = resolve(path);
      const found = await this.lookUp(key);
      if (found?.kind === 'dir') throw fsError('EISDIR', 'writeFile', path);
      const node = found?.node ?? (await this.createFile(key, 'writeFile'));
      this.addPending(node, { kind: 'truncate', size: 0 });
      this.addPending(node, { kind: 'write', offset: 0, data: new Uint8Array(data) });
    });
  }

  rename(from: string, to: string): Promise<void> {
    return this.serial(async () => {
      const source = resolve(from);
      const target = resolve(to);
      if ((await this.lookUp(source))?.kind === 'dir') return this.renameDir(source, target, to);
      const node = await this.fileNode(source, 'rename');
      if ((await this.lookUp(parentPath(target)))?.kind !== 'dir')
        throw fsError('ENOENT', 'rename', to);
      if ((await this.lookUp(target))?.kind === 'dir') throw fsError('EISDIR', 'rename', to);
      if (source === target) return;
      this.change(source, { kind: 'gone' });
      this.change(target, { kind: 'file', node });
    });
  }

  /**
   * A directory rename reaches the disk at once (more durable than POSIX, which needs both
   * parents synced; the engine never renames directories), and the volatile state under the
   * old name (pending entries, open files' disk paths) moves with it.
   */
  private async renameDir(source: string, target: string, to: string): Promise<void> {
    const existing = await this.lookUp(target);
    if ((await this.lookUp(parentPath(target)))?.kind !== 'dir')
      throw fsError('ENOENT', 'rename', to);
    if (existing?.kind === 'file') throw fsError('ENOTDIR', 'rename', to);
    if (target.startsWith(`${source}/`)) throw fsError('EINVAL', 'rename', to);
    if (source === target) return;
    if (existing?.kind === 'dir' && (await this.names(target)).length > 0)
      throw fsError('ENOTEMPTY', 'rename', to);
    if ((await this.inner.stat(source))?.isDirectory === true) {
      await this.inner.mkdir(parentPath(target)); // a parent not yet on disk is made there
      await this.inner.rename(source, target);
    }
    const moved = (path: string): string | null =>
      path === source || path.startsWith(`${source}/`) ? target + path.slice(source.length) : null;
    for (const [dir, entries] of [...this.changes]) {
      const to = moved(dir);
      if (to === null) continue;
      this.changes.delete(dir);
      this.changes.set(to, entries);
    }
    for (const [path, node] of [...this.diskNodes]) {
      const to = moved(path);
      if (to === null) continue;
      this.diskNodes.delete(path);
      this.diskNodes.set(to, node);
      if (node.diskPath === path) node.diskPath = to;
    }
    this.change(source, { kind: 'gone' });
    this.change(target, { kind: 'dir' });
  }

  unlink(path: string): Promise<void> {
    return this.serial(async () => {
      const key = resolve(path);
      await this.fileNode(key, 'unlink');
      this.change(key, { kind: 'gone' });
    });
  }

  list(path: string): Promise<string[]> {
    return this.serial(() => this.names(resolve(path), path));
  }

  /** The volatile entries of a directory: its disk entries with the pending changes on top. */
  private async names(key: string, path = key): Promise<string[]> {
    const found = await this.lookUp(key);
    if (found === null) throw fsError('ENOENT', 'scandir', path);
    if (found.kind !== 'dir') throw fsError('ENOTDIR', 'scandir', path);
    const names = new Set(
      (await this.inner.stat(key))?.isDirectory === true ? await this.inner.list(key) : [],
    );
    for (const [name, change] of this.changes.get(key) ?? []) {
      if (change.kind === 'gone') names.delete(name);
      else names.add(name);
    }
    return [...names].sort();
  }

  mkdir(path: string): Promise<void> {
    return this.serial(async () => {
      const missing: string[] = [];
      let at = resolve(path);
      for (let depth = 0; depth < PATH_DEPTH_MAX; depth++) {
        const found = await this.lookUp(at);
        if (found?.kind === 'file')
          throw fsError(at === resolve(path) ? 'EEXIST' : 'ENOTDIR', 'mkdir', path);
        if (found?.kind === 'dir') break;
        missing.push(at);
        at = parentPath(at);
      }
      for (const dir of missing.reverse()) this.change(dir, { kind: 'dir' });
    });
  }

  /** Makes this directory's entries durable: applies its changes to the disk, then fsyncs it. */
  syncDir(path: string): Promise<void> {
    return this.serial(async () => {
      const dir = resolve(path);
      const found = await this.lookUp(dir);
      if (found === null) throw fsError('ENOENT', 'fsync', path);
      if (found.kind !== 'dir') throw fsError('ENOTDIR', 'fsync', path);
      // A directory whose own name is not durable yet is created on disk here: more durable
      // than POSIX promises (its name would be lost), a case the engine never relies on.
      if ((await this.inner.stat(dir)) === null) await this.inner.mkdir(dir);
      const changes = this.changes.get(dir);
      this.changes.delete(dir);
      for (const [name, change] of changes ?? []) {
        const at = joinPath(dir, name);
        if (change.kind === 'gone') await this.removeFromDisk(at);
        else if (change.kind === 'dir') await this.inner.mkdir(at);
        else await this.placeOnDisk(change.node, at);
      }
      await this.inner.syncDir(dir);
    });
  }

  stat(path: string): Promise<FileStat | null> {
    return this.serial(async () => {
      const found = await this.lookUp(resolve(path));
      if (found === null) return null;
      if (found.kind === 'dir') return { size: 0, isDirectory: true };
      return { size: await this.volatileSize(found.node), isDirectory: false };
    });
  }

  /** A second name for a file (POSIX link), volatile until its directory is synced. */
  link(from: string, to: string): Promise<void> {
    return this.serial(async () => {
      const source = resolve(from);
      const target = resolve(to);
      const found = await this.lookUp(source);
      if (found === null) throw fsError('ENOENT', 'link', from);
      if (found.kind === 'dir') throw fsError('EPERM', 'link', from);
      if ((await this.lookUp(parentPath(target)))?.kind !== 'dir')
        throw fsError('ENOENT', 'link', to);
      if ((await this.lookUp(target)) !== null) throw fsError('EEXIST', 'link', to);
      this.change(target, { kind: 'file', node: found.node });
    });
  }

  /**
   * The engine's lock protocol (src/fs/lock-protocol.ts) on this filesystem's own files, so
   * LOCK and its temp files are volatile until synced like any other file, and a kill leaves
   * of them what a power cut would. The page cache here is this process's: another process
   * sees LOCK only once a directory sync put it on disk (one engine process at a time runs
   * on a directory under this emulation).
   */
  lock(dir: string): Promise<Lock> {
    return lockDirectoryOn(this.lockSite, nodeProcess, this.locks, resolve(dir), dir);
  }

  private readonly locks = new Set<string>();

  private readonly lockSite: LockSite = lockSiteOf(this);

  // ---- used by PowerLossFile ---------------------------------------------------------------

  serial<T>(operation: () => Promise<T>): Promise<T> {
    const run = this.queue.then(operation, operation);
    this.queue = run.catch(() => undefined);
    return run;
  }

  async volatileBytes(node: FileNode): Promise<Uint8Array> {
    const base = node.diskPath === null ? node.memory : await this.inner.readFile(node.diskPath);
    return node.pending.length === 0 ? new Uint8Array(base) : withOps(base, node.pending);
  }

  async volatileSize(node: FileNode): Promise<number> {
    const base =
      node.diskPath === null
        ? node.memory.length
        : ((await this.inner.stat(node.diskPath))?.size ?? 0);
    return sizeAfter(base, node.pending).size;
  }

  /** Records a write or truncate: volatile until datasync. */
  addPending(node: FileNode, op: PendingOp): void {
    node.pending.push(op);
  }

  /**
   * fdatasync: every pending op reaches the disk file (or the in-memory durable bytes). With
   * tear, sometimes in two synced steps, a seeded prefix first: a kill during the first
   * step's fsync (where the time goes) leaves that prefix, a torn tail.
   */
  async datasync(node: FileNode): Promise<void> {
    const ops = node.pending;
    node.pending = [];
    const total = pendingUnits(ops);
    const rng = this.tearRng;
    if (rng !== null && total > 1 && rng.bool(this.tearProbability)) {
      const [first, rest] = splitUnits(ops, 1 + rng.int(total - 1));
      await this.writeThrough(node, first);
      await this.writeThrough(node, rest);
      return;
    }
    await this.writeThrough(node, ops);
  }

  // ---- namespace ---------------------------------------------------------------------------

  private async lookUp(path: string): Promise<Found> {
    const change = this.changes.get(parentPath(path))?.get(basenameOf(path));
    if (change !== undefined) return change.kind === 'gone' ? null : change;
    const stat = await this.inner.stat(path);
    if (stat === null) return null;
    if (stat.isDirectory) return { kind: 'dir' };
    let node = this.diskNodes.get(path);
    if (node === undefined) {
      node = { diskPath: path, memory: EMPTY, pending: [] };
      this.diskNodes.set(path, node);
    }
    return { kind: 'file', node };
  }

  private async fileNode(path: string, syscall: string): Promise<FileNode> {
    const found = await this.lookUp(path);
    if (found === null) throw fsError('ENOENT', syscall, path);
    if (found.kind === 'dir') throw fsError('EISDIR', syscall, path);
    return found.node;
  }

  private async createFile(path: string, syscall: string): Promise<FileNode> {
    if ((await this.lookUp(parentPath(path)))?.kind !== 'dir')
      throw fsError('ENOENT', syscall, path);
    const node: FileNode = { diskPath: null, memory: EMPTY, pending: [] };
    this.change(path, { kind: 'file', node });
    return node;
  }

  private change(path: string, change: Change): void {
    const dir = parentPath(path);
    let entries = this.changes.get(dir);
    if (entries === undefined) {
      entries = new Map();
      this.changes.set(dir, entries);
    }
    entries.delete(basenameOf(path)); // re-inserted last: syncDir applies changes in order
    entries.set(basenameOf(path), change);
  }

  /** Removes a durable name; a file still named elsewhere in the volatile view keeps its bytes in memory. */
  private async removeFromDisk(path: string): Promise<void> {
    const stat = await this.inner.stat(path);
    if (stat === null) return;
    if (stat.isDirectory) throw fsError('EISDIR', 'unlink', path);
    const node = this.diskNodes.get(path);
    this.diskNodes.delete(path);
    if (node !== undefined && node.diskPath === path) {
      node.memory = await this.inner.readFile(path);
      node.diskPath = null;
    }
    await this.inner.unlink(path);
  }

  /** Gives `node` the durable name `path`: a hard link to its disk file, or a new file holding its durable bytes. */
  private async placeOnDisk(node: FileNode, path: string): Promise<void> {
    if (node.diskPath === path) return;
    await this.removeFromDisk(path);
    if (node.diskPath !== null) {
      await link(node.diskPath, path);
    } else {
      const handle = await this.inner.open(path, 'create');
      try {
        await writeFully(handle, node.memory, 0);
        await handle.datasync();
      } finally {
        await handle.close();
      }
      node.memory = EMPTY;
    }
    node.diskPath = path;
    this.diskNodes.set(path, node);
  }

  /** Applies ops to the durable bytes: the disk file, then fsync; or the in-memory bytes. */
  private async writeThrough(node: FileNode, ops: readonly PendingOp[]): Promise<void> {
    if (node.diskPath === null) {
      node.memory = withOps(node.memory, ops);
      return;
    }
    const handle = await this.inner.open(node.diskPath, 'write');
    try {
      for (const op of ops) {
        if (op.kind === 'truncate') await handle.truncate(op.size);
        else await writeFully(handle, op.data, op.offset);
      }
      await handle.datasync();
    } finally {
      await handle.close();
    }
  }
}

class PowerLossFile implements FileHandle {
  private closed = false;

  constructor(
    private readonly fs: PowerLossFileSystem,
    private readonly node: FileNode,
    private readonly readOnly: boolean,
    private readonly dsync: boolean,
  ) {}

  read(buffer: Uint8Array, offset: number, length: number, position: number): Promise<number> {
    return this.fs.serial(async () => {
      this.checkOpen('read');
      const bytes = await this.fs.volatileBytes(this.node);
      const chunk = bytes.subarray(
        Math.min(position, bytes.length),
        Math.min(position + length, bytes.length),
      );
      buffer.set(chunk, offset);
      return chunk.length;
    });
  }

  write(data: Uint8Array, position: number): Promise<number> {
    return this.fs.serial(async () => {
      this.checkWritable('write');
      this.fs.addPending(this.node, {
        kind: 'write',
        offset: position,
        data: new Uint8Array(data),
      }); // a copy (Buffer.slice is a view)
      if (this.dsync) await this.fs.datasync(this.node); // O_DSYNC: durable before it returns
      return data.length;
    });
  }

  datasync(): Promise<void> {
    return this.fs.serial(async () => {
      this.checkOpen('fdatasync');
      await this.fs.datasync(this.node);
    });
  }

  truncate(size: number): Promise<void> {
    return this.fs.serial(async () => {
      this.checkOpen('ftruncate');
      if (this.readOnly) throw fsError('EINVAL', 'ftruncate', this.node.diskPath ?? '(unnamed)'); // as Linux
      this.fs.addPending(this.node, { kind: 'truncate', size });
    });
  }

  size(): Promise<number> {
    return this.fs.serial(async () => {
      this.checkOpen('fstat');
      return this.fs.volatileSize(this.node);
    });
  }

  async close(): Promise<void> {
    this.closed = true;
  }

  private checkOpen(syscall: string): void {
    if (this.closed) throw fsError('EBADF', syscall, this.node.diskPath ?? '(unnamed)');
  }

  private checkWritable(syscall: string): void {
    this.checkOpen(syscall);
    if (this.readOnly) throw fsError('EBADF', syscall, this.node.diskPath ?? '(unnamed)');
  }
}

/** The first `units` units of `ops` (a write may be cut in two) and the rest. */
export function splitUnits(ops: readonly PendingOp[], units: number): [PendingOp[], PendingOp[]] {
  const first: PendingOp[] = [];
  const rest: PendingOp[] = [];
  let left = units;
  for (const op of ops) {
    if (left <= 0) {
      rest.push(op);
    } else if (op.kind === 'truncate') {
      first.push(op);
      left -= 1;
    } else if (op.data.length <= left) {
      first.push(op);
      left -= op.data.length;
    } else {
      first.push({ kind: 'write', offset: op.offset, data: op.data.subarray(0, left) });
      rest.push({ kind: 'write', offset: op.offset + left, data: op.data.subarray(left) });
      left = 0;
    }
  }
  return [first, rest];
}

function basenameOf(path: string): string {
  return path.slice(path.lastIndexOf('/') + 1);
}
