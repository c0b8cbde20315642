// The simulated filesystem's inodes and directories, each with a volatile view (what reads
// see: the page cache) and a durable view (what survives a crash); and the log of directory
// operations not yet made durable.
//
//   FileNode   vol[0, volSize)   volatile content     dur[0, durSize)  durable content
//              pending           writes/truncates since the last good datasync (pending-data.ts)
//   DirNode    entries           volatile name -> node
//              durable           durable name -> node (what a crash keeps)
//
// Invariants: dir.durable with every pending change for dir applied, in order, equals
// dir.entries. Bytes dur[0, durSize) never change in place once set (datasync either appends
// past durSize or builds a new buffer), so views of durable content can be handed out freely.
// A vol buffer with volOwned false is shared (with dur, or with another filesystem's image) and
// is copied before its first change.

import { joinPath } from '../../src/fs/types.ts';
import { applyOps, lowestOffset, sizeAfter } from './pending-data.ts';
import type { PendingOp } from './pending-data.ts';

export interface FileNode {
  readonly kind: 'file';
  vol: Uint8Array;
  volSize: number;
  volOwned: boolean;
  dur: Uint8Array;
  durSize: number;
  pending: PendingOp[];
}

export interface DirNode {
  readonly kind: 'dir';
  readonly entries: Map<string, SimNode>;
  readonly durable: Map<string, SimNode>;
}

export type SimNode = FileNode | DirNode;

/** One entry of one directory set (node) or removed (null). */
export interface EntryChange {
  readonly dir: DirNode;
  readonly name: string;
  readonly node: SimNode | null;
}

export type DirOpKind = 'create' | 'mkdir' | 'rename' | 'unlink' | 'link' | 'rmdir';

/** A directory operation not yet durable in every directory it changed. */
export interface DirOp {
  readonly op: DirOpKind;
  readonly path: string;
  readonly to?: string;
  /** Changes still pending: syncDir of a directory removes that directory's changes. */
  changes: EntryChange[];
}

const EMPTY = new Uint8Array(0);

/** A file whose content is wholly durable; `content` is shared, never written in place. */
export function newFile(content: Uint8Array = EMPTY): FileNode {
  return {
    kind: 'file',
    vol: content,
    volSize: content.length,
    volOwned: false,
    dur: content,
    durSize: content.length,
    pending: [],
  };
}

export function newDir(): DirNode {
  return { kind: 'dir', entries: new Map(), durable: new Map() };
}

export function durableContent(file: FileNode): Uint8Array {
  return file.dur.subarray(0, file.durSize);
}

export function volatileContent(file: FileNode): Uint8Array {
  return file.vol.subarray(0, file.volSize);
}

/** Makes the volatile buffer private and at least `capacity` long, doubling to amortize appends. */
function ensureVol(file: FileNode, capacity: number): void {
  if (file.volOwned && capacity <= file.vol.length) return;
  const grown =
    capacity > file.vol.length ? Math.max(capacity, file.vol.length * 2, 64) : file.vol.length;
  const buf = new Uint8Array(grown);
  buf.set(file.vol.subarray(0, file.volSize));
  file.vol = buf;
  file.volOwned = true;
}

export function volWrite(file: FileNode, data: Uint8Array, position: number): void {
  if (data.length === 0) return;
  const end = position + data.length;
  ensureVol(file, end);
  file.vol.set(data, position);
  if (end > file.volSize) file.volSize = end;
}

export function volTruncate(file: FileNode, size: number): void {
  if (size < file.volSize && !file.volOwned) {
    // A shared buffer: copy only what stays (a writeFile over a file truncates it to 0).
    const buf = new Uint8Array(Math.max(size, 64));
    buf.set(file.vol.subarray(0, size));
    file.vol = buf;
    file.volOwned = true;
  } else if (size < file.volSize) {
    file.vol.fill(0, size, file.volSize);
  } else if (size > file.vol.length) {
    ensureVol(file, size);
  }
  file.volSize = size;
}

export function volRead(
  file: FileNode,
  buffer: Uint8Array,
  offset: number,
  length: number,
  position: number,
): number {
  const n = Math.max(0, Math.min(length, file.volSize - position, buffer.length - offset));
  if (n > 0) buffer.set(file.vol.subarray(position, position + n), offset);
  return n;
}

/** datasync: the pending data becomes durable. Appends go in place; anything else copies. */
export function syncData(file: FileNode): void {
  if (file.pending.length === 0) return;
  const { extent } = sizeAfter(file.durSize, file.pending);
  const inPlace = lowestOffset(file.pending) >= file.durSize && extent <= file.dur.length;
  if (!inPlace) {
    const capacity =
      extent > file.dur.length ? Math.max(extent, file.dur.length * 2, 64) : file.dur.length;
    const buf = new Uint8Array(capacity);
    buf.set(file.dur.subarray(0, file.durSize));
    file.dur = buf;
  }
  file.durSize = applyOps(file.dur, file.durSize, file.pending);
  file.pending = [];
}

// ---- paths -------------------------------------------------------------------------------

export interface ParsedPath {
  /** '/a/b/c'; the root is '/'. */
  readonly path: string;
  readonly parts: readonly string[];
  /** Normalized parent path ('/' for top-level names and for the root itself). */
  readonly parent: string;
  /** Last component ('' for the root). */
  readonly name: string;
}

const PARSED_CACHE_MAX = 4096;
const parsedCache = new Map<string, ParsedPath>();

/** Simple normalization: '/'-joined, '.' and empty parts dropped, '..' pops; relative = from '/'. */
export function parsePath(raw: string): ParsedPath {
  const hit = parsedCache.get(raw);
  if (hit !== undefined) return hit;
  const parts: string[] = [];
  for (const part of raw.split('/')) {
    if (part === '' || part === '.') continue;
    if (part === '..') parts.pop();
    else parts.push(part);
  }
  const parsed: ParsedPath = {
    path: '/' + parts.join('/'),
    parts,
    parent: '/' + parts.slice(0, -1).join('/'),
    name: parts[parts.length - 1] ?? '',
  };
  if (parsedCache.size >= PARSED_CACHE_MAX) parsedCache.clear();
  parsedCache.set(raw, parsed);
  return parsed;
}

/** Deepest directory nesting a walk follows; deeper means a cycle of stale durable entries. */
const WALK_DEPTH_MAX = 64;

/** A file as a walk finds it: its path in the namespace walked, and its node. */
export type FileEntry = readonly [path: string, file: FileNode];

/** Every file reachable through volatile (or durable) entries, in walk order (names sorted). */
export function listFiles(root: DirNode, durable: boolean): FileEntry[] {
  const out: FileEntry[] = [];
  collectFiles(root, '/', 0, durable, new Set(), out);
  return out;
}

// A module function, not a closure: the walk runs for every view and image of a campaign.
function collectFiles(
  dir: DirNode,
  path: string,
  depth: number,
  durable: boolean,
  onPath: Set<DirNode>,
  out: FileEntry[],
): void {
  if (depth > WALK_DEPTH_MAX)
    throw new Error(
      `walcheck invariant violated: directory walk deeper than ${WALK_DEPTH_MAX} at ${path}`,
    );
  onPath.add(dir);
  const entries = durable ? dir.durable : dir.entries;
  const names = [...entries.keys()];
  if (names.length > 1) names.sort();
  for (const name of names) {
    const node = entries.get(name)!;
    if (node.kind === 'file') out.push([joinPath(path, name), node]);
    else if (!onPath.has(node))
      collectFiles(node, joinPath(path, name), depth + 1, durable, onPath, out);
  }
  onPath.delete(dir);
}
