// Writes through a handle opened O_DSYNC ('write-dsync', 'create-dsync'), the way the log is
// written: durable when they return, on node:fs and in both simulated filesystems; in SimFs a
// crash point between the page-cache half and the sync half leaves them unsynced (lost, torn
// or kept by the crash outcome), and the fault plan fails each half with Linux's semantics.

import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { enumerateOutcomes } from '../faults/disk/crash-outcome.ts';
import { PowerLossFileSystem } from '../faults/disk/power-loss-fs.ts';
import { SimFs } from '../faults/disk/sim-fs.ts';
import type { SimFsOptions } from '../faults/disk/sim-fs.ts';
import { NodeFileSystem } from '../src/fs/node-fs.ts';
import { createsFile, isDsync } from '../src/fs/types.ts';
import { makeTempDir, removeTempDirs } from './support/temp-dirs.ts';

afterAll(removeTempDirs);

const bytes = (...xs: number[]): Uint8Array => Uint8Array.from(xs);

async function withDb(options: SimFsOptions = {}): Promise<SimFs> {
  const fs = new SimFs(options);
  await fs.mkdir('/db');
  await fs.syncDir('/');
  return fs;
}

async function code(p: Promise<unknown>): Promise<string> {
  return p.then(
    () => 'OK',
    (error: unknown) => String((error as { code?: unknown }).code),
  );
}

/** /db/log, its name durable, opened O_DSYNC; the operations so far are 0..5. */
async function dsyncLog(options: SimFsOptions = {}) {
  const fs = await withDb(options);
  const handle = await fs.open('/db/log', 'create-dsync');
  await fs.syncDir('/db');
  return { fs, handle };
}

describe('open modes', () => {
  it('the -dsync modes create (or not) as their plain modes do', () => {
    expect(createsFile('create') && createsFile('create-dsync')).toBe(true);
    expect(createsFile('write') || createsFile('write-dsync') || createsFile('read')).toBe(false);
    expect(isDsync('write-dsync') && isDsync('create-dsync')).toBe(true);
    expect(isDsync('write') || isDsync('create') || isDsync('read')).toBe(false);
  });
});

describe('SimFs: an O_DSYNC write', () => {
  it('is a write and a dsync in the trace, and durable when it returns', async () => {
    const { fs, handle } = await dsyncLog();
    const before = fs.opCount;
    expect(await handle.write(bytes(1, 2, 3), 0)).toBe(3);
    expect(fs.trace.slice(before).map((e) => [e.op, e.offset, e.length, e.result])).toEqual([
      ['write', 0, 3, 3],
      ['dsync', 0, 3, undefined],
    ]);
    expect([...fs.durableView().get('/db/log')!]).toEqual([1, 2, 3]);
    expect(fs.crashState().files).toEqual([]);
    expect(await fs.open('/db/missing', 'write-dsync').catch((e: { code: string }) => e.code)).toBe(
      'ENOENT',
    );
  });

  it('a crash between its halves leaves it in the page cache: lost, torn or kept', async () => {
    const probe = await dsyncLog();
    const writeIndex = probe.fs.opCount + 2; // the write half of the second write
    const { fs, handle } = await dsyncLog({ crashAt: { opIndex: writeIndex, when: 'after' } });
    await handle.write(bytes(5), 0);
    expect(await code(handle.write(bytes(1, 2, 3), 1))).toBe('ECRASHED'); // never returned
    expect(fs.trace.at(-1)).toMatchObject({ op: 'write', result: 3 }); // no dsync ran
    expect([...fs.durableView().get('/db/log')!]).toEqual([5]);
    const images = enumerateOutcomes(fs, 'keep-prefix').map((o) => [
      ...fs.crashImage(o).volatileView().get('/db/log')!,
    ]);
    expect(images).toEqual([[5], [5, 1], [5, 1, 2], [5, 1, 2, 3]]);
  });

  it('a crash before its sync half is the same state; after it, the write is durable', async () => {
    const probe = await dsyncLog();
    const dsyncIndex = probe.fs.opCount + 1;
    const before = await dsyncLog({ crashAt: { opIndex: dsyncIndex, when: 'before' } });
    expect(await code(before.handle.write(bytes(7, 8), 0))).toBe('ECRASHED');
    expect(before.fs.crashState().files.map((f) => f.newSize)).toEqual([2]);
    const after = await dsyncLog({ crashAt: { opIndex: dsyncIndex, when: 'after' } });
    expect(await after.handle.write(bytes(7, 8), 0)).toBe(2); // it returned: durable
    expect(after.fs.crashed).toBe(true);
    expect([...after.fs.durableView().get('/db/log')!]).toEqual([7, 8]);
  });

  it('EIO or ENOSPC on its sync half: it rejects, the bytes stay readable and never become durable (fsyncgate)', async () => {
    for (const fault of ['EIO', 'ENOSPC'] as const) {
      const { fs, handle } = await dsyncLog({ faults: [{ op: 'dsync', nth: 0, fault }] });
      expect(await code(handle.write(bytes(4, 4), 0))).toBe(fault);
      expect([...fs.volatileView().get('/db/log')!]).toEqual([4, 4]);
      expect(fs.durableView().get('/db/log')!.length).toBe(0);
      await handle.datasync(); // marked clean: a later sync writes nothing
      expect(fs.durableView().get('/db/log')!.length).toBe(0);
      expect(fs.faultsFired).toBe(1);
    }
  });

  it('EIO or ENOSPC on its write half writes nothing and runs no sync half', async () => {
    const { fs, handle } = await dsyncLog({ faults: [{ op: 'write', nth: 0, fault: 'ENOSPC' }] });
    const before = fs.opCount;
    expect(await code(handle.write(bytes(4, 4), 0))).toBe('ENOSPC');
    expect(fs.trace.slice(before).map((e) => e.op)).toEqual(['write']);
    expect(fs.volatileView().get('/db/log')!.length).toBe(0);
  });

  it('a short write syncs the prefix it wrote', async () => {
    const { fs, handle } = await dsyncLog({
      faults: [{ op: 'write', nth: 0, fault: 'short', bytes: 2 }],
    });
    expect(await handle.write(bytes(1, 2, 3, 4), 0)).toBe(2);
    expect([...fs.durableView().get('/db/log')!]).toEqual([1, 2]);
    expect(await handle.write(bytes(3, 4), 2)).toBe(2);
    expect([...fs.durableView().get('/db/log')!]).toEqual([1, 2, 3, 4]);
  });

  it('an empty write has no sync half', async () => {
    const { fs, handle } = await dsyncLog();
    const before = fs.opCount;
    expect(await handle.write(bytes(), 0)).toBe(0);
    expect(fs.trace.slice(before).map((e) => e.op)).toEqual(['write']);
  });

  it('onto a file with other unsynced data: refused as not modelled (Linux syncs only the range)', async () => {
    const { fs, handle } = await dsyncLog();
    const plain = await fs.open('/db/log', 'write');
    await plain.write(bytes(9), 10);
    await expect(handle.write(bytes(1), 0)).rejects.toThrow(/invariant violated.*not modelled/);
  });
});

describe('PowerLossFileSystem and node:fs: an O_DSYNC write', () => {
  it('is on the disk when it returns, with no datasync', async () => {
    const dir = await makeTempDir('dsync-plfs');
    const fs = new PowerLossFileSystem();
    const created = await fs.open(join(dir, 'log'), 'create-dsync');
    await fs.syncDir(dir);
    await created.write(bytes(65, 66), 0);
    expect(await readFile(join(dir, 'log'), 'latin1')).toBe('AB');
    const reopened = await fs.open(join(dir, 'log'), 'write-dsync');
    await reopened.write(bytes(67), 2);
    expect(await readFile(join(dir, 'log'), 'latin1')).toBe('ABC');
    const plain = await fs.open(join(dir, 'log'), 'write');
    await plain.write(bytes(68), 3);
    expect(await readFile(join(dir, 'log'), 'latin1')).toBe('ABC'); // a plain write waits for datasync
  });

  it('node:fs opens with O_DSYNC and writes through', async () => {
    const dir = await makeTempDir('dsync-node');
    const fs = new NodeFileSystem();
    const handle = await fs.open(join(dir, 'log'), 'create-dsync');
    expect(await handle.write(bytes(65), 0)).toBe(1);
    await handle.close();
    const again = await fs.open(join(dir, 'log'), 'write-dsync');
    await again.write(bytes(66), 1);
    await again.close();
    expect(await readFile(join(dir, 'log'), 'latin1')).toBe('AB');
  });
});

describe('SimFs: durableView', () => {
  it('is one map until an operation that may change the durable state runs', async () => {
    const { fs, handle } = await dsyncLog();
    const first = fs.durableView();
    await fs.open('/db/other', 'create'); // creates nothing durable
    await fs.stat('/db/log');
    expect(fs.durableView()).toBe(first);
    await handle.write(bytes(1), 0); // its dsync half
    const second = fs.durableView();
    expect(second).not.toBe(first);
    expect([...second.keys()]).toEqual(['/db/log']);
    await fs.syncDir('/db');
    expect([...fs.durableView().keys()]).toEqual(['/db/log', '/db/other']);
    const plain = await fs.open('/db/other', 'write');
    await plain.write(bytes(2), 0);
    const third = fs.durableView();
    await plain.datasync();
    expect(fs.durableView()).not.toBe(third);
    expect([...fs.durableView().get('/db/other')!]).toEqual([2]);
  });
});
