// The writer lock on a real directory: a LOCK file holding the owner's pid.
//
// Node has no flock/fcntl, so the lock is built from operations that are atomic on POSIX:
//  - take:   write our pid to a private temp file, then link() it to LOCK. link fails if
//            LOCK exists, and LOCK never exists without its content (no empty-file window).
//  - stale:  a LOCK whose pid no longer runs (a killed process) is removed only by the
//            holder of a second lock, LOCK.break (taken the same way), after re-reading
//            LOCK under it: one contender breaks a stale lock, the others report LOCKED.
//  - in-process: a Set keyed by the directory's real path, claimed before the first await.
// Residual risk, documented: a pid reused by a live unrelated process keeps a stale lock
// (LOCKED until the file is removed by hand).

import { promises as fsp, realpathSync } from 'node:fs';
import type { Lock } from './types.ts';
import { joinPath } from './types.ts';

const lockedInProcess = new Set<string>();
const ATTEMPTS_MAX = 3;
let tempCounter = 0;

export async function lockDirectory(dir: string): Promise<Lock> {
  const key = realpathSync(dir); // one key per directory, whatever path (or symlink) names it
  if (lockedInProcess.has(key)) throw lockedError(dir, `this process (${process.pid})`);
  lockedInProcess.add(key); // before any await: a concurrent open in this process sees it
  try {
    const path = await takeLockFile(dir);
    return { release: () => release(key, path) };
  } catch (error) {
    lockedInProcess.delete(key);
    throw error;
  }
}

async function takeLockFile(dir: string): Promise<string> {
  const path = joinPath(dir, 'LOCK');
  const mine = `${process.pid}\n`;
  const temp = joinPath(dir, `LOCK.${process.pid}.${tempCounter++}.tmp`);
  await fsp.writeFile(temp, mine);
  try {
    for (let attempt = 0; attempt < ATTEMPTS_MAX; attempt++) {
      if (await linkOnce(temp, path)) return path;
      const seen = await readOrNull(path);
      if (seen === null) continue; // released meanwhile: try again
      const owner = Number.parseInt(seen, 10);
      // Unparsable content is not ours to judge stale: someone else's file.
      if (!Number.isSafeInteger(owner) || owner <= 0)
        throw lockedError(dir, `an unreadable LOCK file (${JSON.stringify(seen.slice(0, 20))})`);
      if (owner !== process.pid && processAlive(owner)) throw lockedError(dir, `process ${owner}`);
      await breakStale(dir, path, seen, temp);
    }
    throw lockedError(dir, 'another process (the lock changed hands while we tried)');
  } finally {
    await fsp.unlink(temp).catch(() => undefined);
  }
}

/**
 * Removes a stale LOCK under a second lock, LOCK.break, so that only one contender breaks a
 * given stale lock, and re-reads LOCK under it: if it changed, a live process holds it now.
 */
async function breakStale(
  dir: string,
  path: string,
  staleContent: string,
  temp: string,
): Promise<void> {
  const breakPath = joinPath(dir, 'LOCK.break');
  if (!(await linkOnce(temp, breakPath))) {
    const breaker = Number.parseInt((await readOrNull(breakPath)) ?? '', 10);
    if (
      Number.isSafeInteger(breaker) &&
      breaker > 0 &&
      breaker !== process.pid &&
      processAlive(breaker)
    ) {
      throw lockedError(dir, `process ${breaker} taking over a stale lock`);
    }
    // A breaker that died mid-way left LOCK.break behind: clear it; the caller tries again.
    await fsp.unlink(breakPath).catch(() => undefined);
    return;
  }
  try {
    if ((await readOrNull(path)) === staleContent) await fsp.unlink(path).catch(() => undefined);
  } finally {
    await fsp.unlink(breakPath).catch(() => undefined);
  }
}

async function linkOnce(temp: string, path: string): Promise<boolean> {
  try {
    await fsp.link(temp, path);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw error;
  }
}

async function readOrNull(path: string): Promise<string | null> {
  try {
    return await fsp.readFile(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw error;
  }
}

async function release(key: string, path: string): Promise<void> {
  lockedInProcess.delete(key);
  await fsp.unlink(path).catch(() => undefined);
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function lockedError(dir: string, owner: string): NodeJS.ErrnoException {
  const error: NodeJS.ErrnoException = new Error(`${dir} is locked by ${owner}`);
  error.code = 'ELOCKED';
  return error;
}
