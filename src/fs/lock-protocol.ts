// The writer lock of a database directory: a LOCK file naming its owner, taken and broken with
// operations that are atomic on POSIX. The protocol runs over any filesystem's primitives
// (LockSite), so the simulated filesystems run this very code on their modelled files, and a
// crash can leave LOCK in any state the persistence model allows (model/crash-model.md section 1).
//
//  - take:   write our owner line to a private temp file, then link() it to LOCK. link fails if
//            LOCK exists, and in the page cache LOCK never exists without its whole line.
//  - judge:  LOCK's line names an owner (pid, boot id, process start time). The owner is gone
//            when its pid is ours (this process's claim is the in-process one, below), when it
//            ran in an earlier boot, when its pid is dead, or when that pid now belongs to a
//            process that started at another time (pid reuse). A line that does not parse
//            (empty, cut short, zeros, garbage) is gone too: a live owner's LOCK always reads
//            whole (written before the link, never changed after), so only a crash can leave
//            it unreadable (its name was made durable by a directory sync, its content never
//            synced), and no owner outlives the crash. Nothing here is synced: the lock means
//            something only while its owner runs.
//  - break:  a gone owner's LOCK is removed only by the holder of a break lock (LOCK.break,
//            taken the same way), after re-reading LOCK under it and finding the same bytes:
//            one contender breaks a given stale lock, the others see it change and retry or
//            report LOCKED. Between the two reads nobody else can remove that LOCK (its owner
//            is gone, the other breakers wait on the break lock), so the unlink removes the
//            stale file and never a live owner's. (A dead process's bytes never come back: a
//            live owner's line is unique to it, and an unreadable one needs a crash, which ends
//            every breaker too.) A breaker that dies holding LOCK.break is not cleared by other
//            breakers: two clearing it at once could both go on to break, and the later unlink
//            could hit a LOCK just retaken. The break lock moves to the next level instead
//            (LOCK.break.1, ...: bounded, then LOCKED), and the next holder of LOCK removes the
//            dead levels it saw: by then no stale LOCK is left for a breaker to unlink.
//  - in-process: the caller keeps a set of the directories this process holds, claimed before
//            the first await (a pid cannot tell two opens of one process apart).
// Residual risk, documented: without a boot id and process start time (not Linux), a pid
// reused by a live process keeps a stale lock until its owner line is removed by hand.

import type { Lock } from './types.ts';
import { joinPath } from './types.ts';

/** The filesystem operations the protocol needs; none of them syncs. */
export interface LockSite {
  /** Creates or replaces `path` holding `data`. */
  writeFile(path: string, data: Uint8Array): Promise<void>;
  /** Gives the file `existing` a second name `target`; false when `target` exists. */
  link(existing: string, target: string): Promise<boolean>;
  /** A file's bytes, or null when it does not exist. */
  readFile(path: string): Promise<Uint8Array | null>;
  /** Removes a name; a missing name is not an error. */
  unlink(path: string): Promise<void>;
}

/** Filesystem calls that fail with a POSIX `code` (node:fs, or a simulated filesystem). */
export interface LinkingFiles {
  writeFile(path: string, data: Uint8Array): Promise<void>;
  link(existing: string, target: string): Promise<void>;
  readFile(path: string): Promise<Uint8Array>;
  unlink(path: string): Promise<void>;
}

/** The LockSite of a filesystem: EEXIST from link and ENOENT from reads and unlinks are answers. */
export function lockSiteOf(files: LinkingFiles): LockSite {
  const unless =
    <T>(code: string, value: T) =>
    (error: unknown) => {
      if ((error as { code?: unknown } | null)?.code === code) return value;
      throw error;
    };
  return {
    writeFile: (path, data) => files.writeFile(path, data),
    link: (existing, target) =>
      files.link(existing, target).then(() => true, unless('EEXIST', false)),
    readFile: (path) => files.readFile(path).catch(unless('ENOENT', null)),
    unlink: (path) => files.unlink(path).catch(unless('ENOENT', undefined)),
  };
}

/** Who holds a lock: `boot` and `start` are '-' when the platform does not tell. */
export interface LockOwner {
  pid: number;
  boot: string;
  start: string;
}

/** The process taking locks: its own owner line, and how it judges other owners. */
export interface LockProcess {
  readonly self: LockOwner;
  /** Whether another process's owner (pid not ours) still runs. */
  alive(owner: LockOwner): boolean;
  /** A fresh temp file name for one attempt (unique in this process). */
  tempName(): string;
}

const LOCK_NAME = 'LOCK';
const BREAK_NAME = 'LOCK.break';
const ATTEMPTS_MAX = 3;
/** Break lock levels (LOCK.break, LOCK.break.1, ...): each dead one needs a breaker that died. */
const BREAK_LEVELS = 8;
const TOKEN = /^[\x21-\x7e]{1,64}$/;
const LINE = /^([1-9][0-9]{0,15})(?: ([\x21-\x7e]{1,64}) ([\x21-\x7e]{1,64}))?\n$/;

/** `pid boot start\n`: one line, whole only when the newline is there. */
export function formatOwner(owner: LockOwner): string {
  for (const token of [owner.boot, owner.start])
    if (!TOKEN.test(token)) throw new RangeError(`lock owner token ${JSON.stringify(token)}`);
  return `${owner.pid} ${owner.boot} ${owner.start}\n`;
}

/** The owner a LOCK line names, or null when it is not a whole line (a bare `pid\n` is accepted). */
export function parseOwner(bytes: Uint8Array): LockOwner | null {
  if (bytes.length > 160) return null;
  const match = LINE.exec(String.fromCharCode(...bytes));
  if (match === null) return null;
  const pid = Number(match[1]);
  if (!Number.isSafeInteger(pid)) return null;
  return { pid, boot: match[2] ?? '-', start: match[3] ?? '-' };
}

/** Whether the LOCK bytes `seen` may be broken: their owner is gone (see the header). */
function ownerGone(proc: LockProcess, seen: Uint8Array): boolean {
  const owner = parseOwner(seen);
  if (owner === null) return true;
  if (owner.pid === proc.self.pid) return true;
  return !proc.alive(owner);
}

/**
 * Takes `dir`'s lock for `proc`: first the in-process claim on `key` (one key per directory,
 * in `claims`, this process's set), then LOCK. Rejects with code ELOCKED while a live owner,
 * this process included, holds it; a failed attempt holds nothing.
 */
export async function lockDirectoryOn(
  site: LockSite,
  proc: LockProcess,
  claims: Set<string>,
  key: string,
  dir: string,
): Promise<Lock> {
  if (claims.has(key)) throw lockedError(dir, `this process (${proc.self.pid})`);
  claims.add(key); // before any await: a concurrent open in this process sees it
  try {
    const path = await takeLockFile(site, proc, dir);
    let held = true;
    return {
      // Once: a later call must not remove a new holder's LOCK. LOCK goes before the claim,
      // or an open in this process could take LOCK over (our pid) just before our unlink.
      release: async () => {
        if (!held) return;
        held = false;
        await site.unlink(path).catch(() => undefined);
        claims.delete(key);
      },
    };
  } catch (error) {
    claims.delete(key);
    throw error;
  }
}

/** Takes LOCK (the caller holds the in-process claim); returns its path. */
async function takeLockFile(site: LockSite, proc: LockProcess, dir: string): Promise<string> {
  const path = joinPath(dir, LOCK_NAME);
  const temp = joinPath(dir, proc.tempName());
  const deadBreakers = new Set<string>();
  await site.writeFile(temp, new TextEncoder().encode(formatOwner(proc.self)));
  try {
    for (let attempt = 0; attempt < ATTEMPTS_MAX; attempt++) {
      if (await site.link(temp, path)) {
        // Ours now, so every stale LOCK is gone and no breaker will unlink again: the levels
        // that dead breakers hold can go (each was dead when seen, and dead stays dead).
        for (const level of deadBreakers) await site.unlink(level).catch(() => undefined);
        return path;
      }
      const seen = await site.readFile(path);
      if (seen === null) continue; // released meanwhile: try again
      if (!ownerGone(proc, seen)) throw lockedError(dir, describeOwner(seen));
      await breakStale(site, proc, dir, seen, temp, deadBreakers);
    }
    throw lockedError(dir, 'another process (the lock changed hands while we tried)');
  } finally {
    await site.unlink(temp).catch(() => undefined);
  }
}

/** The break lock of one level: LOCK.break, LOCK.break.1, ... */
export function breakLockName(level: number): string {
  return level === 0 ? BREAK_NAME : `${BREAK_NAME}.${level}`;
}

/**
 * Removes a stale LOCK under a break lock, so that only one contender breaks a given stale
 * lock, after re-reading LOCK under it: if its bytes changed, someone else broke it and a live
 * process may hold it now. The break lock is the first level not held by a gone breaker: a
 * breaker's file is never removed by another breaker (two could then both clear it and both
 * break), only by itself, or by the next LOCK holder once no stale LOCK is left.
 */
async function breakStale(
  site: LockSite,
  proc: LockProcess,
  dir: string,
  stale: Uint8Array,
  temp: string,
  deadBreakers: Set<string>,
): Promise<void> {
  const path = joinPath(dir, LOCK_NAME);
  for (let level = 0; level < BREAK_LEVELS; level++) {
    const breakPath = joinPath(dir, breakLockName(level));
    if (!(await site.link(temp, breakPath))) {
      const breaker = await site.readFile(breakPath);
      if (breaker === null) return; // that breaker finished meanwhile: the caller tries again
      if (!ownerGone(proc, breaker))
        throw lockedError(dir, `${describeOwner(breaker)} taking over a stale lock`);
      deadBreakers.add(breakPath); // died mid-way: the next level is the break lock now
      continue;
    }
    try {
      const now = await site.readFile(path);
      if (now !== null && Buffer.from(now.buffer, now.byteOffset, now.byteLength).equals(stale))
        await site.unlink(path).catch(() => undefined);
    } finally {
      await site.unlink(breakPath).catch(() => undefined);
    }
    return;
  }
  throw lockedError(
    dir,
    `${BREAK_LEVELS} breakers of a stale lock that died mid-way (remove ${BREAK_NAME}* by hand)`,
  );
}

function describeOwner(seen: Uint8Array): string {
  const owner = parseOwner(seen);
  return owner === null ? 'an unreadable LOCK file' : `process ${owner.pid}`;
}

function lockedError(dir: string, owner: string): NodeJS.ErrnoException {
  const error: NodeJS.ErrnoException = new Error(`${dir} is locked by ${owner}`);
  error.code = 'ELOCKED';
  return error;
}
