// The node:fs side of the filesystem seam (src/fs/): the calls the engine itself does not
// make on every open (writeFile), errors that must pass through rather than read as
// "missing" or "locked", the LOCK file's odd states, and the path helpers.

import { mkdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { NodeFileSystem } from '../src/fs/node-fs.ts';
import { joinPath, parentPath } from '../src/fs/types.ts';
import { makeTempDir, removeTempDirs } from './support/temp-dirs.ts';
import { ownerLine } from './support/lock-owner.ts';

afterAll(removeTempDirs);

const fs = new NodeFileSystem();

async function failure(promise: Promise<unknown>): Promise<NodeJS.ErrnoException> {
  const error = await promise.then(
    () => null,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(Error);
  return error as NodeJS.ErrnoException;
}

describe('NodeFileSystem', () => {
  it('writeFile creates a file, then replaces its whole content', async () => {
    const dir = await makeTempDir('node-fs-write');
    const path = join(dir, 'f');
    await fs.writeFile(path, Buffer.from('first, longer content'));
    expect(await readFile(path, 'utf8')).toBe('first, longer content');
    await fs.writeFile(path, Buffer.from('second'));
    expect(Buffer.from(await fs.readFile(path)).toString()).toBe('second'); // replaced, not overwritten in place
    expect(await fs.stat(path)).toEqual({ size: 6, isDirectory: false });
  });

  it('stat is null only for a missing path; any other error passes through', async () => {
    const dir = await makeTempDir('node-fs-stat');
    await writeFile(join(dir, 'file'), 'x');
    expect(await fs.stat(join(dir, 'missing'))).toBeNull();
    expect(await fs.stat(dir)).toMatchObject({ isDirectory: true });
    const error = await failure(fs.stat(join(dir, 'file', 'below-a-file')));
    expect(error.code).toBe('ENOTDIR');
  });

  it('lock on a path that is a file fails with the I/O error, not ELOCKED, and holds nothing', async () => {
    const dir = await makeTempDir('node-fs-lock-file');
    const file = join(dir, 'not-a-dir');
    await writeFile(file, 'x');
    for (let attempt = 0; attempt < 2; attempt++) {
      // The second attempt fails the same way: the first one did not leave the path locked in-process.
      expect((await failure(fs.lock(file))).code).toBe('ENOTDIR');
    }
  });

  it('a LOCK that is a directory is refused, never taken over, and the failed attempt holds nothing', async () => {
    const dir = await makeTempDir('node-fs-lock-dir');
    await mkdir(join(dir, 'LOCK'));
    const error = await failure(fs.lock(dir));
    expect(['ELOCKED', 'EISDIR']).toContain(error.code); // locked by someone unknown, or unreadable
    expect((await stat(join(dir, 'LOCK'))).isDirectory()).toBe(true); // left alone
    await rm(join(dir, 'LOCK'), { recursive: true });
    const lock = await fs.lock(dir); // the failed attempt released its in-process claim
    expect(await readFile(join(dir, 'LOCK'), 'utf8')).toMatch(ownerLine(process.pid));
    await lock.release();
  });

  it('a stale LOCK that a live process is breaking (LOCK.break names it) is refused, and both files are left alone', async () => {
    const dir = await makeTempDir('node-fs-lock-breaking');
    await writeFile(join(dir, 'LOCK'), '4000000\n'); // no such pid (above Linux's pid_max)
    await writeFile(join(dir, 'LOCK.break'), `${process.ppid}\n`); // our parent: alive
    const error = await failure(fs.lock(dir));
    expect(error.code).toBe('ELOCKED');
    expect(error.message).toContain(`process ${process.ppid} taking over a stale lock`);
    expect(await readFile(join(dir, 'LOCK'), 'utf8')).toBe('4000000\n');
    expect(await readFile(join(dir, 'LOCK.break'), 'utf8')).toBe(`${process.ppid}\n`);
    await rm(join(dir, 'LOCK.break'));
    const lock = await fs.lock(dir); // the breaker gone, the stale lock is taken over
    expect(await readFile(join(dir, 'LOCK'), 'utf8')).toMatch(ownerLine(process.pid));
    await lock.release();
  });

  it('release tolerates a LOCK file removed behind its back, and frees the directory', async () => {
    const dir = await makeTempDir('node-fs-lock-gone');
    const lock = await fs.lock(dir);
    expect((await failure(fs.lock(dir))).code).toBe('ELOCKED');
    await rm(join(dir, 'LOCK'));
    await expect(lock.release()).resolves.toBeUndefined();
    const again = await fs.lock(dir);
    await again.release();
    expect(await fs.stat(join(dir, 'LOCK'))).toBeNull();
  });
});

describe('path helpers', () => {
  it('close waits for a write in flight, and a write issued once close began is refused (EBADF)', async () => {
    const dir = await makeTempDir('node-fs-close-write');
    const path = join(dir, 'f');
    const handle = await fs.open(path, 'create-dsync');
    const data = Buffer.alloc(64 * 1024, 7);
    const written = handle.write(data, 0); // not awaited: close begins while it is queued
    const closed = handle.close();
    expect((await failure(handle.write(Buffer.from('late'), 0))).code).toBe('EBADF');
    expect(await written).toBe(data.length);
    await closed;
    expect(Buffer.compare(await readFile(path), data)).toBe(0);
  });

  it('joinPath adds one slash, never two', () => {
    expect(joinPath('/db', 'LOCK')).toBe('/db/LOCK');
    expect(joinPath('/db/', 'LOCK')).toBe('/db/LOCK');
    expect(joinPath('/', 'db')).toBe('/db');
    expect(joinPath('rel', 'x')).toBe('rel/x');
  });

  it('parentPath: the directory holding a path, with a trailing slash ignored', () => {
    expect(parentPath('/a/b/c')).toBe('/a/b');
    expect(parentPath('/a/b/')).toBe('/a');
    expect(parentPath('/a')).toBe('/');
    expect(parentPath('/')).toBe('/');
    expect(parentPath('a/b')).toBe('a');
    expect(parentPath('bare')).toBe('.');
  });
});
