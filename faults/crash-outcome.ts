// What a crash leaves of the state that was not yet durable (crash-model.md section 1), as
// plain JSON data so a failing scenario can be printed and replayed.
//
//   lose-unsynced     every unsynced change (data, truncates, directory ops) lost
//   keep-prefix       per file, the first `cuts[path]` units of its unsynced writes and
//                     truncates persist (a unit is a written byte or a truncate; missing = 0);
//                     every unsynced directory op persists
//   tear-sectors      per file, the 512-byte sectors in `sectors[path]` hold new content and the
//                     other sectors old; the file is `lengths[path]` bytes long (between its
//                     durable and new size; missing = durable size), unwritten bytes zeros;
//                     every unsynced directory op persists. The sectors that may be listed are
//                     those the unsynced data changes: covered by a write, or between a
//                     truncate's old and new size (a truncate is a change like a write)
//   reorder-metadata  the unsynced directory ops at the indices in `keep` persist, in issue
//                     order; file data as a successful datasync would leave it now
//   bit-rot           the durable view with the given bits (byte * 8 + bit, bit 0 the least
//                     significant) flipped in durable file data
//
// "New content" is what a successful datasync would make durable now: the volatile view less
// any data a failed datasync dropped (fsyncgate). Paths name files as the image names them:
// the volatile namespace for keep-prefix and tear-sectors, the durable one for bit-rot.
//
// Enumeration order is mixed-radix over files (the first file varying fastest); tear-sectors
// enumerates lengths only at interesting points (both ends, sector boundaries, write ends),
// while randomOutcome may pick any length.

import type { Rng } from './rng.ts';

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
  | { kind: 'keep-prefix'; cuts: Record<string, number> }
  | { kind: 'tear-sectors'; sectors: Record<string, number[]>; lengths: Record<string, number> }
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
  const state = fs.crashState();
  switch (kind) {
    case 'lose-unsynced':
      return { kind };
    case 'keep-prefix': {
      const cuts: Record<string, number> = {};
      for (const f of state.files) cuts[f.path] = rng.int(f.units + 1);
      return { kind, cuts };
    }
    case 'tear-sectors': {
      const sectors: Record<string, number[]> = {};
      const lengths: Record<string, number> = {};
      for (const f of state.files) {
        sectors[f.path] = f.sectors.filter(() => rng.bool());
        const [lo, hi] = lengthRange(f);
        lengths[f.path] = rng.range(lo, hi);
      }
      return { kind, sectors, lengths };
    }
    case 'reorder-metadata':
      return { kind, keep: state.dirOps.map((_, i) => i).filter(() => rng.bool()) };
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
  switch (kind) {
    case 'lose-unsynced':
      return [{ kind }];
    case 'keep-prefix':
      return mixedRadix(
        state.files.map((f) => f.units + 1),
        bound,
      ).map((digits) => {
        const cuts: Record<string, number> = {};
        state.files.forEach((f, i) => (cuts[f.path] = digits[i]!));
        return { kind, cuts };
      });
    case 'tear-sectors': {
      const lengthsByFile = state.files.map(lengthCandidates);
      const radices = state.files.map((f, i) =>
        Math.min(2 ** f.sectors.length * lengthsByFile[i]!.length, bound),
      );
      return mixedRadix(radices, bound).map((digits) => {
        const sectors: Record<string, number[]> = {};
        const lengths: Record<string, number> = {};
        state.files.forEach((f, i) => {
          const subsets = 2 ** f.sectors.length;
          sectors[f.path] = pickSubset(f.sectors, digits[i]! % subsets);
          lengths[f.path] = lengthsByFile[i]![Math.floor(digits[i]! / subsets)]!;
        });
        return { kind, sectors, lengths };
      });
    }
    case 'reorder-metadata': {
      const count = Math.min(2 ** state.dirOps.length, bound);
      const indices = state.dirOps.map((_, i) => i);
      return Array.from({ length: count }, (_, subset) => ({
        kind,
        keep: pickSubset(indices, subset),
      }));
    }
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
  switch (kind) {
    case 'lose-unsynced':
      return 1;
    case 'keep-prefix':
      return state.files.reduce((n, f) => n * (f.units + 1), 1);
    case 'tear-sectors':
      return state.files.reduce(
        (n, f) => n * 2 ** f.sectors.length * lengthCandidates(f).length,
        1,
      );
    case 'reorder-metadata':
      return 2 ** state.dirOps.length;
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
      return `keep-prefix: ${parts.length > 0 ? parts.join('; ') : 'no unsynced data'}; directory ops kept`;
    }
    case 'tear-sectors': {
      const paths = [...new Set([...Object.keys(o.sectors), ...Object.keys(o.lengths)])];
      const parts = paths.map(
        (p) =>
          `${p} new sectors [${(o.sectors[p] ?? []).join(',')}] length ${o.lengths[p] ?? 'durable'}`,
      );
      return `tear-sectors: ${parts.length > 0 ? parts.join('; ') : 'no unsynced data'}; directory ops kept`;
    }
    case 'reorder-metadata':
      return `reorder-metadata: unsynced directory ops kept [${o.keep.join(',')}]`;
    case 'bit-rot':
      if (o.flips.length === 0) return 'bit-rot: no flips';
      return `bit-rot: ${o.flips.map((f) => `${f.path} byte ${Math.floor(f.bit / 8)} bit ${f.bit % 8}`).join('; ')}`;
  }
}
