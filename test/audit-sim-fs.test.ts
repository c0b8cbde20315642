// The simulated filesystem's calls the audit replays besides the engine's own (link, rmdir,
// sync of everything): each follows model/crash-model.md section 1 (directory ops durable only
// once their directory is synced; sync makes every file and entry durable).

import { describe, expect, it } from 'vitest';
import type { CrashOutcome } from '../faults/disk/crash-outcome.ts';
import { SimFs } from '../faults/disk/sim-fs.ts';

const LOSE: CrashOutcome = { kind: 'lose-unsynced' };
const bytes = (...xs: number[]): Uint8Array => Uint8Array.from(xs);

function imageOf(fs: SimFs, outcome: CrashOutcome): Record<string, number[]> {
  const view = fs.crashImage(outcome).volatileView();
  return Object.fromEntries([...view].map(([p, b]) => [p, [...b]]));
}

async function code(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (err) {
    return (err as { code: string }).code;
  }
  return 'OK';
}

async function durableFile(fs: SimFs, path: string, data: Uint8Array): Promise<void> {
  const h = await fs.open(path, 'create');
  await h.write(data, 0);
  await h.datasync();
  await fs.syncDir('/');
}

describe('SimFs link', () => {
  it('adds a second name that is durable only after its directory is synced', async () => {
    const fs = new SimFs();
    await durableFile(fs, '/a', bytes(1, 2));
    await fs.link('/a', '/b');
    expect(fs.volatileView().get('/b')).toEqual(bytes(1, 2));
    expect(imageOf(fs, LOSE)).toEqual({ '/a': [1, 2] });
    expect(imageOf(fs, { kind: 'reorder-metadata', keep: [0] })).toEqual({
      '/a': [1, 2],
      '/b': [1, 2],
    });
    expect(fs.crashState().dirOps).toEqual([{ op: 'link', path: '/a', to: '/b' }]);
    await fs.syncDir('/');
    expect(imageOf(fs, LOSE)).toEqual({ '/a': [1, 2], '/b': [1, 2] });
  });

  it('refuses a missing source, a directory source and an existing target', async () => {
    const fs = new SimFs();
    await durableFile(fs, '/a', bytes(1));
    await fs.mkdir('/d');
    expect(await code(fs.link('/missing', '/x'))).toBe('ENOENT');
    expect(await code(fs.link('/d', '/x'))).toBe('EPERM');
    expect(await code(fs.link('/a', '/a'))).toBe('EEXIST');
    expect(await code(fs.link('/a', '/nodir/x'))).toBe('ENOENT');
  });
});

describe('SimFs rmdir', () => {
  it('removes an empty directory; the removal is durable once the parent is synced', async () => {
    const fs = new SimFs();
    await fs.mkdir('/d');
    await fs.syncDir('/');
    await fs.rmdir('/d');
    expect(fs.hasDir('/d')).toBe(false);
    expect(fs.crashImage(LOSE).hasDir('/d')).toBe(true);
    await fs.syncDir('/');
    expect(fs.crashImage(LOSE).hasDir('/d')).toBe(false);
  });

  it('refuses a non-empty directory, a file, a missing path and the root', async () => {
    const fs = new SimFs();
    await fs.mkdir('/d');
    await durableFile(fs, '/d/f', bytes(1));
    expect(await code(fs.rmdir('/d'))).toBe('ENOTEMPTY');
    expect(await code(fs.rmdir('/d/f'))).toBe('ENOTDIR');
    expect(await code(fs.rmdir('/nothing'))).toBe('ENOENT');
    expect(await code(fs.rmdir('/'))).toBe('EBUSY');
  });
});

describe('SimFs syncAll', () => {
  it('makes every file and every directory entry durable', async () => {
    const fs = new SimFs();
    await fs.mkdir('/d');
    const h = await fs.open('/d/f', 'create');
    await h.write(bytes(7, 8), 0);
    const g = await fs.open('/top', 'create');
    await g.write(bytes(9), 0);
    await fs.rename('/top', '/top2');
    expect(imageOf(fs, LOSE)).toEqual({});
    expect(fs.durableView().size).toBe(0);
    await fs.syncAll();
    expect(imageOf(fs, LOSE)).toEqual({ '/d/f': [7, 8], '/top2': [9] });
    // The durable view read before the sync is not served again from its cache.
    expect([...fs.durableView().keys()].sort()).toEqual(['/d/f', '/top2']);
    expect(fs.crashState()).toEqual({
      files: [],
      dirOps: [],
      durableFiles: [
        { path: '/d/f', size: 2 },
        { path: '/top2', size: 1 },
      ],
    });
  });
});
