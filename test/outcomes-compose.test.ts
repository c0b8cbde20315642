// Crash outcomes compose (model/crash-model.md section 1): a choice for each file's data together
// with a dependence-closed subset of the unsynced directory operations.

import { describe, expect, it } from 'vitest';
import {
  type CrashOutcome,
  countOutcomes,
  describeOutcome,
  dirOpDependencies,
  enumerateOutcomes,
  isDependenceClosed,
  randomOutcome,
} from '../faults/disk/crash-outcome.ts';
import { Rng } from '../faults/base/rng.ts';
import { SimFs } from '../faults/disk/sim-fs.ts';

const SEED = Number(process.env.WALCHECK_SEED ?? 20_261_127);
const bytes = (...values: number[]): Uint8Array => Uint8Array.from(values);

describe('directory op dependence', () => {
  it('a use of a name needs the op that created it; a change in a directory needs its unsynced mkdir', () => {
    const deps = dirOpDependencies([
      { op: 'create', path: '/a' }, // 0
      { op: 'rename', path: '/a', to: '/b' }, // 1: needs 0
      { op: 'mkdir', path: '/d' }, // 2
      { op: 'create', path: '/d/x' }, // 3: needs 2
      { op: 'unlink', path: '/b' }, // 4: needs 1
      { op: 'link', path: '/d/x', to: '/d/y' }, // 5: needs 3 (the name) and 2 (the directory)
      { op: 'create', path: '/a' }, // 6: a new /a, needs nothing
      { op: 'unlink', path: '/a' }, // 7: needs 6, the latest creator
      { op: 'unlink', path: '/durable' }, // 8: a durable name, needs nothing
    ]);
    expect(deps).toEqual([[], [0], [], [2], [1], [2, 3], [], [6], []]);
    expect(isDependenceClosed(deps, [0, 1, 4])).toBe(true);
    expect(isDependenceClosed(deps, [1])).toBe(false);
  });

  it('an rmdir needs the mkdir of its directory and every op that emptied it; it creates nothing', () => {
    const deps = dirOpDependencies([
      { op: 'mkdir', path: '/d' }, // 0
      { op: 'create', path: '/d/x' }, // 1: needs 0
      { op: 'unlink', path: '/d/other' }, // 2: a name we never saw created; needs the mkdir
      { op: 'rename', path: '/d/x', to: '/y' }, // 3: needs 1 and 0
      { op: 'rmdir', path: '/d' }, // 4: needs 0 (the name), 2 and 3 (the emptying)
      { op: 'create', path: '/d' }, // 5: a file named /d, needs nothing of the removed dir
    ]);
    expect(deps).toEqual([[], [0], [0], [0, 1], [0, 2, 3], []]);
    // Kept without the unlink, the rmdir would remove a directory that still had a file.
    expect(isDependenceClosed(deps, [0, 4])).toBe(false);
    expect(isDependenceClosed(deps, [0, 1, 2, 3, 4])).toBe(true);
  });
});

/** A state with a torn-able file renamed into place and an unrelated new file. */
async function renamedSegment(): Promise<SimFs> {
  const fs = new SimFs();
  await fs.mkdir('/db');
  await fs.syncDir('/');
  await fs.syncDir('/db');
  const h = await fs.open('/db/seg.tmp', 'create');
  await h.write(new Uint8Array(1024).fill(7), 0);
  await h.close();
  await fs.rename('/db/seg.tmp', '/db/seg'); // needs the create
  await fs.writeFile('/db/other', bytes(1, 2, 3));
  return fs;
}

describe('the product of data and directory choices', () => {
  it(`randomOutcome samples it: torn or cut files with the rename lost or kept (seed ${SEED})`, async () => {
    const fs = await renamedSegment();
    const rng = new Rng(SEED);
    const seen = new Set<string>();
    for (let i = 0; i < 400; i++) {
      for (const kind of ['keep-prefix', 'tear-sectors', 'reorder-metadata'] as const) {
        const outcome = randomOutcome(fs, kind, rng);
        // crashImage refuses a keep without an op it depends on: every sample is closed.
        const names = [...fs.crashImage(outcome).durableView().keys()].sort().join(',');
        const cut = 'cuts' in outcome && outcome.cuts !== undefined && kind === 'tear-sectors';
        seen.add(`${kind} ${cut ? 'cut+torn' : 'data'} ${names}`);
      }
    }
    // The torn segment under its temporary name: the rename (and so the name) lost.
    expect(seen).toContain('tear-sectors data /db/other,/db/seg.tmp');
    expect(seen).toContain('tear-sectors data /db/other,/db/seg');
    expect(seen).toContain('tear-sectors cut+torn /db/other,/db/seg');
    expect(seen).toContain('keep-prefix data /db/seg.tmp');
    expect(seen).toContain('reorder-metadata data ');
  });

  it('enumerateOutcomes covers every closed subset for every data choice, and countOutcomes says how many', async () => {
    const fs = await renamedSegment();
    // ops: create seg.tmp (0), rename -> seg (1, needs 0), create other (2): closed subsets
    // {0,1,2} {0,1} {0,2} {0} {2} {}: 6.
    expect(countOutcomes(fs, 'reorder-metadata')).toBe(6);
    const tear = enumerateOutcomes(fs, 'tear-sectors');
    expect(tear).toHaveLength(countOutcomes(fs, 'tear-sectors'));
    const keeps = new Set(
      tear.map((o) => JSON.stringify(o.kind === 'tear-sectors' ? (o.keep ?? 'all') : null)),
    );
    expect(keeps.size).toBe(6);
    for (const o of tear) expect(() => fs.crashImage(o)).not.toThrow();
  });

  it('countOutcomes answers 2^n once the closed subsets are too many to walk', async () => {
    const fs = new SimFs();
    for (let i = 0; i < 17; i++) await fs.writeFile(`/f${i}`, bytes(i));
    expect(countOutcomes(fs, 'reorder-metadata')).toBe(2 ** 17);
    expect(enumerateOutcomes(fs, 'reorder-metadata', 10)).toHaveLength(10);
  });

  it('describeOutcome names the kept directory ops and the cut files of a tear', () => {
    const torn: CrashOutcome = {
      kind: 'tear-sectors',
      sectors: { '/db/seg': [1] },
      lengths: { '/db/seg': 1024 },
      cuts: { '/db/other': 2 },
      keep: [0, 2],
    };
    expect(describeOutcome(torn)).toBe(
      'tear-sectors: /db/seg new sectors [1] length 1024; /db/other keeps 2 units; unsynced directory ops kept [0,2]',
    );
  });
});
