// SimFs: an in-memory FileSystem (src/fs/types.ts) that models what a crash can leave
// (model/crash-model.md section 1), injects operation failures (fault-plan.ts), records every
// operation in a trace, and can die at a chosen operation.
//
// Store: plain Maps of Uint8Arrays (sim-nodes.ts), not memfs. memfs fits the speed budget
// (~1 us a call; a bare 50-call scenario plus a copy into a new Volume took ~100 us, against
// ~30 us for a whole SimFs scenario with model, trace and image), but it holds one view where
// the model needs two per inode and per directory, so it would be a third copy to keep in
// step; and it departs from POSIX where the model must not: it renames a file over a non-empty
// directory and a directory over a file without error, and reuses inode numbers after unlink
// (so it cannot name an inode whose unlink is not yet durable).
//
// Operation life: each call gets the next index (the trace index), then
//   crash point 'before' at this index  -> the filesystem freezes, the call rejects ECRASHED
//   fault rule matches                  -> the call fails as the rule says (fault-plan.ts)
//   otherwise                           -> the call runs against the volatile view
//   crash point 'after' at this index   -> the call returns, then the filesystem freezes
// Once frozen, every call rejects with SimCrashError (not traced); crashImage() then builds
// what a restart would find. Everything is synchronous inside the async methods: an operation
// costs no timer or macrotask, and the same calls give the same trace and images.

import {
  type LockProcess,
  type LockSite,
  lockDirectoryOn,
  lockSiteOf,
} from '../../src/fs/lock-protocol.ts';
import type { FileHandle, FileStat, FileSystem, Lock, OpenMode } from '../../src/fs/types.ts';
import { createsFile, isDsync, joinPath } from '../../src/fs/types.ts';
import { buildImage } from './crash-image.ts';
import type { CrashOutcome, CrashState, UnsyncedFile } from './crash-outcome.ts';
import { FaultInjector } from './fault-plan.ts';
import type { FaultPlan, FaultRule } from './fault-plan.ts';
import { errorCode } from '../../model/open-failure.ts';
import { SimCrashError, fsError } from './fs-errors.ts';
import type { OpKind, TraceEntry } from './op-trace.ts';
import { pendingUnits, sizeAfter, touchedSectors, writeEnds } from './pending-data.ts';
import { Rng } from '../base/rng.ts';
import { type Run, SimHandle } from './sim-handle.ts';
import {
  durableContent,
  newDir,
  newFile,
  listFiles,
  parsePath,
  syncData,
  volTruncate,
  volWrite,
  volatileContent,
} from './sim-nodes.ts';
import type {
  DirNode,
  DirOp,
  DirOpKind,
  EntryChange,
  FileEntry,
  FileNode,
  ParsedPath,
  SimNode,
} from './sim-nodes.ts';

export { SimCrashError } from './fs-errors.ts';

export interface CrashPoint {
  /** Trace index of the operation. */
  opIndex: number;
  /** 'before': that operation never happens; 'after': it completes, then the process dies. */
  when: 'before' | 'after';
}

export interface SimFsOptions {
  crashAt?: CrashPoint;
  faults?: FaultPlan;
  /** Seeds the choices the filesystem makes itself (short-write lengths). Default 1. */
  seed?: number;
  /** Record the operation trace (default true). Indices, crash points and faults work either way. */
  trace?: boolean;
}

/** The simulated process's pid: the same in every boot, as pids are reused after a reboot. */
const SIM_PID = 100;

export class SimFs implements FileSystem {
  private readonly root: DirNode;
  private dirOps: DirOp[] = [];
  /** Directories the simulated process holds locked (the in-process claims). */
  private readonly locks = new Set<string>();
  /** Boots before this one: a crash image is the next boot of its source. */
  private readonly generation: number;
  private lockTemps = 0;
  /** Made at the first lock(): many images (judges' copies) are never locked. */
  private lockParts: { site: LockSite; process: LockProcess } | null = null;
  private readonly entries: TraceEntry[] = [];
  private readonly traceOn: boolean;
  private readonly crashAt: CrashPoint | null;
  private readonly injector: FaultInjector | null;
  private readonly rng: Rng;
  private ops = 0;
  private fired = 0;
  private frozen = false;
  /** Counts operations that may have changed the durable state (durableView's cache key). */
  private durableChanges = 0;
  private durableCache: Map<string, Uint8Array> | null = null;
  private durableCacheAt = -1;
  /**
   * The files of each namespace in walk order, kept until the namespace changes: every view,
   * crash state and image starts from them, and most operations change no name. The volatile
   * one is keyed on logDirOp (every change of an entry is logged), the durable one on the
   * operations that apply logged changes (syncDir, syncAll).
   */
  private volatileNs = 0;
  private durableNs = 0;
  private volatileList: { at: number; files: readonly FileEntry[] } | null = null;
  private durableList: { at: number; files: readonly FileEntry[] } | null = null;

  /** An empty filesystem (the root directory only); `root` is for images and fromFiles. */
  constructor(options: SimFsOptions = {}, root: DirNode = newDir(), generation = 0) {
    this.root = root;
    this.generation = generation;
    this.traceOn = options.trace ?? true;
    this.crashAt = options.crashAt ?? null;
    this.injector =
      options.faults !== undefined && options.faults.length > 0
        ? new FaultInjector(options.faults)
        : null;
    this.rng = new Rng(options.seed ?? 1);
    if (
      this.crashAt !== null &&
      !(Number.isSafeInteger(this.crashAt.opIndex) && this.crashAt.opIndex >= 0)
    ) {
      throw new RangeError(
        `crashAt.opIndex must be a non-negative integer, got ${this.crashAt.opIndex}`,
      );
    }
  }

  /** A filesystem holding exactly these files (and their parent directories), all durable. */
  static fromFiles(
    files: Iterable<readonly [string, Uint8Array]> | Record<string, Uint8Array>,
    options: SimFsOptions = {},
  ): SimFs {
    const root = newDir();
    const list = Symbol.iterator in files ? files : Object.entries(files);
    for (const [raw, data] of list) {
      const { parts } = parsePath(raw);
      let dir = root;
      parts.slice(0, -1).forEach((part) => {
        let next = dir.entries.get(part);
        if (next === undefined) {
          next = newDir();
          dir.entries.set(part, next);
          dir.durable.set(part, next);
        }
        if (next.kind !== 'dir') throw fsError('ENOTDIR', 'fromFiles', raw);
        dir = next;
      });
      const file = newFile(new Uint8Array(data)); // a copy (Buffer.slice is a view)
      dir.entries.set(parts[parts.length - 1] ?? '', file);
      dir.durable.set(parts[parts.length - 1] ?? '', file);
    }
    return new SimFs(options, root);
  }

  // ---- harness controls ---------------------------------------------------------------------

  /** True once the crash point was reached or crashNow() was called. */
  get crashed(): boolean {
    return this.frozen;
  }

  /** Operations issued so far (the next operation's index). */
  get opCount(): number {
    return this.ops;
  }

  /** Whether a directory exists in the volatile namespace (not an operation: no index, no trace). */
  hasDir(path: string): boolean {
    return this.lookup(parsePath(path))?.kind === 'dir';
  }

  /** Injected faults that actually fired so far (a planned fault may never be reached). */
  get faultsFired(): number {
    return this.fired;
  }

  get trace(): readonly TraceEntry[] {
    return this.entries;
  }

  /** The process dies here: every later operation rejects with SimCrashError. */
  crashNow(): void {
    this.frozen = true;
  }

  /**
   * A new filesystem holding what `outcome` leaves of this one's state (frozen or current):
   * all of it durable, no locks held, a fresh trace. Throws RangeError for an outcome that does
   * not fit this state (a cut past the unsynced data, a path with no unsynced data, ...).
   */
  crashImage(outcome: CrashOutcome, options: SimFsOptions = {}): SimFs {
    const image = buildImage(this.root, this.dirOps, outcome, this.volatileFiles());
    return new SimFs(options, image, this.generation + 1);
  }

  /**
   * What a lose-unsynced crash would leave now: path -> bytes (views that never change). The
   * same map is returned until an operation that can change the durable state runs (every
   * ack of a group reads it, and nothing durable changes between them): do not modify it.
   */
  durableView(): ReadonlyMap<string, Uint8Array> {
    if (this.durableCache !== null && this.durableCacheAt === this.durableChanges)
      return this.durableCache;
    const out = new Map<string, Uint8Array>();
    for (const [path, file] of this.durableFiles()) out.set(path, durableContent(file));
    this.durableCache = out;
    this.durableCacheAt = this.durableChanges;
    return out;
  }

  /** What reads see now: path -> bytes (views, valid until the next operation). */
  volatileView(): Map<string, Uint8Array> {
    const out = new Map<string, Uint8Array>();
    for (const [path, file] of this.volatileFiles()) out.set(path, volatileContent(file));
    return out;
  }

  /** The unsynced state, as crash-outcome.ts needs it to choose or enumerate outcomes. */
  crashState(): CrashState {
    const files: UnsyncedFile[] = [];
    const seen = new Set<FileNode>(); // a file with two names (a link) is one file, by its first name
    for (const [path, file] of this.volatileFiles()) {
      if (file.pending.length === 0 || seen.has(file)) continue;
      seen.add(file);
      files.push({
        path,
        durableSize: file.durSize,
        newSize: sizeAfter(file.durSize, file.pending).size,
        units: pendingUnits(file.pending),
        sectors: touchedSectors(file.durSize, file.pending),
        writeEnds: writeEnds(file.pending),
      });
    }
    const durableFiles = this.durableFiles().map(([path, file]) => ({ path, size: file.durSize }));
    const dirOps = this.dirOps.map((d) =>
      d.to === undefined ? { op: d.op, path: d.path } : { op: d.op, path: d.path, to: d.to },
    );
    return { files, dirOps, durableFiles };
  }

  // ---- FileSystem ---------------------------------------------------------------------------

  async open(path: string, mode: OpenMode): Promise<FileHandle> {
    const p = parsePath(path);
    return this.run('open', p.path, () => {
      const node = this.lookup(p);
      if (node?.kind === 'dir') throw fsError('EISDIR', 'open', p.path);
      const dsync = isDsync(mode);
      if (node !== undefined)
        return new SimHandle(this.run, this.rng, p.path, node, mode !== 'read', dsync);
      if (!createsFile(mode)) throw fsError('ENOENT', 'open', p.path);
      return new SimHandle(this.run, this.rng, p.path, this.createFile(p, 'open'), true, dsync);
    });
  }

  async readFile(path: string): Promise<Uint8Array> {
    const p = parsePath(path);
    return this.run(
      'readFile',
      p.path,
      () => new Uint8Array(volatileContent(this.existingFile(p, 'open'))),
    );
  }

  async writeFile(path: string, data: Uint8Array): Promise<void> {
    const p = parsePath(path);
    this.run(
      'writeFile',
      p.path,
      () => {
        const node = this.lookup(p);
        if (node?.kind === 'dir') throw fsError('EISDIR', 'open', p.path);
        const file = node ?? this.createFile(p, 'open');
        if (node !== undefined) {
          volTruncate(file, 0); // O_TRUNC: same inode, emptied, unsynced
          file.pending.push({ kind: 'truncate', size: 0 });
        }
        volWrite(file, data, 0);
        if (data.length > 0)
          file.pending.push({ kind: 'write', offset: 0, data: new Uint8Array(data) });
      },
      undefined,
      data.length,
    );
  }

  async rename(from: string, to: string): Promise<void> {
    const a = parsePath(from);
    const b = parsePath(to);
    this.run(
      'rename',
      a.path,
      () => {
        const node = this.lookup(a);
        if (node === undefined || a.parts.length === 0) throw fsError('ENOENT', 'rename', a.path);
        const src = this.parentDir(a, 'rename');
        const dst = this.parentDir(b, 'rename');
        if (a.path === b.path) return;
        const target = dst.entries.get(b.name);
        if (node.kind === 'file' && target?.kind === 'dir')
          throw fsError('EISDIR', 'rename', b.path);
        if (node.kind === 'dir' && target?.kind === 'file')
          throw fsError('ENOTDIR', 'rename', b.path);
        if (node.kind === 'dir' && target?.kind === 'dir' && target.entries.size > 0)
          throw fsError('ENOTEMPTY', 'rename', b.path);
        if (node.kind === 'dir' && b.path.startsWith(a.path + '/'))
          throw fsError('EINVAL', 'rename', b.path);
        src.entries.delete(a.name);
        dst.entries.set(b.name, node);
        this.logDirOp(
          'rename',
          a.path,
          [
            { dir: src, name: a.name, node: null },
            { dir: dst, name: b.name, node },
          ],
          b.path,
        );
      },
      undefined,
      undefined,
      b.path,
    );
  }

  async unlink(path: string): Promise<void> {
    const p = parsePath(path);
    this.run('unlink', p.path, () => {
      const node = this.lookup(p);
      if (node === undefined) throw fsError('ENOENT', 'unlink', p.path);
      if (node.kind === 'dir') throw fsError('EISDIR', 'unlink', p.path);
      const dir = this.parentDir(p, 'unlink');
      dir.entries.delete(p.name);
      this.logDirOp('unlink', p.path, [{ dir, name: p.name, node: null }]);
    });
  }

  async list(path: string): Promise<string[]> {
    const p = parsePath(path);
    return this.run('list', p.path, () =>
      [...this.existingDir(p, 'scandir').entries.keys()].sort(),
    );
  }

  async mkdir(path: string): Promise<void> {
    const p = parsePath(path);
    this.run('mkdir', p.path, () => {
      let dir = this.root;
      let at = '/';
      p.parts.forEach((part, i) => {
        at = joinPath(at, part);
        const next = dir.entries.get(part);
        if (next?.kind === 'file')
          throw fsError(i === p.parts.length - 1 ? 'EEXIST' : 'ENOTDIR', 'mkdir', p.path);
        if (next !== undefined) {
          dir = next;
          return;
        }
        const made = newDir();
        dir.entries.set(part, made);
        this.logDirOp('mkdir', at, [{ dir, name: part, node: made }]);
        dir = made;
      });
    });
  }

  async syncDir(path: string): Promise<void> {
    const p = parsePath(path);
    this.run('syncDir', p.path, () => {
      const dir = this.existingDir(p, 'fsync');
      this.durableNs++;
      for (const op of this.dirOps) {
        if (!op.changes.some((c) => c.dir === dir)) continue;
        for (const change of op.changes) {
          if (change.dir !== dir) continue;
          if (change.node === null) dir.durable.delete(change.name);
          else dir.durable.set(change.name, change.node);
        }
        op.changes = op.changes.filter((c) => c.dir !== dir);
      }
      this.dirOps = this.dirOps.filter((op) => op.changes.length > 0);
    });
  }

  /** A second name for a file (link(2)): a directory op, durable once its directory is synced. */
  async link(from: string, to: string): Promise<void> {
    const a = parsePath(from);
    const b = parsePath(to);
    this.run(
      'link',
      a.path,
      () => {
        const node = this.lookup(a);
        if (node === undefined) throw fsError('ENOENT', 'link', a.path);
        if (node.kind === 'dir') throw fsError('EPERM', 'link', a.path);
        const dst = this.parentDir(b, 'link');
        if (dst.entries.has(b.name) || b.parts.length === 0)
          throw fsError('EEXIST', 'link', b.path);
        dst.entries.set(b.name, node);
        this.logDirOp('link', a.path, [{ dir: dst, name: b.name, node }], b.path);
      },
      undefined,
      undefined,
      b.path,
    );
  }

  /** Removes an empty directory (rmdir(2)): a directory op of its parent. */
  async rmdir(path: string): Promise<void> {
    const p = parsePath(path);
    this.run('rmdir', p.path, () => {
      const node = this.existingDir(p, 'rmdir');
      if (p.parts.length === 0) throw fsError('EBUSY', 'rmdir', p.path);
      if (node.entries.size > 0) throw fsError('ENOTEMPTY', 'rmdir', p.path);
      const dir = this.parentDir(p, 'rmdir');
      dir.entries.delete(p.name);
      this.logDirOp('rmdir', p.path, [{ dir, name: p.name, node: null }]);
    });
  }

  /** sync(2)/syncfs(2): every file's data and every directory's entries become durable. */
  async syncAll(): Promise<void> {
    this.run('syncAll', '/', () => {
      for (const [, file] of this.volatileFiles()) syncData(file);
      this.durableNs++;
      for (const op of this.dirOps) {
        for (const change of op.changes) {
          if (change.node === null) change.dir.durable.delete(change.name);
          else change.dir.durable.set(change.name, change.node);
        }
      }
      this.dirOps = [];
    });
  }

  async stat(path: string): Promise<FileStat | null> {
    const p = parsePath(path);
    return this.run('stat', p.path, () => {
      const node = this.lookup(p);
      if (node === undefined) return null;
      return node.kind === 'dir'
        ? { size: 0, isDirectory: true }
        : { size: node.volSize, isDirectory: false };
    });
  }

  /**
   * The engine's lock protocol (src/fs/lock-protocol.ts) on this filesystem's files: LOCK and
   * its temp files are modelled like any other (volatile until synced, lost, kept or torn at
   * a crash). One simulated process runs per boot, so every owner but this one is gone.
   */
  async lock(dir: string): Promise<Lock> {
    const p = parsePath(dir);
    this.lockParts ??= {
      site: lockSiteOf(this),
      process: {
        self: { pid: SIM_PID, boot: `sim-boot-${this.generation}`, start: '1' },
        alive: () => false,
        tempName: () => `LOCK.${SIM_PID}.${this.lockTemps++}.tmp`,
      },
    };
    return lockDirectoryOn(this.lockParts.site, this.lockParts.process, this.locks, p.path, p.path);
  }

  // ---- internals ----------------------------------------------------------------------------

  /** Every operation goes through here: index, trace, crash point, fault, body. */
  private runOp<T>(
    op: OpKind,
    path: string,
    body: (fault: FaultRule | undefined) => T,
    offset?: number,
    length?: number,
    to?: string,
  ): T {
    if (this.frozen) throw new SimCrashError(op, path);
    const index = this.ops++;
    let entry: TraceEntry | undefined;
    if (this.traceOn) {
      entry = { index, op, path, to, offset, length, result: undefined };
      this.entries.push(entry);
    }
    const crashHere = this.crashAt !== null && this.crashAt.opIndex === index;
    if (crashHere && this.crashAt.when === 'before') {
      this.frozen = true;
      if (entry !== undefined) entry.result = 'ECRASHED';
      throw new SimCrashError(op, path);
    }
    try {
      const fault = this.injector?.take(op, index);
      if (fault !== undefined) this.fired++;
      // write, datasync and dsync interpret their faults themselves (short writes, fsyncgate)
      if (fault !== undefined && op !== 'write' && op !== 'datasync' && op !== 'dsync')
        throw fsError(fault.fault, op, path);
      const value = body(fault);
      if (entry !== undefined && typeof value === 'number') entry.result = value;
      return value;
    } catch (err) {
      if (entry !== undefined) entry.result = errorCode(err);
      throw err;
    } finally {
      // Anything that may change the durable view invalidates durableView()'s cache.
      if (op === 'datasync' || op === 'dsync' || op === 'syncDir' || op === 'syncAll')
        this.durableChanges++;
      if (crashHere) this.frozen = true;
    }
  }

  // Bound once per filesystem (handles call it too); a bound method, not an arrow field, as
  // tsx names every arrow it makes (esbuild keepNames) and images are made per crash.
  private readonly run: Run = this.runOp.bind(this);

  /** The node at a path in the volatile namespace; undefined if missing or under a file. */
  private lookup(p: ParsedPath): SimNode | undefined {
    let node: SimNode | undefined = this.root;
    for (const part of p.parts) {
      if (node.kind !== 'dir') return undefined;
      node = node.entries.get(part);
      if (node === undefined) return undefined;
    }
    return node;
  }

  private parentDir(p: ParsedPath, syscall: string): DirNode {
    let node: SimNode | undefined = this.root;
    for (let i = 0; i < p.parts.length - 1; i++) {
      node = node.entries.get(p.parts[i]!);
      if (node === undefined) throw fsError('ENOENT', syscall, p.path);
      if (node.kind !== 'dir') throw fsError('ENOTDIR', syscall, p.path);
    }
    return node;
  }

  private existingDir(p: ParsedPath, syscall: string): DirNode {
    const node = this.lookup(p);
    if (node === undefined) throw fsError('ENOENT', syscall, p.path);
    if (node.kind !== 'dir') throw fsError('ENOTDIR', syscall, p.path);
    return node;
  }

  private existingFile(p: ParsedPath, syscall: string): FileNode {
    const node = this.lookup(p);
    if (node === undefined) throw fsError('ENOENT', syscall, p.path);
    if (node.kind !== 'file') throw fsError('EISDIR', syscall, p.path);
    return node;
  }

  private createFile(p: ParsedPath, syscall: string): FileNode {
    const dir = this.parentDir(p, syscall);
    if (p.parts.length === 0) throw fsError('EISDIR', syscall, p.path);
    const file = newFile();
    dir.entries.set(p.name, file);
    this.logDirOp('create', p.path, [{ dir, name: p.name, node: file }]);
    return file;
  }

  private volatileFiles(): readonly FileEntry[] {
    if (this.volatileList?.at !== this.volatileNs)
      this.volatileList = { at: this.volatileNs, files: listFiles(this.root, false) };
    return this.volatileList.files;
  }

  private durableFiles(): readonly FileEntry[] {
    if (this.durableList?.at !== this.durableNs)
      this.durableList = { at: this.durableNs, files: listFiles(this.root, true) };
    return this.durableList.files;
  }

  private logDirOp(op: DirOpKind, path: string, changes: EntryChange[], to?: string): void {
    this.volatileNs++;
    this.dirOps.push(to === undefined ? { op, path, changes } : { op, path, to, changes });
  }
}
