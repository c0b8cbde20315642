// What a crash leaves of the state that was not yet durable (model/crash-model.md section 1), as
// plain JSON data so a failing scenario can be printed and replayed.
//
// Outcomes compose: a crash state is one choice for the file data (per file) together with a
// subset of the unsynced directory operations closed under dependence (an op that uses a name
// or a directory an earlier unsynced op created needs that op: a rename of a file never
// created cannot persist without its create). Each kind below samples and enumerates a part
// of that product; together, no combination is excluded.
//
//   lose-unsynced     every unsynced change (data, truncates, directory ops) lost
//   keep-prefix       per file, the first `cuts[path]` units of its unsynced writes and
//                     truncates persist (a unit is a written byte or a truncate; missing = 0);
//                     the unsynced directory ops at the indices in `keep` persist (missing =
//                     every one)
//   tear-sectors      per file, the 512-byte sectors in `sectors[path]` hold new content and the
//                     other sectors old; the file is `lengths[path]` bytes long (between its
//                     durable and new size; missing = durable size), unwritten bytes zeros;
//                     a file in `cuts` instead keeps a prefix as in keep-prefix; directory ops
//                     as `keep` says (missing = every one). The sectors that may be listed are
//                     those the unsynced data changes: covered by a write, or between a
//                     truncate's old and new size (a truncate is a change like a write)
//   reorder-metadata  the unsynced directory ops at the indices in `keep` persist, in issue
//                     order; file data as a successful datasync would leave it now
//   bit-rot           the durable view with the given bits (byte * 8 + bit, bit 0 the least
//                     significant) flipped in durable file data
//
// "New content" is what a successful datasync would make durable now: the volatile view less
// any data a failed datasync dropped (fsyncgate). Paths name files in the volatile namespace
// for keep-prefix and tear-sectors (a file keeps its data choice under whichever name the kept
// directory ops leave it), the durable one for bit-rot. A file with two names (a link) is
// named by its first name in sorted walk order.
//
// Enumeration order is mixed-radix, the directory subset varying fastest, then the files
// (the first file fastest); directory subsets come from a walk that includes each op when it
// can before excluding it, so the first subset keeps every op. tear-sectors enumerates lengths
// only at interesting points (both ends, sector boundaries, write ends) and tears every file
// (mixing a prefix cut in one file with a tear in another is left to randomOutcome), while
// randomOutcome may pick any length.

import { parentPath } from '../../src/fs/types.ts';
import type { Rng } from '../base/rng.ts';

export type OutcomeKind =
  'lose-unsynced' | 'keep-prefix' | 'tear-sectors' | 'reorder-metadata' | 'bit-rot';

export const OUTCOME_KINDS: readonly OutcomeKind[] = [
  'lose-unsynced',
  'keep-prefix',
  'tear-sectors',
  'reorder-metadata',
  'bit-rot',
];

/** What a campaign allows unless told otherwise: everything but media corruption. */
export const DEFAULT_OUTCOME_KINDS: readonly OutcomeKind[] = [
  'lose-unsynced',
  'keep-prefix',
  'tear-sectors',
  'reorder-metadata',
];

export interface BitFlip {
  path: string;
  bit: number;
}

export type CrashOutcome =
  | { kind: 'lose-unsynced' }
  | { kind: 'keep-prefix'; cuts: Record<string, number>; keep?: number[] }
  | {
      kind: 'tear-sectors';
      sectors: Record<string, number[]>;
      lengths: Record<string, number>;
      cuts?: Record<string, number>;
      keep?: number[];
    }
  | { kind: 'reorder-metadata'; keep: number[] }
  | { kind: 'bit-rot'; flips: BitFlip[] };

/** A file with unsynced data, as named in the volatile namespace. */
export interface UnsyncedFile {
  path: string;
  durableSize: number;
  /** Size a successful datasync would leave now. */
  newSize: number;
  /** keep-prefix units: written bytes plus truncates. */
  units: number;
  /** Sectors the unsynced writes and truncates change, sorted. */
  sectors: number[];
  /** End offsets of the unsynced writes, sorted. */
  writeEnds: number[];
}

export interface UnsyncedDirOp {
  op: 'create' | 'mkdir' | 'rename' | 'unlink' | 'link' | 'rmdir';
  path: string;
  to?: string;
}

/** Everything outcome choice needs to know about a filesystem's unsynced state. */
export interface CrashState {
  files: UnsyncedFile[];
  dirOps: UnsyncedDirOp[];
  /** Files of the durable namespace (bit-rot targets). */
  durableFiles: Array<{ path: string; size: number }>;
}

export interface CrashStateSource {
  crashState(): CrashState;
}

export const ENUMERATE_BOUND_DEFAULT = 4096;

// ---- random choice --------------------------------------------------------------------------

export function randomOutcome(fs: CrashStateSource, kind: OutcomeKind, rng: Rng): CrashOutcome {
  if (kind === 'lose-unsynced') return { kind }; // needs no state: skip building it
  const state = fs.crashState();
  switch (kind) {
    case 'keep-prefix': {
      const cuts: Record<string, number> = {};
      for (const f of state.files) cuts[f.path] = rng.int(f.units + 1);
      return withKeep({ kind, cuts }, randomKeep(state.dirOps, rng));
    }
    case 'tear-sectors': {
      const sectors: Record<string, number[]> = {};
      const lengths: Record<string, number> = {};
      const cuts: Record<string, number> = {};
      for (const f of state.files) {
        // One file in four keeps a prefix instead: torn and cut files in one crash state.
        if (rng.int(4) === 0) {
          cuts[f.path] = rng.int(f.units + 1);
          continue;
        }
        sectors[f.path] = f.sectors.filter(() => rng.bool());
        const [lo, hi] = lengthRange(f);
        lengths[f.path] = rng.range(lo, hi);
      }
      const torn: CrashOutcome = { kind, sectors, lengths };
      if (Object.keys(cuts).length > 0) torn.cuts = cuts;
      return withKeep(torn, randomKeep(state.dirOps, rng));
    }
    case 'reorder-metadata':
      return { kind, keep: randomClosedSubset(dirOpDependencies(state.dirOps), rng) };
    case 'bit-rot': {
      const totalBits = state.durableFiles.reduce((sum, f) => sum + f.size * 8, 0);
      if (totalBits === 0) return { kind, flips: [] };
      let bit = rng.int(totalBits);
      for (const f of state.durableFiles) {
        if (bit < f.size * 8) return { kind, flips: [{ path: f.path, bit }] };
        bit -= f.size * 8;
      }
      throw new Error('walcheck invariant violated: bit-rot pick out of range');
    }
  }
}

/** Half the time every directory op (undefined), else a random dependence-closed subset. */
function randomKeep(ops: readonly UnsyncedDirOp[], rng: Rng): number[] | undefined {
  if (ops.length === 0 || rng.bool()) return undefined;
  return randomClosedSubset(dirOpDependencies(ops), rng);
}

function withKeep<T extends CrashOutcome>(outcome: T, keep: number[] | undefined): T {
  return keep === undefined ? outcome : { ...outcome, keep };
}

/** Each op in issue order joins with chance 1/2 when every op it depends on joined. */
function randomClosedSubset(deps: readonly number[][], rng: Rng): number[] {
  const kept = new Set<number>();
  deps.forEach((needs, i) => {
    if (needs.every((j) => kept.has(j)) && rng.bool()) kept.add(i);
  });
  return [...kept];
}

// ---- directory op dependence ----------------------------------------------------------------

/**
 * For each unsynced directory op, the earlier ones it depends on: the op that last created
 * a name it uses (a rename, link, unlink or rmdir of that name), the op that last created the
 * directory it changes or its parent (an mkdir, or a rename of a directory to that name), and
 * for an rmdir every op that took a name out of that directory (it was empty when removed).
 */
export function dirOpDependencies(ops: readonly UnsyncedDirOp[]): number[][] {
  const creator = new Map<string, number>(); // path -> last op that created it
  const emptiedBy = new Map<string, number[]>(); // dir -> ops that took a name out of it
  return ops.map((op, i) => {
    const needs = new Set<number>();
    const removes = op.op === 'rename' || op.op === 'unlink' || op.op === 'rmdir';
    const uses = removes || op.op === 'link' ? [op.path] : [];
    if (op.op === 'rmdir') for (const j of emptiedBy.get(op.path) ?? []) needs.add(j);
    for (const path of uses) {
      const j = creator.get(path);
      if (j !== undefined) needs.add(j);
    }
    for (const path of [op.path, ...(op.to === undefined ? [] : [op.to])]) {
      for (let dir = parentPath(path); dir !== '/' && dir !== '.'; dir = parentPath(dir)) {
        const j = creator.get(dir);
        if (j !== undefined) needs.add(j);
      }
    }
    const created =
      op.op === 'rename' || op.op === 'link'
        ? op.to
        : op.op === 'unlink' || op.op === 'rmdir'
          ? null
          : op.path;
    if (removes) {
      creator.delete(op.path);
      const dir = parentPath(op.path);
      emptiedBy.set(dir, [...(emptiedBy.get(dir) ?? []), i]);
    }
    if (created !== null && created !== undefined) creator.set(created, i);
    return [...needs].sort((a, b) => a - b);
  });
}

/** Whether `keep` holds, with each op, every op it depends on. */
export function isDependenceClosed(deps: readonly number[][], keep: readonly number[]): boolean {
  const kept = new Set(keep);
  return keep.every((i) => (deps[i] ?? []).every((j) => kept.has(j)));
}

/** Dependence-closed subsets, each op included first then excluded, at most `bound`. */
function closedSubsets(deps: readonly number[][], bound: number): number[][] {
  const out: number[][] = [];
  const kept: number[] = [];
  const keptSet = new Set<number>();
  const walk = (i: number): void => {
    if (out.length >= bound) return;
    if (i === deps.length) {
      out.push([...kept]);
      return;
    }
    if (deps[i]!.every((j) => keptSet.has(j))) {
      kept.push(i);
      keptSet.add(i);
      walk(i + 1);
      kept.pop();
      keptSet.delete(i);
    }
    walk(i + 1);
  };
  walk(0);
  return out;
}

/** Leaves counted by the walk above before it gives up and answers the 2^n upper bound. */
const CLOSED_COUNT_MAX = 1 << 16;

function countClosedSubsets(deps: readonly number[][]): number {
  const found = closedSubsets(deps, CLOSED_COUNT_MAX + 1).length;
  return found <= CLOSED_COUNT_MAX ? found : 2 ** deps.length;
}

// ---- enumeration ----------------------------------------------------------------------------

/** Every variant of `kind`, at most `bound` of them, in a fixed order. */
export function enumerateOutcomes(
  fs: CrashStateSource,
  kind: OutcomeKind,
  bound = ENUMERATE_BOUND_DEFAULT,
): CrashOutcome[] {
  if (!(Number.isSafeInteger(bound) && bound >= 1))
    throw new RangeError(`enumeration bound must be >= 1, got ${bound}`);
  const state = fs.crashState();
  const subsets = (): (number[] | undefined)[] =>
    closedSubsets(dirOpDependencies(state.dirOps), bound).map((keep, i) =>
      i === 0 ? undefined : keep,
    ); // the first keeps every op: written as no `keep`
  switch (kind) {
    case 'lose-unsynced':
      return [{ kind }];
    case 'keep-prefix': {
      const keeps = subsets();
      return mixedRadix([keeps.length, ...state.files.map((f) => f.units + 1)], bound).map(
        ([k, ...digits]) => {
          const cuts: Record<string, number> = {};
          state.files.forEach((f, i) => (cuts[f.path] = digits[i]!));
          return withKeep({ kind, cuts }, keeps[k!]);
        },
      );
    }
    case 'tear-sectors': {
      const keeps = subsets();
      const lengthsByFile = state.files.map(lengthCandidates);
      const radices = state.files.map((f, i) =>
        Math.min(2 ** f.sectors.length * lengthsByFile[i]!.length, bound),
      );
      return mixedRadix([keeps.length, ...radices], bound).map(([k, ...digits]) => {
        const sectors: Record<string, number[]> = {};
        const lengths: Record<string, number> = {};
        state.files.forEach((f, i) => {
          const subsets = 2 ** f.sectors.length;
          sectors[f.path] = pickSubset(f.sectors, digits[i]! % subsets);
          lengths[f.path] = lengthsByFile[i]![Math.floor(digits[i]! / subsets)]!;
        });
        return withKeep({ kind, sectors, lengths }, keeps[k!]);
      });
    }
    case 'reorder-metadata':
      return closedSubsets(dirOpDependencies(state.dirOps), bound).map((keep) => ({
        kind,
        keep,
      }));
    case 'bit-rot': {
      const out: CrashOutcome[] = [];
      for (const f of state.durableFiles) {
        for (let bit = 0; bit < f.size * 8 && out.length < bound; bit++)
          out.push({ kind, flips: [{ path: f.path, bit }] });
      }
      return out;
    }
  }
}

/** How many variants `enumerateOutcomes` would walk without a bound (can exceed 2^53, or be Infinity). */
export function countOutcomes(fs: CrashStateSource, kind: OutcomeKind): number {
  const state = fs.crashState();
  const subsets = (): number => countClosedSubsets(dirOpDependencies(state.dirOps));
  switch (kind) {
    case 'lose-unsynced':
      return 1;
    case 'keep-prefix':
      return state.files.reduce((n, f) => n * (f.units + 1), subsets());
    case 'tear-sectors':
      return state.files.reduce(
        (n, f) => n * 2 ** f.sectors.length * lengthCandidates(f).length,
        subsets(),
      );
    case 'reorder-metadata':
      return subsets();
    case 'bit-rot':
      return state.durableFiles.reduce((n, f) => n + f.size * 8, 0);
  }
}

function lengthRange(f: UnsyncedFile): [number, number] {
  return [Math.min(f.durableSize, f.newSize), Math.max(f.durableSize, f.newSize)];
}

/** Both ends of the length range, the sector boundaries and write ends inside it. */
function lengthCandidates(f: UnsyncedFile): number[] {
  const [lo, hi] = lengthRange(f);
  const out = new Set<number>([lo, hi]);
  for (const end of f.writeEnds) if (end > lo && end < hi) out.add(end);
  const sectorBytes = 512;
  for (let b = (Math.floor(lo / sectorBytes) + 1) * sectorBytes; b < hi; b += sectorBytes)
    out.add(b);
  return [...out].sort((x, y) => x - y);
}

/** Digit vectors 0, 1, 2, ... in mixed radix (first digit fastest), at most `bound`. */
function mixedRadix(radices: readonly number[], bound: number): number[][] {
  const out: number[][] = [];
  const digits = radices.map(() => 0);
  for (;;) {
    out.push([...digits]);
    if (out.length >= bound) return out;
    let i = 0;
    while (i < digits.length) {
      digits[i]! += 1;
      if (digits[i]! < radices[i]!) break;
      digits[i] = 0;
      i++;
    }
    if (i === digits.length) return out;
  }
}

/** The items whose bit is set in `subset` (item 0 = least significant bit). */
function pickSubset<T>(items: readonly T[], subset: number): T[] {
  return items.filter((_, i) => Math.floor(subset / 2 ** i) % 2 === 1);
}

// ---- description ----------------------------------------------------------------------------

export function describeOutcome(o: CrashOutcome): string {
  switch (o.kind) {
    case 'lose-unsynced':
      return 'lose-unsynced: every unsynced change lost';
    case 'keep-prefix': {
      const parts = Object.entries(o.cuts).map(([path, cut]) => `${path} keeps ${cut} units`);
      return `keep-prefix: ${parts.length > 0 ? parts.join('; ') : 'no unsynced data'}; ${describeKeep(o.keep)}`;
    }
    case 'tear-sectors': {
      const paths = [...new Set([...Object.keys(o.sectors), ...Object.keys(o.lengths)])];
      const parts = paths.map(
        (p) =>
          `${p} new sectors [${(o.sectors[p] ?? []).join(',')}] length ${o.lengths[p] ?? 'durable'}`,
      );
      for (const [path, cut] of Object.entries(o.cuts ?? {}))
        parts.push(`${path} keeps ${cut} units`);
      return `tear-sectors: ${parts.length > 0 ? parts.join('; ') : 'no unsynced data'}; ${describeKeep(o.keep)}`;
    }
    case 'reorder-metadata':
      return `reorder-metadata: unsynced directory ops kept [${o.keep.join(',')}]`;
    case 'bit-rot':
      if (o.flips.length === 0) return 'bit-rot: no flips';
      return `bit-rot: ${o.flips.map((f) => `${f.path} byte ${Math.floor(f.bit / 8)} bit ${f.bit % 8}`).join('; ')}`;
  }
}

function describeKeep(keep: readonly number[] | undefined): string {
  return keep === undefined
    ? 'directory ops kept'
    : `unsynced directory ops kept [${keep.join(',')}]`;
}
