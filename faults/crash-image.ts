// Builds the directory tree a crash outcome leaves: a fresh tree in which every file and every
// entry is durable. Two choices make an image: which unsynced directory ops persist (the
// namespace) and what each surviving file holds (its content).
//
//   outcome            namespace                          content of a file with unsynced data
//   lose-unsynced      durable entries                    durable
//   bit-rot            durable entries                    durable, bits flipped
//   keep-prefix        durable + every dir op (volatile)  durable + first cuts[path] units
//   tear-sectors       durable + every dir op (volatile)  sectors mixed old/new, lengths[path] long
//   reorder-metadata   durable + dir ops in keep          new (what datasync would make durable)
//
// Images share durable bytes with the source (never written in place, see sim-nodes.ts).

import { pendingUnits, tearContent, touchedSectors, withOps } from './pending-data.ts';
import { childPath, durableContent, newDir, newFile } from './sim-nodes.ts';
import type { CrashOutcome } from './crash-outcome.ts';
import type { DirNode, DirOp, FileNode, SimNode } from './sim-nodes.ts';

/** Deepest directory nesting an image walks; deeper means a cycle or a bug. */
const IMAGE_DEPTH_MAX = 64;

type ContentOf = (file: FileNode, path: string) => Uint8Array;

export function buildImage(
  root: DirNode,
  dirOps: readonly DirOp[],
  outcome: CrashOutcome,
): DirNode {
  const named = new Set<string>();
  const content = contentFor(outcome, named);
  const keep = keptOps(outcome, dirOps.length);
  const image = copyTree(root, namespaceOverlay(dirOps, keep), content);
  const unused = outcomePaths(outcome).filter((p) => !named.has(p));
  check(
    unused.length === 0,
    () => `crash outcome names paths with no unsynced (or durable) file: ${unused.join(', ')}`,
  );
  return image;
}

function keptOps(outcome: CrashOutcome, count: number): (index: number) => boolean {
  switch (outcome.kind) {
    case 'lose-unsynced':
    case 'bit-rot':
      return () => false;
    case 'keep-prefix':
    case 'tear-sectors':
      return () => true;
    case 'reorder-metadata': {
      for (const i of outcome.keep) {
        check(
          isIn(i, 0, count - 1),
          () => `reorder-metadata keeps op ${i}, but only ${count} are unsynced`,
        );
      }
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
  const onPath = new Set<DirNode>();
  const copyDir = (src: DirNode, path: string, depth: number): DirNode => {
    if (depth > IMAGE_DEPTH_MAX)
      throw new Error(
        `walcheck invariant violated: image deeper than ${IMAGE_DEPTH_MAX} at ${path}`,
      );
    onPath.add(src);
    const dst = newDir();
    for (const [name, node] of overlay.get(src) ?? src.durable) {
      if (node.kind === 'dir' && onPath.has(node)) continue; // a directory moved into itself by a reordering
      const at = childPath(path, name);
      const child = node.kind === 'dir' ? copyDir(node, at, depth + 1) : newFile(content(node, at));
      dst.entries.set(name, child);
      dst.durable.set(name, child);
    }
    onPath.delete(src);
    return dst;
  };
  return copyDir(root, '/', 0);
}

function contentFor(outcome: CrashOutcome, named: Set<string>): ContentOf {
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
      return (file, path) => {
        if (file.pending.length === 0) return durableContent(file);
        named.add(path);
        const cut = outcome.cuts[path] ?? 0;
        const units = pendingUnits(file.pending);
        check(
          isIn(cut, 0, units),
          () => `keep-prefix cut ${cut} outside [0, ${units}] for ${path}`,
        );
        return withOps(durableContent(file), file.pending, cut);
      };
    case 'tear-sectors':
      return (file, path) => {
        if (file.pending.length === 0) return durableContent(file);
        named.add(path);
        const old = durableContent(file);
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

function outcomePaths(outcome: CrashOutcome): string[] {
  switch (outcome.kind) {
    case 'keep-prefix':
      return Object.keys(outcome.cuts);
    case 'tear-sectors':
      return [...new Set([...Object.keys(outcome.sectors), ...Object.keys(outcome.lengths)])];
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
