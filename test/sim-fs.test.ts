// The simulated filesystem (faults/disk/sim-fs.ts) against model/crash-model.md section 1: the volatile
// view behaves like POSIX, every crash outcome leaves what the table says, directory entries
// are durable only after syncDir (pessimistic), rename/unlink durability follows the inode,
// injected failures (fsyncgate included), crash points, determinism and enumeration counts.

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  countOutcomes,
  describeOutcome,
  enumerateOutcomes,
  randomOutcome,
} from '../faults/disk/crash-outcome.ts';
import type { CrashOutcome, OutcomeKind } from '../faults/disk/crash-outcome.ts';
import { validateFaultPlan } from '../faults/disk/fault-plan.ts';
import type { FaultPlan } from '../faults/disk/fault-plan.ts';
import { Rng } from '../faults/base/rng.ts';
import { SimCrashError, SimFs } from '../faults/disk/sim-fs.ts';
import type { SimFsOptions } from '../faults/disk/sim-fs.ts';

const SEED = Number(process.env.WALCHECK_SEED ?? 20_240_612);
const NUM_RUNS = 300;

const bytes = (...xs: number[]): Uint8Array => Uint8Array.from(xs);
const filled = (n: number, v: number): Uint8Array => new Uint8Array(n).fill(v);

/** path -> array of numbers, for readable equality. */
function view(map: ReadonlyMap<string, Uint8Array>): Record<string, number[]> {
  return Object.fromEntries([...map].map(([p, b]) => [p, [...b]]));
}

function imageOf(fs: SimFs, outcome: CrashOutcome): Record<string, number[]> {
  return view(fs.crashImage(outcome).volatileView());
}

const LOSE: CrashOutcome = { kind: 'lose-unsynced' };

async function code(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (err) {
    return (err as { code: string }).code;
  }
  return 'OK';
}

/** /db exists and is durable. */
async function withDb(options: SimFsOptions = {}): Promise<SimFs> {
  const fs = new SimFs(options);
  await fs.mkdir('/db');
  await fs.syncDir('/');
  return fs;
}

async function durableFile(fs: SimFs, path: string, data: Uint8Array): Promise<void> {
  const h = await fs.open(path, 'create');
  await h.write(data, 0);
  await h.datasync();
  await h.close();
  await fs.syncDir(path.slice(0, path.lastIndexOf('/')) || '/');
}

describe('volatile view behaves like POSIX', () => {
  it('opens, reads, writes, truncates and sizes files', async () => {
    const fs = await withDb();
    expect(await code(fs.open('/db/a', 'read'))).toBe('ENOENT');
    expect(await code(fs.open('/db/a', 'write'))).toBe('ENOENT');
    const h = await fs.open('/db/a', 'create');
    expect(await h.write(bytes(1, 2, 3), 0)).toBe(3);
    expect(await h.write(bytes(9), 5)).toBe(1); // a gap reads as zeros
    expect(await h.size()).toBe(6);
    const buf = new Uint8Array(8);
    expect(await h.read(buf, 1, 7, 0)).toBe(6);
    expect([...buf]).toEqual([0, 1, 2, 3, 0, 0, 9, 0]);
    expect(await h.read(buf, 0, 4, 6)).toBe(0); // at EOF
    await h.truncate(2);
    expect(await h.size()).toBe(2);
    await h.truncate(4);
    expect([...(await fs.readFile('/db/a'))]).toEqual([1, 2, 0, 0]);
    const ro = await fs.open('/db/a', 'read');
    expect(await code(ro.write(bytes(1), 0))).toBe('EBADF');
    expect(await code(ro.truncate(0))).toBe('EINVAL'); // Linux's ftruncate on a read-only fd
    await h.close();
    expect(await code(h.write(bytes(1), 0))).toBe('EBADF');
    expect(await code(h.close())).toBe('OK'); // a second close does nothing, as in node:fs
    expect(await fs.stat('/db/a')).toEqual({ size: 4, isDirectory: false });
    expect(await fs.stat('/db')).toEqual({ size: 0, isDirectory: true });
  });

  it('fails like node:fs on wrong kinds and missing paths', async () => {
    const fs = await withDb();
    await fs.writeFile('/db/f', bytes(1));
    expect(await code(fs.open('/db', 'read'))).toBe('EISDIR');
    expect(await code(fs.readFile('/db'))).toBe('EISDIR');
    expect(await code(fs.writeFile('/db', bytes(1)))).toBe('EISDIR');
    expect(await code(fs.list('/db/f'))).toBe('ENOTDIR');
    expect(await code(fs.list('/nope'))).toBe('ENOENT');
    expect(await code(fs.open('/nope/x', 'create'))).toBe('ENOENT');
    expect(await code(fs.open('/db/f/x', 'create'))).toBe('ENOTDIR');
    expect(await code(fs.mkdir('/db/f'))).toBe('EEXIST');
    expect(await code(fs.mkdir('/db/f/g'))).toBe('ENOTDIR');
    expect(await code(fs.unlink('/db'))).toBe('EISDIR');
    expect(await code(fs.unlink('/db/nope'))).toBe('ENOENT');
    expect(await code(fs.rename('/db/nope', '/db/x'))).toBe('ENOENT');
    await fs.mkdir('/db/sub/deeper');
    await fs.writeFile('/db/sub/deeper/x', bytes(1));
    expect(await code(fs.rename('/db/f', '/db/sub'))).toBe('EISDIR');
    expect(await code(fs.rename('/db/sub', '/db/f'))).toBe('ENOTDIR');
    expect(await code(fs.rename('/db/sub', '/db/sub/deeper/in'))).toBe('EINVAL');
    await fs.mkdir('/db/empty');
    expect(await code(fs.rename('/db/sub', '/db/empty'))).toBe('OK'); // over an empty directory
    expect(await fs.list('/db/empty/deeper')).toEqual(['x']);
    expect(await fs.stat('/db/missing')).toBeNull();
    expect(await fs.stat('/db/f/under-a-file')).toBeNull();
    expect(await code(fs.syncDir('/db/f'))).toBe('ENOTDIR');
  });

  it('errors are node:fs-like, without stack frames, and leave Error.stackTraceLimit alone', async () => {
    const fs = await withDb();
    const limit = Error.stackTraceLimit;
    const error = await fs.unlink('/db/nope').then(
      () => null,
      (e: unknown) => e as NodeJS.ErrnoException,
    );
    expect(error).toMatchObject({ code: 'ENOENT', syscall: 'unlink', path: '/db/nope' });
    expect(error?.message).toBe("ENOENT: no such file or directory, unlink '/db/nope'");
    expect(error?.stack).toBe(`Error: ${error?.message}`); // as node:fs's async errors: no frames
    fs.crashNow();
    const crashed = await fs.stat('/db').catch((e: unknown) => e);
    expect(crashed).toBeInstanceOf(SimCrashError);
    expect((crashed as SimCrashError).stack).toBe(
      "SimCrashError: ECRASHED: simulated crash, stat '/db'",
    );
    expect(Error.stackTraceLimit).toBe(limit);
  });

  it('lists sorted, makes parents, normalizes paths simply', async () => {
    const fs = new SimFs();
    await fs.mkdir('db//x/y/');
    await fs.mkdir('/db/x/y'); // exists: no error
    for (const name of ['c', 'a', 'b']) await fs.writeFile(`/db/${name}`, bytes());
    expect(await fs.list('/db')).toEqual(['a', 'b', 'c', 'x']);
    expect(await fs.list('./db/x/../x')).toEqual(['y']);
    expect(fs.trace.map((e) => e.path)).toContain('/db/x/y');
  });

  it('holds an exclusive lock per directory until released', async () => {
    const fs = await withDb();
    const lock = await fs.lock('/db');
    expect(await code(fs.lock('/db'))).toBe('ELOCKED');
    expect(await code(fs.lock('/nope'))).toBe('ENOENT');
    await lock.release();
    const again = await fs.lock('/db/');
    await lock.release(); // a stale release must not free the new holder's lock
    expect(await code(fs.lock('/db'))).toBe('ELOCKED');
    await again.release();
    await fs.lock('/db');
    expect(await code(fs.crashImage(LOSE).lock('/db'))).toBe('OK'); // an image has no locks
  });
});

describe('persistence: lose-unsynced and directory durability', () => {
  it('keeps synced data and loses unsynced data', async () => {
    const fs = await withDb();
    await durableFile(fs, '/db/a', bytes(1, 2));
    const h = await fs.open('/db/a', 'write');
    await h.write(bytes(3, 4), 2);
    expect(view(fs.volatileView())).toEqual({ '/db/a': [1, 2, 3, 4] });
    expect(view(fs.durableView())).toEqual({ '/db/a': [1, 2] });
    expect(imageOf(fs, LOSE)).toEqual({ '/db/a': [1, 2] });
  });

  it('drops a created and datasynced file whose directory was never synced (pessimistic names)', async () => {
    const fs = await withDb();
    const h = await fs.open('/db/new', 'create');
    await h.write(bytes(7), 0);
    await h.datasync();
    expect(imageOf(fs, LOSE)).toEqual({});
    expect(view(fs.durableView())).toEqual({});
    await fs.syncDir('/db');
    expect(imageOf(fs, LOSE)).toEqual({ '/db/new': [7] });
  });

  it('keeps a synced name with no data when only the directory was synced', async () => {
    const fs = await withDb();
    const h = await fs.open('/db/new', 'create');
    await h.write(bytes(7), 0);
    await fs.syncDir('/db');
    expect(imageOf(fs, LOSE)).toEqual({ '/db/new': [] });
  });

  it('drops a whole new directory whose parent was not synced', async () => {
    const fs = new SimFs();
    await fs.mkdir('/db');
    await durableFile(fs, '/db/a', bytes(1)); // syncs /db, not /
    expect(imageOf(fs, LOSE)).toEqual({});
  });

  it('renames become durable with the directory; durable data follows the inode', async () => {
    const fs = await withDb();
    await durableFile(fs, '/db/tmp', bytes(1));
    const h = await fs.open('/db/tmp', 'write');
    await fs.rename('/db/tmp', '/db/final');
    await h.write(bytes(2), 1);
    await h.datasync(); // the inode's data, now named /db/final in the volatile view
    expect(imageOf(fs, LOSE)).toEqual({ '/db/tmp': [1, 2] });
    await fs.syncDir('/db');
    expect(imageOf(fs, LOSE)).toEqual({ '/db/final': [1, 2] });
  });

  it('an unlink that is not durable brings the file back with its durable content', async () => {
    const fs = await withDb();
    await durableFile(fs, '/db/a', bytes(1));
    const h = await fs.open('/db/a', 'write');
    await h.write(bytes(5, 5), 0); // unsynced
    await fs.unlink('/db/a');
    expect(await fs.list('/db')).toEqual([]);
    expect(imageOf(fs, LOSE)).toEqual({ '/db/a': [1] });
    await fs.syncDir('/db');
    expect(imageOf(fs, LOSE)).toEqual({});
  });

  it('a cross-directory rename synced on one side only leaves both names or neither', async () => {
    const fs = new SimFs();
    await fs.mkdir('/a');
    await fs.mkdir('/b');
    await fs.syncDir('/');
    await durableFile(fs, '/a/f', bytes(1));
    await fs.rename('/a/f', '/b/f');
    await fs.syncDir('/b');
    expect(imageOf(fs, LOSE)).toEqual({ '/a/f': [1], '/b/f': [1] });
    const other = new SimFs();
    await other.mkdir('/a');
    await other.mkdir('/b');
    await other.syncDir('/');
    await durableFile(other, '/a/f', bytes(1));
    await other.rename('/a/f', '/b/f');
    await other.syncDir('/a');
    expect(imageOf(other, LOSE)).toEqual({});
  });

  it('writeFile over an existing file truncates the same inode, unsynced', async () => {
    const fs = await withDb();
    await durableFile(fs, '/db/m', bytes(1, 1, 1));
    await fs.writeFile('/db/m', bytes(2));
    expect(imageOf(fs, LOSE)).toEqual({ '/db/m': [1, 1, 1] });
    const cuts = enumerateOutcomes(fs, 'keep-prefix').map((o) => imageOf(fs, o)['/db/m']);
    expect(cuts).toEqual([[1, 1, 1], [], [2]]); // the truncate is one unit, the byte another
  });

  it('loses an unsynced truncate', async () => {
    const fs = await withDb();
    await durableFile(fs, '/db/a', bytes(1, 2, 3));
    const h = await fs.open('/db/a', 'write');
    await h.truncate(1);
    expect(imageOf(fs, LOSE)).toEqual({ '/db/a': [1, 2, 3] });
    await h.datasync();
    expect(imageOf(fs, LOSE)).toEqual({ '/db/a': [1] });
  });

  it('durableView equals what a lose-unsynced image holds', async () => {
    const fs = await withDb();
    await durableFile(fs, '/db/a', bytes(1, 2));
    await fs.writeFile('/db/b', bytes(3));
    expect(view(fs.durableView())).toEqual(imageOf(fs, LOSE));
  });

  it('a crash image is wholly durable, unlocked, untraced and independent of its source', async () => {
    const fs = await withDb();
    await durableFile(fs, '/db/a', bytes(1, 2));
    await fs.lock('/db'); // LOCK linked, its content never synced: an empty LOCK in the image
    const h = await fs.open('/db/a', 'write');
    await h.write(bytes(9), 2);
    const image = fs.crashImage({ kind: 'keep-prefix', cuts: { '/db/a': 1 } });
    expect(image.trace).toEqual([]);
    expect(view(image.durableView())).toEqual(view(image.volatileView()));
    expect(imageOf(image, LOSE)).toEqual({ '/db/LOCK': [], '/db/a': [1, 2, 9] });
    expect(await code(image.lock('/db'))).toBe('OK'); // the empty LOCK's owner died with the crash
    const ih = await image.open('/db/a', 'write');
    await ih.write(bytes(7), 0);
    await ih.datasync();
    expect(view(fs.volatileView())['/db/a']).toEqual([1, 2, 9]); // source untouched
    expect(view(fs.durableView())).toEqual({ '/db/a': [1, 2] });
    await h.write(bytes(8), 0);
    await h.datasync();
    expect(view(image.durableView())['/db/a']).toEqual([7, 2, 9]); // image untouched
  });

  it('views of durable data never change: images and durableView share bytes safely', async () => {
    const fs = await withDb();
    await durableFile(fs, '/db/a', bytes(1, 2, 3));
    const image = fs.crashImage(LOSE); // shares the durable bytes
    const seen = fs.durableView().get('/db/a')!;
    const h = await fs.open('/db/a', 'write');
    await h.write(bytes(9), 0); // an overwrite: must not touch shared bytes
    await h.write(bytes(4), 3); // an append: may go in place, past every view
    await h.datasync();
    expect([...seen]).toEqual([1, 2, 3]);
    expect(view(image.volatileView())).toEqual({ '/db/a': [1, 2, 3] });
    expect(view(fs.durableView())).toEqual({ '/db/a': [9, 2, 3, 4] });
    const ih = await image.open('/db/a', 'write');
    await ih.write(bytes(5), 3);
    await ih.datasync();
    expect(view(fs.durableView())).toEqual({ '/db/a': [9, 2, 3, 4] });
    expect(view(image.durableView())).toEqual({ '/db/a': [1, 2, 3, 5] });
  });

  it('views, crash states and images follow every name change (their file lists are kept between)', async () => {
    const fs = await withDb();
    const names = (): string[][] => [
      [...fs.volatileView().keys()],
      [...fs.durableView().keys()],
      fs.crashState().files.map((f) => f.path),
    ];
    await fs.writeFile('/db/b', bytes(1));
    expect(names()).toEqual([['/db/b'], [], ['/db/b']]);
    expect(names()).toEqual([['/db/b'], [], ['/db/b']]); // asked again, nothing changed
    await fs.link('/db/b', '/db/a');
    expect(names()).toEqual([['/db/a', '/db/b'], [], ['/db/a']]); // a link: first name sorted
    await fs.syncDir('/db');
    expect(names()).toEqual([['/db/a', '/db/b'], ['/db/a', '/db/b'], ['/db/a']]);
    await fs.rename('/db/b', '/db/c');
    await fs.unlink('/db/a');
    expect(names()).toEqual([['/db/c'], ['/db/a', '/db/b'], ['/db/c']]);
    expect(Object.keys(imageOf(fs, LOSE))).toEqual(['/db/a', '/db/b']);
    expect(Object.keys(imageOf(fs, { kind: 'reorder-metadata', keep: [0, 1] }))).toEqual(['/db/c']);
    await fs.syncAll();
    expect(names()).toEqual([['/db/c'], ['/db/c'], []]);
  });

  it('fromFiles builds a wholly durable filesystem from a map of files', async () => {
    const src = { '/db/a': bytes(1), 'db/sub/b': bytes(2, 3) };
    const fs = SimFs.fromFiles(src);
    src['/db/a'][0] = 7; // copied, not shared
    expect(view(fs.durableView())).toEqual({ '/db/a': [1], '/db/sub/b': [2, 3] });
    expect(view(fs.volatileView())).toEqual(view(fs.durableView()));
    expect(await fs.list('/db')).toEqual(['a', 'sub']);
    expect(fs.crashState()).toMatchObject({ files: [], dirOps: [] });
  });
});

describe('crash outcomes', () => {
  it('keep-prefix keeps unsynced writes as a prefix in issue order, cut at any byte', async () => {
    const fs = await withDb();
    await durableFile(fs, '/db/a', bytes(1));
    const h = await fs.open('/db/a', 'write');
    await h.write(bytes(2, 3), 1);
    await h.write(bytes(4, 5, 6), 3);
    await h.write(bytes(9), 0); // an overwrite, last in issue order
    const outcomes = enumerateOutcomes(fs, 'keep-prefix');
    expect(outcomes).toHaveLength(7);
    expect(countOutcomes(fs, 'keep-prefix')).toBe(7);
    expect(outcomes.map((o) => imageOf(fs, o)['/db/a'])).toEqual([
      [1],
      [1, 2],
      [1, 2, 3],
      [1, 2, 3, 4],
      [1, 2, 3, 4, 5],
      [1, 2, 3, 4, 5, 6],
      [9, 2, 3, 4, 5, 6],
    ]);
    expect(describeOutcome(outcomes[3]!)).toBe(
      'keep-prefix: /db/a keeps 3 units; directory ops kept',
    );
  });

  it('keep-prefix enumerates the product of every file cut and every dependence-closed subset of directory ops', async () => {
    const fs = await withDb();
    await fs.writeFile('/db/a', bytes(1, 2)); // 3 variants (cut 0..2), an unsynced name
    await fs.writeFile('/db/b', bytes(3, 4, 5)); // 4 variants, another unsynced name
    expect(countOutcomes(fs, 'keep-prefix')).toBe(12 * 4); // cuts x subsets of two creates
    const all = enumerateOutcomes(fs, 'keep-prefix');
    expect(all).toHaveLength(48);
    expect(new Set(all.map((o) => JSON.stringify(o))).size).toBe(48);
    expect(all[0]).toEqual({ kind: 'keep-prefix', cuts: { '/db/a': 0, '/db/b': 0 } }); // every op kept
    expect(enumerateOutcomes(fs, 'keep-prefix', 5)).toHaveLength(5);
    expect(imageOf(fs, { kind: 'keep-prefix', cuts: { '/db/a': 1, '/db/b': 0 } })).toEqual({
      '/db/a': [1],
      '/db/b': [],
    });
    const lostName = { kind: 'keep-prefix' as const, cuts: { '/db/a': 2, '/db/b': 3 }, keep: [1] };
    expect(imageOf(fs, lostName)).toEqual({ '/db/b': [3, 4, 5] }); // a's data kept, its name lost
    expect(describeOutcome(lostName)).toBe(
      'keep-prefix: /db/a keeps 2 units; /db/b keeps 3 units; unsynced directory ops kept [1]',
    );
  });

  it('a torn file whose new name was lost: tear-sectors with a subset of directory ops, the data found by the file, not its name', async () => {
    const fs = await withDb();
    await durableFile(fs, '/db/a.tmp', filled(1024, 0xaa));
    const h = await fs.open('/db/a.tmp', 'write');
    await h.write(filled(1024, 0xbb), 0);
    await fs.rename('/db/a.tmp', '/db/a'); // op 0, unsynced; the data under its new name
    const torn = {
      kind: 'tear-sectors' as const,
      sectors: { '/db/a': [1] },
      lengths: { '/db/a': 1024 },
    };
    const renamed = imageOf(fs, torn);
    const lost = imageOf(fs, { ...torn, keep: [] });
    expect(Object.keys(renamed)).toEqual(['/db/a']);
    expect(Object.keys(lost)).toEqual(['/db/a.tmp']);
    for (const content of [renamed['/db/a']!, lost['/db/a.tmp']!]) {
      expect(content.slice(0, 512).every((b) => b === 0xaa)).toBe(true); // sector 0 old
      expect(content.slice(512).every((b) => b === 0xbb)).toBe(true); // sector 1 new
    }
    const all = enumerateOutcomes(fs, 'tear-sectors');
    expect(all.some((o) => o.kind === 'tear-sectors' && o.keep?.length === 0)).toBe(true);
    expect(countOutcomes(fs, 'tear-sectors')).toBe(all.length);
  });

  it('tear-sectors mixes old and new 512-byte sectors and any length in between, zeros past the data', async () => {
    const fs = await withDb();
    await durableFile(fs, '/db/a', filled(1024, 0xaa));
    const h = await fs.open('/db/a', 'write');
    await h.write(filled(800, 0xbb), 500); // sectors 0, 1, 2; extends to 1300
    const state = fs.crashState();
    expect(state.files).toEqual([
      {
        path: '/db/a',
        durableSize: 1024,
        newSize: 1300,
        units: 800,
        sectors: [0, 1, 2],
        writeEnds: [1300],
      },
    ]);

    const a = fs
      .crashImage({ kind: 'tear-sectors', sectors: { '/db/a': [1] }, lengths: { '/db/a': 1100 } })
      .volatileView()
      .get('/db/a')!;
    expect(a.length).toBe(1100);
    expect(a.subarray(0, 512).every((b) => b === 0xaa)).toBe(true);
    expect(a.subarray(512, 1024).every((b) => b === 0xbb)).toBe(true);
    expect(a.subarray(1024).every((b) => b === 0)).toBe(true); // sector 2 old: past the old end

    const b = fs
      .crashImage({
        kind: 'tear-sectors',
        sectors: { '/db/a': [0, 2] },
        lengths: { '/db/a': 1300 },
      })
      .volatileView()
      .get('/db/a')!;
    expect(b.subarray(0, 500).every((x) => x === 0xaa)).toBe(true);
    expect(b.subarray(500, 512).every((x) => x === 0xbb)).toBe(true);
    expect(b.subarray(512, 1024).every((x) => x === 0xaa)).toBe(true);
    expect(b.subarray(1024, 1300).every((x) => x === 0xbb)).toBe(true);

    // 2^3 sector subsets x lengths {1024, 1300} (no sector boundary strictly inside)
    expect(countOutcomes(fs, 'tear-sectors')).toBe(16);
    const all = enumerateOutcomes(fs, 'tear-sectors');
    expect(all).toHaveLength(16);
    expect(new Set(all.map((o) => JSON.stringify(o))).size).toBe(16);
    expect(enumerateOutcomes(fs, 'tear-sectors', 3)).toHaveLength(3);
    const rng = new Rng(SEED);
    for (let i = 0; i < 20; i++) {
      const o = randomOutcome(fs, 'tear-sectors', rng);
      const len = fs.crashImage(o).volatileView().get('/db/a')!.length;
      expect(len).toBeGreaterThanOrEqual(1024);
      expect(len).toBeLessThanOrEqual(1300);
    }
  });

  it('tear-sectors counts the sectors a truncate changes as touched', async () => {
    const fs = await withDb();
    await durableFile(fs, '/db/a', filled(600, 1));
    const h = await fs.open('/db/a', 'write');
    await h.truncate(0);
    await h.write(bytes(7), 512); // new content: 512 zeros, then 7
    expect(fs.crashState().files[0]).toMatchObject({
      sectors: [0, 1],
      durableSize: 600,
      newSize: 513,
    });
    const allNew = imageOf(fs, {
      kind: 'tear-sectors',
      sectors: { '/db/a': [0, 1] },
      lengths: { '/db/a': 513 },
    });
    expect(allNew).toEqual(view(fs.volatileView()));
    const oldFirst = imageOf(fs, {
      kind: 'tear-sectors',
      sectors: { '/db/a': [1] },
      lengths: { '/db/a': 513 },
    })['/db/a']!;
    expect(oldFirst.slice(0, 512).every((b) => b === 1)).toBe(true); // the truncate's zeros never reached sector 0
    expect(oldFirst[512]).toBe(7);
  });

  it('tear-sectors enumerates sector boundaries and write ends as lengths', async () => {
    const fs = await withDb();
    const h = await fs.open('/db/a', 'create');
    await fs.syncDir('/db');
    await h.write(filled(300, 1), 0);
    await h.write(filled(900, 2), 300); // new file: lengths 0..1200; sectors 0,1,2
    // lengths: 0, 300 (write end), 512, 1024, 1200
    expect(countOutcomes(fs, 'tear-sectors')).toBe(8 * 5);
    const lengths = new Set(
      enumerateOutcomes(fs, 'tear-sectors').map((o) =>
        o.kind === 'tear-sectors' ? (o.lengths['/db/a'] ?? -1) : -1,
      ),
    );
    expect([...lengths].sort((x, y) => x - y)).toEqual([0, 300, 512, 1024, 1200]);
  });

  it('reorder-metadata keeps any dependence-closed subset of unsynced directory ops, in issue order, with new data', async () => {
    const fs = await withDb();
    await fs.writeFile('/db/a', bytes(1)); // op 0: create a
    await fs.writeFile('/db/b', bytes(2)); // op 1: create b
    await fs.rename('/db/a', '/db/c'); // op 2: rename a -> c (needs op 0)
    expect(fs.crashState().dirOps).toEqual([
      { op: 'create', path: '/db/a' },
      { op: 'create', path: '/db/b' },
      { op: 'rename', path: '/db/a', to: '/db/c' },
    ]);
    const all = enumerateOutcomes(fs, 'reorder-metadata');
    expect(all.map((o) => (o.kind === 'reorder-metadata' ? o.keep : null))).toEqual([
      [0, 1, 2],
      [0, 1],
      [0, 2],
      [0],
      [1],
      [],
    ]);
    expect(countOutcomes(fs, 'reorder-metadata')).toBe(6);
    expect(imageOf(fs, { kind: 'reorder-metadata', keep: [] })).toEqual({});
    expect(imageOf(fs, { kind: 'reorder-metadata', keep: [1] })).toEqual({ '/db/b': [2] });
    expect(imageOf(fs, { kind: 'reorder-metadata', keep: [0] })).toEqual({ '/db/a': [1] });
    expect(imageOf(fs, { kind: 'reorder-metadata', keep: [0, 2] })).toEqual({ '/db/c': [1] });
    expect(imageOf(fs, { kind: 'reorder-metadata', keep: [0, 1, 2] })).toEqual(
      view(fs.volatileView()),
    );
    // A rename of a file whose create was lost is no crash state.
    expect(() => fs.crashImage({ kind: 'reorder-metadata', keep: [2] })).toThrow(RangeError);
    expect(enumerateOutcomes(fs, 'reorder-metadata', 3)).toHaveLength(3);
    const rng = new Rng(SEED);
    for (let i = 0; i < 50; i++) {
      const o = randomOutcome(fs, 'reorder-metadata', rng);
      expect(() => fs.crashImage(o)).not.toThrow();
    }
  });

  it("syncDir removes only that directory's part of a cross-directory rename from the unsynced ops", async () => {
    const fs = new SimFs();
    await fs.mkdir('/a');
    await fs.mkdir('/b');
    await fs.syncDir('/');
    await durableFile(fs, '/a/f', bytes(1));
    await fs.rename('/a/f', '/b/g');
    await fs.syncDir('/b');
    expect(fs.crashState().dirOps).toEqual([{ op: 'rename', path: '/a/f', to: '/b/g' }]);
    expect(imageOf(fs, { kind: 'reorder-metadata', keep: [0] })).toEqual({ '/b/g': [1] });
    expect(imageOf(fs, { kind: 'reorder-metadata', keep: [] })).toEqual({
      '/a/f': [1],
      '/b/g': [1],
    });
  });

  it('bit-rot flips the given bits of durable data only', async () => {
    const fs = await withDb();
    await durableFile(fs, '/db/a', bytes(0, 0xff));
    await fs.writeFile('/db/unsynced', bytes(1));
    expect(
      imageOf(fs, {
        kind: 'bit-rot',
        flips: [
          { path: '/db/a', bit: 0 },
          { path: '/db/a', bit: 15 },
        ],
      }),
    ).toEqual({ '/db/a': [1, 0x7f] });
    expect(countOutcomes(fs, 'bit-rot')).toBe(16);
    const all = enumerateOutcomes(fs, 'bit-rot');
    expect(all).toHaveLength(16);
    for (const o of all) {
      const data = imageOf(fs, o)['/db/a']!;
      const diff = data.reduce((n, b, i) => n + popcount(b ^ [0, 0xff][i]!), 0);
      expect(diff).toBe(1);
    }
    expect(describeOutcome(all[9]!)).toBe('bit-rot: /db/a byte 1 bit 1');
  });

  it('rejects outcomes that do not fit the state', async () => {
    const fs = await withDb();
    await fs.writeFile('/db/a', bytes(1, 2));
    expect(() => fs.crashImage({ kind: 'keep-prefix', cuts: { '/db/a': 3 } })).toThrow(RangeError);
    expect(() => fs.crashImage({ kind: 'keep-prefix', cuts: { '/db/zz': 0 } })).toThrow(RangeError);
    expect(() => fs.crashImage({ kind: 'reorder-metadata', keep: [1] })).toThrow(RangeError);
    expect(() =>
      fs.crashImage({ kind: 'tear-sectors', sectors: {}, lengths: { '/db/a': 3 } }),
    ).toThrow(RangeError);
    expect(() => fs.crashImage({ kind: 'bit-rot', flips: [{ path: '/db/a', bit: 0 }] })).toThrow(
      RangeError,
    ); // not durable
  });

  it('outcomes are plain JSON that replays to the same image', async () => {
    const fs = await withDb();
    await fs.writeFile('/db/a', filled(700, 3));
    for (const kind of ['keep-prefix', 'tear-sectors', 'reorder-metadata'] as const) {
      const o = randomOutcome(fs, kind, new Rng(SEED));
      const replayed = JSON.parse(JSON.stringify(o)) as CrashOutcome;
      expect(imageOf(fs, replayed)).toEqual(imageOf(fs, o));
    }
  });
});

describe('injected failures', () => {
  it('datasync EIO marks the data clean without making it durable (fsyncgate)', async () => {
    const fs = await withDb({ faults: [{ op: 'datasync', nth: 1, fault: 'EIO' }] });
    await durableFile(fs, '/db/a', bytes(1)); // datasync #0 succeeds
    const h = await fs.open('/db/a', 'write');
    await h.write(bytes(2), 1);
    expect(await code(h.datasync())).toBe('EIO'); // datasync #1
    expect([...(await fs.readFile('/db/a'))]).toEqual([1, 2]); // still reads back
    await h.write(bytes(3), 2);
    await h.datasync(); // succeeds, but does not bring back byte 1
    expect(view(fs.durableView())).toEqual({ '/db/a': [1, 0, 3] });
    expect(imageOf(fs, LOSE)).toEqual({ '/db/a': [1, 0, 3] });
    expect(fs.trace.filter((e) => e.op === 'datasync').map((e) => e.result)).toEqual([
      undefined,
      'EIO',
      undefined,
    ]);
  });

  it('write ENOSPC and EIO write nothing; a short write writes a prefix and returns its length', async () => {
    const plan: FaultPlan = [
      { op: 'write', nth: 0, fault: 'ENOSPC' },
      { op: 'write', nth: 1, fault: 'EIO' },
      { op: 'write', nth: 2, fault: 'short', bytes: 2 },
    ];
    const fs = await withDb({ faults: plan });
    const h = await fs.open('/db/a', 'create');
    expect(await code(h.write(bytes(1, 2, 3, 4), 0))).toBe('ENOSPC');
    expect(await code(h.write(bytes(1, 2, 3, 4), 0))).toBe('EIO');
    expect(await h.size()).toBe(0);
    expect(await h.write(bytes(1, 2, 3, 4), 0)).toBe(2);
    expect([...(await fs.readFile('/db/a'))]).toEqual([1, 2]);
    expect(await h.write(bytes(3, 4), 2)).toBe(2);
    expect(fs.trace.filter((e) => e.op === 'write').map((e) => e.result)).toEqual([
      'ENOSPC',
      'EIO',
      2,
      2,
    ]);
  });

  it('a seeded short write is deterministic and strictly short', async () => {
    const lengths = async (seed: number): Promise<number[]> => {
      const fs = new SimFs({ seed, faults: [{ op: 'write', fault: 'short' }] });
      const h = await fs.open('/a', 'create');
      const out: number[] = [];
      for (let i = 0; i < 20; i++) out.push(await h.write(filled(100, 1), 0));
      return out;
    };
    const a = await lengths(SEED);
    expect(await lengths(SEED)).toEqual(a);
    for (const n of a) expect(n >= 1 && n < 100).toBe(true);
    expect(new Set(a).size).toBeGreaterThan(1);
  });

  it('open, rename and truncate EIO change nothing', async () => {
    const fs = await withDb({
      faults: [
        { op: 'open', nth: 0, fault: 'EIO' },
        { op: 'rename', nth: 0, fault: 'EIO' },
        { op: 'truncate', nth: 0, fault: 'EIO' },
      ],
    });
    expect(await code(fs.open('/db/a', 'create'))).toBe('EIO');
    expect(await fs.list('/db')).toEqual([]);
    const h = await fs.open('/db/a', 'create');
    await h.write(bytes(1, 2), 0);
    expect(await code(fs.rename('/db/a', '/db/b'))).toBe('EIO');
    expect(await fs.list('/db')).toEqual(['a']);
    expect(await code(h.truncate(0))).toBe('EIO');
    expect(await h.size()).toBe(2);
    expect(fs.crashState().dirOps).toHaveLength(1); // only the successful create
  });

  it('matches rules by global op index, by occurrence, or always', async () => {
    const fs = new SimFs({
      faults: [
        { op: 'mkdir', index: 2, fault: 'EIO' },
        { op: 'stat', fault: 'EIO' },
      ],
    });
    await fs.mkdir('/a'); // #0
    await fs.mkdir('/b'); // #1
    expect(await code(fs.mkdir('/c'))).toBe('EIO'); // #2
    await fs.mkdir('/d'); // #3
    expect(await code(fs.stat('/a'))).toBe('EIO');
    expect(await code(fs.stat('/a'))).toBe('EIO');
    expect(await fs.list('/')).toEqual(['a', 'b', 'd']);
  });

  it('counts the faults that actually fired, and syncDir EIO leaves the directory unsynced', async () => {
    const fs = new SimFs({
      faults: [
        { op: 'syncDir', nth: 0, fault: 'EIO' },
        { op: 'datasync', nth: 5, fault: 'EIO' },
      ],
    });
    expect(fs.faultsFired).toBe(0);
    expect(fs.hasDir('/db')).toBe(false);
    await fs.mkdir('/db');
    expect(fs.hasDir('/db')).toBe(true);
    expect(fs.opCount).toBe(1); // hasDir is no operation
    expect(await code(fs.syncDir('/'))).toBe('EIO');
    expect(fs.faultsFired).toBe(1);
    expect(fs.durableView().size).toBe(0);
    expect(fs.crashState().dirOps).toHaveLength(1); // the mkdir is still unsynced
    const h = await fs.open('/db/a', 'create');
    await h.datasync(); // occurrence 0: the rule for occurrence 5 never fires
    expect(fs.faultsFired).toBe(1);
    await fs.syncDir('/'); // a later sync succeeds and makes the name durable
    expect(fs.crashState().dirOps.map((d) => d.op)).toEqual(['create']);
  });

  it('rejects malformed plans', () => {
    expect(() => validateFaultPlan([{ op: 'datasync', fault: 'short' }])).toThrow(RangeError);
    expect(() => validateFaultPlan([{ op: 'fsync' as 'datasync', fault: 'EIO' }])).toThrow(
      /unknown op fsync/,
    );
    expect(() => validateFaultPlan([{ op: 'write', fault: 'EPERM' as 'EIO' }])).toThrow(
      /unknown fault EPERM/,
    );
    expect(() => validateFaultPlan([{ op: 'write', fault: 'short', bytes: 1.5 }])).toThrow(
      /bad number 1.5/,
    );
    expect(() =>
      validateFaultPlan([
        { op: 'write', fault: 'short', bytes: 0 },
        { op: 'stat', index: 3, nth: 0, fault: 'ENOSPC' },
      ]),
    ).not.toThrow();
    expect(() => new SimFs({ faults: [{ op: 'write', nth: -1, fault: 'EIO' }] })).toThrow(
      RangeError,
    );
  });
});

describe('crash points', () => {
  async function script(fs: SimFs): Promise<string> {
    try {
      await fs.mkdir('/db'); // #0
      await fs.syncDir('/'); // #1
      const h = await fs.open('/db/a', 'create'); // #2
      await fs.syncDir('/db'); // #3
      await h.write(bytes(1, 2), 0); // #4
      await h.datasync(); // #5
      await h.write(bytes(3), 2); // #6
      return 'done';
    } catch (err) {
      expect(err).toBeInstanceOf(SimCrashError);
      return (err as SimCrashError).code;
    }
  }

  it("'before' rejects that operation and every later one", async () => {
    const fs = new SimFs({ crashAt: { opIndex: 5, when: 'before' } });
    expect(await script(fs)).toBe('ECRASHED');
    expect(fs.crashed).toBe(true);
    expect(fs.trace.at(-1)).toMatchObject({ index: 5, op: 'datasync', result: 'ECRASHED' });
    expect(imageOf(fs, LOSE)).toEqual({ '/db/a': [] });
    expect(await code(fs.stat('/db'))).toBe('ECRASHED');
    expect(fs.trace).toHaveLength(6); // later calls are not traced
  });

  it("'after' lets that operation complete, then rejects the next", async () => {
    const fs = new SimFs({ crashAt: { opIndex: 5, when: 'after' } });
    expect(await script(fs)).toBe('ECRASHED');
    expect(fs.trace.map((e) => e.op)).toEqual([
      'mkdir',
      'syncDir',
      'open',
      'syncDir',
      'write',
      'datasync',
    ]);
    expect(imageOf(fs, LOSE)).toEqual({ '/db/a': [1, 2] });
  });

  it('crashNow freezes at the current point; without a crash the script completes', async () => {
    const fs = new SimFs();
    expect(await script(fs)).toBe('done');
    expect(fs.crashed).toBe(false);
    fs.crashNow();
    expect(fs.crashed).toBe(true);
    expect(await code(fs.list('/'))).toBe('ECRASHED');
    expect(imageOf(fs, { kind: 'keep-prefix', cuts: { '/db/a': 1 } })).toEqual({
      '/db/a': [1, 2, 3],
    });
  });

  it('trace off still counts operations and honours crash points', async () => {
    const fs = new SimFs({ trace: false, crashAt: { opIndex: 4, when: 'before' } });
    expect(await script(fs)).toBe('ECRASHED');
    expect(fs.trace).toEqual([]);
    expect(fs.opCount).toBe(5);
  });
});

// ---- random scripts: determinism and cross-checks ------------------------------------------

const FILES = ['/d/a', '/d/b', '/e/c', '/d/x/f'];
const DIRS = ['/', '/d', '/e', '/d/x', '/e/x'];

type Cmd =
  | { op: 'mkdir'; dir: number }
  | { op: 'write'; file: number; offset: number; len: number; byte: number }
  | { op: 'sync'; file: number }
  | { op: 'truncate'; file: number; size: number }
  | { op: 'rename'; from: number; to: number }
  | { op: 'renameDir'; from: number; to: number }
  | { op: 'unlink'; file: number }
  | { op: 'syncDir'; dir: number }
  | { op: 'writeFile'; file: number; len: number; byte: number };

const fileIx = fc.nat(FILES.length - 1);
const dirIx = fc.nat(DIRS.length - 1);
const cmdArb: fc.Arbitrary<Cmd> = fc.oneof(
  { weight: 1, arbitrary: fc.record({ op: fc.constant('mkdir' as const), dir: dirIx }) },
  {
    weight: 6,
    arbitrary: fc.record({
      op: fc.constant('write' as const),
      file: fileIx,
      offset: fc.nat(1500),
      len: fc.integer({ min: 1, max: 700 }),
      byte: fc.nat(255),
    }),
  },
  { weight: 4, arbitrary: fc.record({ op: fc.constant('sync' as const), file: fileIx }) },
  {
    weight: 1,
    arbitrary: fc.record({
      op: fc.constant('truncate' as const),
      file: fileIx,
      size: fc.nat(1600),
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({ op: fc.constant('rename' as const), from: fileIx, to: fileIx }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      op: fc.constant('renameDir' as const),
      from: fc.integer({ min: 3, max: 4 }),
      to: fc.integer({ min: 3, max: 4 }),
    }),
  },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('unlink' as const), file: fileIx }) },
  { weight: 3, arbitrary: fc.record({ op: fc.constant('syncDir' as const), dir: dirIx }) },
  {
    weight: 1,
    arbitrary: fc.record({
      op: fc.constant('writeFile' as const),
      file: fileIx,
      len: fc.nat(600),
      byte: fc.nat(255),
    }),
  },
);

/** Runs the commands after a fixed prologue: /d, /d/x, /e made and synced, /d/a durable. */
async function runScript(fs: SimFs, cmds: readonly Cmd[]): Promise<void> {
  const handles = new Map<string, Awaited<ReturnType<SimFs['open']>>>();
  const handle = async (path: string) => {
    let h = handles.get(path);
    if (h === undefined) handles.set(path, (h = await fs.open(path, 'create')));
    return h;
  };
  const prologue: Cmd[] = [
    { op: 'mkdir', dir: 3 },
    { op: 'mkdir', dir: 2 },
    { op: 'syncDir', dir: 0 },
    { op: 'write', file: 0, offset: 0, len: 600, byte: 1 },
    { op: 'sync', file: 0 },
    { op: 'syncDir', dir: 1 },
  ];
  for (const cmd of [...prologue, ...cmds]) {
    try {
      switch (cmd.op) {
        case 'mkdir':
          await fs.mkdir(DIRS[cmd.dir]!);
          break;
        case 'write':
          await (await handle(FILES[cmd.file]!)).write(filled(cmd.len, cmd.byte), cmd.offset);
          break;
        case 'sync':
          await (await handle(FILES[cmd.file]!)).datasync();
          break;
        case 'truncate':
          await (await handle(FILES[cmd.file]!)).truncate(cmd.size);
          break;
        case 'rename':
          await fs.rename(FILES[cmd.from]!, FILES[cmd.to]!);
          break;
        case 'renameDir':
          await fs.rename(DIRS[cmd.from]!, DIRS[cmd.to]!);
          break;
        case 'unlink':
          await fs.unlink(FILES[cmd.file]!);
          break;
        case 'syncDir':
          await fs.syncDir(DIRS[cmd.dir]!);
          break;
        case 'writeFile':
          await fs.writeFile(FILES[cmd.file]!, filled(cmd.len, cmd.byte));
          break;
      }
    } catch (err) {
      if (typeof (err as { code?: unknown }).code !== 'string') throw err; // only filesystem errors are expected
    }
  }
}

const KINDS: OutcomeKind[] = [
  'lose-unsynced',
  'keep-prefix',
  'tear-sectors',
  'reorder-metadata',
  'bit-rot',
];

describe(`random scripts (seed ${SEED}, ${NUM_RUNS} runs; set WALCHECK_SEED to vary)`, () => {
  it('same script and seed give the same trace and the same images', async () => {
    console.log(`sim-fs determinism property: seed ${SEED} (WALCHECK_SEED), ${NUM_RUNS} runs`);
    const faults: FaultPlan = [
      { op: 'datasync', nth: 2, fault: 'EIO' },
      { op: 'write', nth: 3, fault: 'short' },
    ];
    await fc.assert(
      fc.asyncProperty(
        fc.array(cmdArb, { maxLength: 40 }),
        fc.nat(60),
        fc.integer(),
        async (cmds, crashIndex, seed) => {
          const once = async () => {
            const fs = new SimFs({ seed, faults, crashAt: { opIndex: crashIndex, when: 'after' } });
            await runScript(fs, cmds);
            const rng = new Rng(seed);
            const images = KINDS.map((kind) => {
              const o = randomOutcome(fs, kind, rng);
              return { o, image: imageOf(fs, o) };
            });
            return JSON.stringify({ trace: fs.trace, images });
          };
          expect(await once()).toBe(await once());
        },
      ),
      { seed: SEED, numRuns: NUM_RUNS },
    );
  });

  it('keep-all outcomes equal the volatile view; lose-unsynced equals the durable view', async () => {
    const seen = { unsyncedData: 0, unsyncedDirOps: 0, durableFiles: 0 };
    await fc.assert(
      fc.asyncProperty(fc.array(cmdArb, { maxLength: 40 }), async (cmds) => {
        const fs = new SimFs();
        await runScript(fs, cmds);
        const state = fs.crashState();
        if (state.files.length > 0) seen.unsyncedData++;
        if (state.dirOps.length > 0) seen.unsyncedDirOps++;
        if (state.durableFiles.length > 0) seen.durableFiles++;
        const volatile = view(fs.volatileView());
        const allCuts = Object.fromEntries(state.files.map((f) => [f.path, f.units]));
        expect(imageOf(fs, { kind: 'keep-prefix', cuts: allCuts })).toEqual(volatile);
        const allNew = Object.fromEntries(state.files.map((f) => [f.path, f.sectors]));
        const newLengths = Object.fromEntries(state.files.map((f) => [f.path, f.newSize]));
        expect(imageOf(fs, { kind: 'tear-sectors', sectors: allNew, lengths: newLengths })).toEqual(
          volatile,
        );
        expect(
          imageOf(fs, { kind: 'reorder-metadata', keep: state.dirOps.map((_, i) => i) }),
        ).toEqual(volatile);
        expect(imageOf(fs, LOSE)).toEqual(view(fs.durableView()));
        // every enumerated variant builds; an image of an image under lose-unsynced is itself
        for (const kind of KINDS) {
          for (const o of enumerateOutcomes(fs, kind, 16)) {
            const image = fs.crashImage(o);
            expect(imageOf(image, LOSE)).toEqual(view(image.volatileView()));
          }
        }
      }),
      { seed: SEED, numRuns: NUM_RUNS },
    );
    // the scripts must reach the states the property is about, not just fail
    console.log(
      `sim-fs keep-all property: seed ${SEED}, states reached ${JSON.stringify(seen)} of ${NUM_RUNS}`,
    );
    expect(seen.unsyncedData).toBeGreaterThan(NUM_RUNS / 3);
    expect(seen.unsyncedDirOps).toBeGreaterThan(NUM_RUNS / 3);
    expect(seen.durableFiles).toBeGreaterThan(NUM_RUNS / 3);
  });
});

function popcount(x: number): number {
  let n = 0;
  for (let v = x; v !== 0; v &= v - 1) n++;
  return n;
}
