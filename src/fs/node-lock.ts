// The writer lock on a real directory: lock-protocol.ts over node:fs, with this process's
// identity as Linux tells it (pid, boot id, start time in clock ticks since boot), so that an
// owner line left by a crash names a process that is gone even when its pid was reused: after
// a reboot (another boot id) or by a process started later (another start time). Where /proc
// is missing, the boot id and start time are '-' and the pid alone decides (see the residual
// risks in lock-protocol.ts).

import { promises as fsp, readFileSync, realpathSync } from 'node:fs';
import {
  type LockOwner,
  type LockProcess,
  type LockSite,
  lockDirectoryOn,
  lockSiteOf,
} from './lock-protocol.ts';
import type { Lock } from './types.ts';

const lockedInProcess = new Set<string>();
let tempCounter = 0;

// Each call looks fsp up when made (tests replace node:fs's functions to stage races).
const nodeSite: LockSite = lockSiteOf({
  writeFile: (path, data) => fsp.writeFile(path, data),
  link: (existing, target) => fsp.link(existing, target),
  readFile: (path) => fsp.readFile(path),
  unlink: (path) => fsp.unlink(path),
});

let self: LockOwner | null = null;

/** This process, as its LOCK line names it (computed once: none of it changes). */
function thisProcess(): LockOwner {
  self ??= { pid: process.pid, boot: bootId(), start: startTicks(process.pid) };
  return self;
}

/** This process as lock-protocol.ts sees it (also for filesystems that emulate on a real one). */
export const nodeProcess: LockProcess = {
  get self() {
    return thisProcess();
  },
  alive: (owner) => {
    const me = thisProcess();
    if (owner.boot !== '-' && me.boot !== '-' && owner.boot !== me.boot) return false; // an earlier boot
    if (!processAlive(owner.pid)) return false;
    if (owner.start === '-') return true;
    const start = startTicks(owner.pid);
    return start === '-' || start === owner.start; // another start time: the pid was reused
  },
  tempName: () => `LOCK.${process.pid}.${tempCounter++}.tmp`,
};

export async function lockDirectory(dir: string): Promise<Lock> {
  // One key per directory, whatever path (or symlink) names it; throws ENOENT/ENOTDIR as is.
  const key = realpathSync(dir);
  return lockDirectoryOn(nodeSite, nodeProcess, lockedInProcess, key, dir);
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function bootId(): string {
  try {
    const id = readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim();
    return /^[0-9a-f-]{1,64}$/.test(id) ? id : '-';
  } catch {
    return '-';
  }
}

/** Field 22 of /proc/<pid>/stat (after the command name, which may hold spaces and parens). */
function startTicks(pid: number): string {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const field = stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19];
    return field !== undefined && /^[0-9]{1,20}$/.test(field) ? field : '-';
  } catch {
    return '-';
  }
}
