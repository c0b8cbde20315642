// Builds the directory tree a crash outcome leaves: a fresh tree in which every file and every
// entry is durable. Two choices make an image: which unsynced directory ops persist (the
// namespace) and what each surviving file holds (its content).
//
//   outcome            namespace                             content of a file with unsynced data
//   lose-unsynced      durable entries                       durable
//   bit-rot            durable entries                       durable, bits flipped
//   keep-prefix        durable + dir ops in keep (all)       durable + first cuts[path] units
//   tear-sectors       durable + dir ops in keep (all)       sectors mixed old/new, lengths[path]
//                                                            long; or a prefix (cuts[path])
//   reorder-metadata   durable + dir ops in keep             new (what datasync would make durable)
//
// A file's data choice is looked up by its volatile name, whatever name the kept ops leave it
// under. A `keep` that holds an op without one it depends on is refused (crash-outcome.ts).
// Images share durable bytes with the source (never written in place, see sim-nodes.ts).

import { pendingUnits, tearContent, touchedSectors, withOps } from './pending-data.ts';
import { joinPath } from '../../src/fs/types.ts';
import { durableContent, newDir, newFile } from './sim-nodes.ts';
import { type CrashOutcome, dirOpDependencies, isDependenceClosed } from './crash-outcome.ts';
import type { DirNode, DirOp, FileEntry, FileNode, SimNode } from './sim-nodes.ts';

/** Deepest directory nesting an image walks; deeper means a cycle or a bug. */
const IMAGE_DEPTH_MAX = 64;

type ContentOf = (file: FileNode, path: string) => Uint8Array;

/** `files` lists the volatile namespace of `root` in walk order (sim-nodes.ts listFiles). */
export function buildImage(
  root: DirNode,
  dirOps: readonly DirOp[],
  outcome: CrashOutcome,
  files: readonly FileEntry[],
): DirNode {
  const named = new Set<string>();
  const names = volatileNames(files);
  const content = contentFor(outcome, named, names);
  const keep = keptOps(outcome, dirOps);
  const image = copyTree(root, namespaceOverlay(dirOps, keep), content);
  const pendingNames = new Set(
    [...names].filter(([file]) => file.pending.length > 0).map(([, p]) => p),
  );
  const unused = outcomePaths(outcome).filter(
    (p) => !named.has(p) && !(outcome.kind !== 'bit-rot' && pendingNames.has(p)),
  );
  check(
    unused.length === 0,
    () => `crash outcome names paths with no unsynced (or durable) file: ${unused.join(', ')}`,
  );
  return image;
}

/** Each file's first volatile name (sorted walk): how outcomes name its data choice. */
function volatileNames(files: readonly FileEntry[]): Map<FileNode, string> {
  const names = new Map<FileNode, string>();
  for (const [path, file] of files) if (!names.has(file)) names.set(file, path);
  return names;
}

function keptOps(outcome: CrashOutcome, dirOps: readonly DirOp[]): (index: number) => boolean {
  const count = dirOps.length;
  switch (outcome.kind) {
    case 'lose-unsynced':
    case 'bit-rot':
      return () => false;
    case 'keep-prefix':
    case 'tear-sectors':
    case 'reorder-metadata': {
      if (outcome.keep === undefined) return () => true;
      for (const i of outcome.keep) {
        check(
          isIn(i, 0, count - 1),
          () => `${outcome.kind} keeps op ${i}, but only ${count} are unsynced`,
        );
      }
      const deps = dirOpDependencies(dirOps);
      check(
        isDependenceClosed(deps, outcome.keep),
        () =>
          `${outcome.kind} keeps [${outcome.keep!.join(',')}] without an op one of them depends on`,
      );
      const kept = new Set(outcome.keep);
      return (i) => kept.has(i);
    }
  }
}

/** Entry maps of the directories the kept ops change, others read their durable entries. */
function namespaceOverlay(
  dirOps: readonly DirOp[],
  keep: (index: number) => boolean,
): Map<DirNode, Map<string, SimNode>> {
  const overlay = new Map<DirNode, Map<string, SimNode>>();
  dirOps.forEach((op, i) => {
    if (!keep(i)) return;
    for (const change of op.changes) {
      let entries = overlay.get(change.dir);
      if (entries === undefined) overlay.set(change.dir, (entries = new Map(change.dir.durable)));
      if (change.node === null) entries.delete(change.name);
      else entries.set(change.name, change.node);
    }
  });
  return overlay;
}

function copyTree(
  root: DirNode,
  overlay: Map<DirNode, Map<string, SimNode>>,
  content: ContentOf,
): DirNode {
  return copyDir(root, '/', 0, { overlay, content, onPath: new Set() });
}

interface CopyContext {
  readonly overlay: Map<DirNode, Map<string, SimNode>>;
  readonly content: ContentOf;
  readonly onPath: Set<DirNode>;
}

// A module function, not a closure: one image per crash of a campaign.
function copyDir(src: DirNode, path: string, depth: number, ctx: CopyContext): DirNode {
  if (depth > IMAGE_DEPTH_MAX)
    throw new Error(`walcheck invariant violated: image deeper than ${IMAGE_DEPTH_MAX} at ${path}`);
  ctx.onPath.add(src);
  const dst = newDir();
  for (const [name, node] of ctx.overlay.get(src) ?? src.durable) {
    if (node.kind === 'dir' && ctx.onPath.has(node)) continue; // a directory moved into itself by a reordering
    const at = joinPath(path, name);
    const child =
      node.kind === 'dir' ? copyDir(node, at, depth + 1, ctx) : newFile(ctx.content(node, at));
    dst.entries.set(name, child);
    dst.durable.set(name, child);
  }
  ctx.onPath.delete(src);
  return dst;
}

function contentFor(
  outcome: CrashOutcome,
  named: Set<string>,
  names: ReadonlyMap<FileNode, string>,
): ContentOf {
  switch (outcome.kind) {
    case 'lose-unsynced':
      return durableContent;
    case 'bit-rot':
      return (file, path) => {
        const bits = outcome.flips.filter((f) => f.path === path).map((f) => f.bit);
        if (bits.length === 0) return durableContent(file);
        named.add(path);
        const out = new Uint8Array(durableContent(file)); // a copy (Buffer.slice is a view)
        for (const bit of bits) {
          check(
            isIn(bit, 0, out.length * 8 - 1),
            () => `bit-rot bit ${bit} outside ${path} (${out.length} bytes)`,
          );
          out[bit >>> 3]! ^= 1 << (bit & 7);
        }
        return out;
      };
    case 'keep-prefix':
      return (file) => {
        if (file.pending.length === 0) return durableContent(file);
        return prefixOf(file, names.get(file), outcome.cuts, named);
      };
    case 'tear-sectors':
      return (file) => {
        if (file.pending.length === 0) return durableContent(file);
        const path = names.get(file);
        if (path !== undefined && outcome.cuts?.[path] !== undefined)
          return prefixOf(file, path, outcome.cuts, named);
        if (path !== undefined) named.add(path);
        const old = durableContent(file);
        if (path === undefined) return old; // no volatile name (an unlink that was not kept): lost
        const next = withOps(old, file.pending);
        const length = outcome.lengths[path] ?? old.length;
        const lo = Math.min(old.length, next.length);
        const hi = Math.max(old.length, next.length);
        check(
          isIn(length, lo, hi),
          () => `tear-sectors length ${length} outside [${lo}, ${hi}] for ${path}`,
        );
        const sectors = outcome.sectors[path] ?? [];
        const touched = new Set(touchedSectors(file.durSize, file.pending));
        for (const s of sectors)
          check(
            touched.has(s),
            () => `tear-sectors sector ${s} of ${path} is not changed by unsynced data`,
          );
        return tearContent(old, next, sectors, length);
      };
    case 'reorder-metadata':
      return (file) =>
        file.pending.length === 0
          ? durableContent(file)
          : withOps(durableContent(file), file.pending);
  }
}

/** The first cuts[path] units of a file's unsynced data (none when it has no volatile name). */
function prefixOf(
  file: FileNode,
  path: string | undefined,
  cuts: Record<string, number>,
  named: Set<string>,
): Uint8Array {
  if (path === undefined) return durableContent(file);
  named.add(path);
  const cut = cuts[path] ?? 0;
  const units = pendingUnits(file.pending);
  check(isIn(cut, 0, units), () => `keep-prefix cut ${cut} outside [0, ${units}] for ${path}`);
  return withOps(durableContent(file), file.pending, cut);
}

function outcomePaths(outcome: CrashOutcome): string[] {
  switch (outcome.kind) {
    case 'keep-prefix':
      return Object.keys(outcome.cuts);
    case 'tear-sectors':
      return [
        ...new Set([
          ...Object.keys(outcome.sectors),
          ...Object.keys(outcome.lengths),
          ...Object.keys(outcome.cuts ?? {}),
        ]),
      ];
    case 'bit-rot':
      return [...new Set(outcome.flips.map((f) => f.path))];
    default:
      return [];
  }
}

/** An outcome that does not fit the state is the caller's error: RangeError, never a crash. */
function check(ok: boolean, message: () => string): void {
  if (!ok) throw new RangeError(message());
}

function isIn(n: number, lo: number, hi: number): boolean {
  return Number.isInteger(n) && n >= lo && n <= hi;
}
