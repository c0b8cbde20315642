// Engine behaviour when the filesystem or a caller fails part-way: the fixes an
// independent review asked for, each pinned by a test.

import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { Database, NodeFileSystem, WalError } from '../src/index.ts';
import { SimFs } from '../faults/disk/sim-fs.ts';
import { ownerLine } from './support/lock-owner.ts';

const b = (text: string): Buffer => Buffer.from(text);
const temps: string[] = [];
async function tempDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'walcheck-failure-'));
  temps.push(dir);
  return dir;
}
afterEach(async () => {
  for (const dir of temps.splice(0)) await rm(dir, { recursive: true, force: true });
});

describe('the writer lock on a real directory', () => {
  it('takes over a LOCK left by a dead process, and the LOCK then names this process', async () => {
    const dir = await tempDir();
    await writeFile(join(dir, 'LOCK'), '4000000\n'); // no such pid on Linux (pid_max is lower)
    const db = await Database.open(dir);
    expect(await readFile(join(dir, 'LOCK'), 'utf8')).toMatch(ownerLine(process.pid));
    await db.close();
  });

  it('takes over a LOCK that is not a whole owner line (what a crash leaves), whatever its bytes', async () => {
    // A live owner's LOCK always reads whole: only a crash leaves it empty, cut or torn.
    const leftovers = ['', '1', `${process.ppid}`, `${process.ppid} `, '\0\0\0\0\0\0', 'garbage'];
    for (const content of leftovers) {
      const dir = await tempDir();
      await writeFile(join(dir, 'LOCK'), content);
      const db = await Database.open(dir);
      expect(await readFile(join(dir, 'LOCK'), 'utf8')).toMatch(ownerLine(process.pid));
      await db.close();
    }
  });

  it('clears a LOCK.break left by a dead breaker and takes the stale lock', async () => {
    const dir = await tempDir();
    await writeFile(join(dir, 'LOCK'), '4000000\n');
    await writeFile(join(dir, 'LOCK.break'), '4000001\n');
    const db = await Database.open(dir);
    await db.close();
  });

  it('leaves no temporary lock files behind', async () => {
    const dir = await tempDir();
    const db = await Database.open(dir);
    await db.close();
    const { readdir } = await import('node:fs/promises');
    expect((await readdir(dir)).filter((name) => name.startsWith('LOCK'))).toEqual([]);
  });
});

describe('directory syncs survive a retried open', () => {
  it('syncs the parent directory on every writable open, so a retry after a failed sync makes the name durable', async () => {
    const fs = new SimFs({ faults: [{ op: 'syncDir', nth: 0, fault: 'EIO' }] });
    await expect(Database.open('/db', { fs })).rejects.toMatchObject({ code: 'IO' });
    const db = await Database.open('/db', { fs });
    await db.write([{ type: 'put', key: b('k'), value: b('v') }]);
    expect([...fs.durableView().keys()]).toContain('/db/00000000000000000001.wal');
    await db.close();
  });
});

describe('failures while writing', () => {
  it('a failed rotation rejects the group, fails closed, and close() still succeeds', async () => {
    // The second 'open' is the new segment's creation at rotation.
    const fs = new SimFs({ faults: [{ op: 'open', nth: 1, fault: 'EIO' }] });
    const db = await Database.open('/db', { fs, segmentBytesMax: 64 });
    await db.write([{ type: 'put', key: b('a'), value: Buffer.alloc(50) }]);
    const failed = db.write([{ type: 'put', key: b('b'), value: Buffer.alloc(50) }]);
    await expect(failed).rejects.toMatchObject({ code: 'IO' });
    await expect(db.write([{ type: 'put', key: b('c'), value: b('') }])).rejects.toBe(
      await failed.catch((e: unknown) => e),
    );
    await expect(db.close()).resolves.toBeUndefined();
  });

  it('reports a filesystem failure while opening as WalError IO, keeping the errno error as its cause', async () => {
    const fs = new SimFs({ faults: [{ op: 'list', nth: 0, fault: 'EIO' }] });
    const error = await Database.open('/db', { fs }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(WalError);
    expect(error).toMatchObject({ code: 'IO', cause: { code: 'EIO' } });
  });

  it('refuses only the batch whose buffer was detached after write(), and goes on', async () => {
    const dir = await tempDir();
    const db = await Database.open(dir, { fs: new NodeFileSystem() });
    const first = db.write([{ type: 'put', key: b('a'), value: b('1') }]); // leads alone
    const value = new Uint8Array(new ArrayBuffer(4));
    const second = db.write([{ type: 'put', key: b('b'), value }]); // queued behind it
    structuredClone(value.buffer, { transfer: [value.buffer] }); // detaches the queued value
    const third = db.write([{ type: 'put', key: b('c'), value: b('3') }]);
    await expect(first).resolves.toEqual({ seqStart: 1, count: 1 });
    await expect(second).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    await expect(third).resolves.toEqual({ seqStart: 2, count: 1 });
    await expect(db.write([{ type: 'put', key: b('d'), value: b('4') }])).resolves.toEqual({
      seqStart: 3,
      count: 1,
    });
    expect(db.get(b('b'))).toBeUndefined();
    await db.close();
  });
});
