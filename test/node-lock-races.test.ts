// The LOCK protocol's race paths (src/fs/node-lock.ts), made deterministic: node:fs is
// wrapped so that one chosen call sees what a second process would have done just before
// it (released the lock, took a stale lock over, ...). The real files are changed the same
// way, so the lock code meets a consistent directory, only at a chosen moment.

import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it, vi } from 'vitest';
import { makeTempDir, removeTempDirs } from './support/temp-dirs.ts';
import { ownerLine } from './support/lock-owner.ts';

/** Runs before the real call; may change files, or throw to fail the call. */
type Hook = (path: string, target?: string) => Promise<void> | void;
const hooks: { link?: Hook; readFile?: Hook; readFileSync?: Hook } = {};

vi.mock('node:fs', async (importOriginal) => {
  const actual = await importOriginal<typeof import('node:fs')>();
  const promises = {
    ...actual.promises,
    link: async (existing: string, target: string) => {
      await hooks.link?.(String(target), String(existing));
      return actual.promises.link(existing, target);
    },
    readFile: async (...args: Parameters<typeof actual.promises.readFile>) => {
      await hooks.readFile?.(String(args[0]));
      return actual.promises.readFile(...args);
    },
  };
  const readFileSync = ((...args: Parameters<typeof actual.readFileSync>) => {
    void hooks.readFileSync?.(String(args[0]));
    return actual.readFileSync(...args);
  }) as typeof actual.readFileSync;
  return { ...actual, promises, readFileSync, default: { ...actual, promises, readFileSync } };
});

const { lockDirectory } = await import('../src/fs/node-lock.ts');

afterEach(() => {
  delete hooks.link;
  delete hooks.readFile;
  delete hooks.readFileSync;
});
afterAll(removeTempDirs);

const STALE = '4000000\n'; // no such pid (above Linux's pid_max)
const errnoError = (code: string) => Object.assign(new Error(`${code}: injected`), { code });

async function failure(promise: Promise<unknown>): Promise<NodeJS.ErrnoException> {
  const error = await promise.then(
    () => null,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(Error);
  return error as NodeJS.ErrnoException;
}

/** Names left in `dir` that start with LOCK (temp and break files must never stay). */
async function lockFiles(dir: string): Promise<string[]> {
  return (await readdir(dir)).filter((name) => name.startsWith('LOCK')).sort();
}

describe('without /proc', () => {
  // First in this file: the process's own owner line is computed once, here without /proc.
  it('no boot id and no start times: the pid alone decides, and a live pid holds the lock', async () => {
    hooks.readFileSync = (path) => {
      if (path.startsWith('/proc/')) throw errnoError('ENOENT');
    };
    const dir = await makeTempDir('lock-no-proc');
    await writeFile(join(dir, 'LOCK'), `${process.ppid} another-boot 1\n`);
    const error = await failure(lockDirectory(dir));
    expect(error.code).toBe('ELOCKED');
    expect(error.message).toContain(`process ${process.ppid}`);
    await writeFile(join(dir, 'LOCK'), '4000000 another-boot 1\n'); // a dead pid
    const lock = await lockDirectory(dir);
    expect(await readFile(join(dir, 'LOCK'), 'utf8')).toBe(`${process.pid} - -\n`);
    await lock.release();
  });
});

describe('the LOCK protocol under races', () => {
  it('a LOCK released between our failed link and our read: we try again and take it', async () => {
    const dir = await makeTempDir('lock-released');
    let links = 0;
    hooks.link = async (target) => {
      if (target !== join(dir, 'LOCK') || links++ > 0) return;
      await writeFile(join(dir, 'LOCK'), `${process.ppid}\n`); // a live holder ...
      hooks.readFile = async (path) => {
        if (path !== join(dir, 'LOCK')) return;
        delete hooks.readFile;
        await import('node:fs/promises').then((fs) => fs.unlink(path)); // ... releases it just before we read
      };
    };
    const lock = await lockDirectory(dir);
    expect(links).toBe(2);
    expect(await readFile(join(dir, 'LOCK'), 'utf8')).toMatch(ownerLine(process.pid));
    await lock.release();
    expect(await lockFiles(dir)).toEqual([]);
  });

  it('a stale LOCK taken over by another process while we hold LOCK.break: its LOCK is left alone, and we report it', async () => {
    const dir = await makeTempDir('lock-taken-over');
    await writeFile(join(dir, 'LOCK'), STALE);
    let reads = 0;
    hooks.readFile = async (path) => {
      // Read 1 sees the stale LOCK; before read 2 (under LOCK.break) a live process replaced it.
      if (path === join(dir, 'LOCK') && ++reads === 2) await writeFile(path, `${process.ppid}\n`);
    };
    const error = await failure(lockDirectory(dir));
    expect(error.code).toBe('ELOCKED');
    expect(error.message).toContain(`process ${process.ppid}`);
    expect(await readFile(join(dir, 'LOCK'), 'utf8')).toBe(`${process.ppid}\n`);
    expect(await lockFiles(dir)).toEqual(['LOCK']); // no break or temp file left
  });

  it('a lock that changes hands on every attempt: LOCKED after a bounded number of attempts', async () => {
    const dir = await makeTempDir('lock-churn');
    let attempts = 0;
    hooks.link = async (target) => {
      if (target !== join(dir, 'LOCK')) return;
      attempts++;
      await writeFile(target, STALE); // someone's lock, left stale, just before each of our attempts
    };
    const error = await failure(lockDirectory(dir));
    expect(error.code).toBe('ELOCKED');
    expect(error.message).toContain('changed hands');
    expect(attempts).toBe(3);
    expect(await lockFiles(dir)).toEqual([]); // the last stale LOCK broken; no break or temp file left
  });

  it('a LOCK.break that disappears before we read it counts as a dead breaker: cleared, and the next attempt goes on', async () => {
    const dir = await makeTempDir('lock-break-gone');
    await writeFile(join(dir, 'LOCK'), STALE);
    await writeFile(join(dir, 'LOCK.break'), `${process.ppid}\n`);
    hooks.readFile = async (path) => {
      if (path !== join(dir, 'LOCK.break')) return;
      delete hooks.readFile;
      await import('node:fs/promises').then((fs) => fs.unlink(path)); // the breaker finished meanwhile
    };
    const lock = await lockDirectory(dir);
    expect(await readFile(join(dir, 'LOCK'), 'utf8')).toMatch(ownerLine(process.pid));
    await lock.release();
    expect(await lockFiles(dir)).toEqual([]);
  });

  it('a filesystem without hard links (link fails EPERM): the error as it is, nothing held, nothing left', async () => {
    const dir = await makeTempDir('lock-no-links');
    await mkdir(join(dir, 'sub'));
    hooks.link = () => {
      throw errnoError('EPERM');
    };
    expect((await failure(lockDirectory(dir))).code).toBe('EPERM');
    expect(await lockFiles(dir)).toEqual([]);
    delete hooks.link;
    const lock = await lockDirectory(dir); // the failed attempt released its in-process claim
    await lock.release();
  });
});
