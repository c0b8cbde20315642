// The writer lock protocol (src/fs/lock-protocol.ts): mutual exclusion under every
// interleaving of contenders that break a stale lock (some of them dying mid-way), a LOCK left
// by a crash in any state the persistence model allows, and pid reuse on a real directory.

import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import {
  breakLockName,
  formatOwner,
  type LockOwner,
  type LockProcess,
  lockDirectoryOn,
  lockSiteOf,
  parseOwner,
} from '../src/fs/lock-protocol.ts';
import { NodeFileSystem } from '../src/fs/node-fs.ts';
import { Database } from '../src/index.ts';
import { OUTCOME_KINDS, enumerateOutcomes } from '../faults/disk/crash-outcome.ts';
import { PowerLossFileSystem } from '../faults/disk/power-loss-fs.ts';
import { SimFs } from '../faults/disk/sim-fs.ts';
import { makeTempDir, removeTempDirs } from './support/temp-dirs.ts';
import { ownerLine } from './support/lock-owner.ts';

afterAll(removeTempDirs);

const enc = (text: string): Uint8Array => new TextEncoder().encode(text);
const put = (key: string, value: string) => ({
  type: 'put' as const,
  key: enc(key),
  value: enc(value),
});
const errnoError = (code: string) => Object.assign(new Error(code), { code });
const never = <T>(): Promise<T> => new Promise<T>(() => undefined);

/** An in-memory directory: each call takes effect when the scheduler lets it, or never once `dies`. */
function memoryFiles(files: Map<string, Uint8Array>, s: fc.Scheduler, dies: () => boolean) {
  const op =
    <A extends unknown[], R>(label: string, body: (...args: A) => R) =>
    (...args: A): Promise<R> =>
      dies()
        ? never()
        : s.schedule(Promise.resolve(label)).then(() => (dies() ? never<R>() : body(...args)));
  return lockSiteOf({
    writeFile: op('writeFile', (path: string, data: Uint8Array) => {
      files.set(path, data);
    }),
    link: op('link', (from: string, to: string) => {
      const data = files.get(from);
      if (data === undefined) throw errnoError('ENOENT');
      if (files.has(to)) throw errnoError('EEXIST');
      files.set(to, data);
    }),
    readFile: op('readFile', (path: string) => {
      const data = files.get(path);
      if (data === undefined) throw errnoError('ENOENT');
      return data;
    }),
    unlink: op('unlink', (path: string) => {
      if (!files.delete(path)) throw errnoError('ENOENT');
    }),
  });
}

const line = (pid: number, boot = 'b'): Uint8Array => enc(`${pid} ${boot} 1\n`);

describe('the lock protocol under every interleaving', () => {
  it('never lets two live processes hold the lock, whatever stale LOCK and dead breakers they find', async () => {
    const staleArb = fc.constantFrom(
      enc(''),
      enc('4'),
      enc('99 b'),
      new Uint8Array(6),
      line(99), // a dead pid
      line(1, 'a'), // contender 1's pid, in an earlier boot
      enc('99\n'), // the old format
    );
    await fc.assert(
      fc.asyncProperty(
        fc.scheduler(),
        fc.integer({ min: 2, max: 4 }),
        staleArb,
        fc.nat(2),
        fc.array(
          fc.oneof(
            { weight: 3, arbitrary: fc.constant(undefined) }, // runs to the end
            { weight: 1, arbitrary: fc.nat(20) }, // dies after that many operations
          ),
          { minLength: 4, maxLength: 4 },
        ),
        async (s, contenders, stale, deadLevels, deathAfterOps) => {
          const files = new Map<string, Uint8Array>([['/d/LOCK', stale]]);
          for (let level = 0; level < deadLevels; level++)
            files.set(`/d/${breakLockName(level)}`, line(98));
          const dead = new Set<number>();
          const holders = new Set<number>();
          let maxHolders = 0;
          const run = async (pid: number): Promise<void> => {
            let ops = 0;
            const dieAt = deathAfterOps[pid - 1];
            const dies = (): boolean => {
              if (dieAt !== undefined && ops++ >= dieAt) {
                dead.add(pid);
                holders.delete(pid);
              }
              return dead.has(pid);
            };
            let temps = 0;
            const proc: LockProcess = {
              self: { pid, boot: 'b', start: '1' },
              alive: (o: LockOwner) =>
                o.boot === 'b' && o.start === '1' && o.pid <= contenders && !dead.has(o.pid),
              tempName: () => `LOCK.${pid}.${temps++}.tmp`,
            };
            const site = memoryFiles(files, s, dies);
            try {
              const lock = await lockDirectoryOn(site, proc, new Set(), '/d', '/d');
              holders.add(pid);
              maxHolders = Math.max(maxHolders, holders.size);
              await s.schedule(Promise.resolve('hold'));
              holders.delete(pid);
              await lock.release();
            } catch (error) {
              expect((error as { code?: string }).code).toBe('ELOCKED');
            }
          };
          const settled = new Set<number>();
          for (let pid = 1; pid <= contenders; pid++) void run(pid).then(() => settled.add(pid));
          // Each wave releases what is scheduled; a run may schedule more after a wave ends.
          for (let wave = 0; wave < 100; wave++) {
            await s.waitAll();
            if (settled.size + dead.size >= contenders) break;
          }
          expect(settled.size + dead.size).toBe(contenders);
          expect(maxHolders).toBeLessThanOrEqual(1);
          if (dead.size === 0) {
            // Nothing but dead breakers' levels may stay: no LOCK, no temp file.
            const left = [...files.keys()].filter(
              (name) => !/^\/d\/LOCK\.break(\.\d+)?$/.test(name),
            );
            expect(left).toEqual([]);
          }
        },
      ),
      { numRuns: Number(process.env.LOCK_RUNS ?? 300), seed: 20261127, verbose: 1 },
    );
  });
});

describe('owner lines', () => {
  it('parse only whole: a newline-ended pid, with boot id and start time or alone', () => {
    expect(parseOwner(enc('12 b 3\n'))).toEqual({ pid: 12, boot: 'b', start: '3' });
    expect(parseOwner(enc('12\n'))).toEqual({ pid: 12, boot: '-', start: '-' });
    for (const cut of ['', '12', '12 b 3', '12 b\n', '0\n', '9999999999999999\n', ' 12\n'])
      expect(parseOwner(enc(cut))).toBeNull();
    expect(parseOwner(new Uint8Array(161).fill(0x31))).toBeNull();
    expect(formatOwner({ pid: 12, boot: 'b', start: '3' })).toBe('12 b 3\n');
    expect(() => formatOwner({ pid: 12, boot: 'two words', start: '3' })).toThrow(RangeError);
  });

  it('a stale LOCK behind as many dead breakers as there are break levels is refused, naming them', async () => {
    const files = new Map<string, Uint8Array>([['/d/LOCK', enc('')]]);
    for (let level = 0; level < 8; level++) files.set(`/d/${breakLockName(level)}`, line(98));
    const site = lockSiteOf({
      writeFile: async (path, data) => void files.set(path, data),
      link: async (from, to) => {
        if (files.has(to)) throw errnoError('EEXIST');
        files.set(to, files.get(from)!);
      },
      readFile: async (path) => files.get(path) ?? Promise.reject(errnoError('ENOENT')),
      unlink: async (path) => void (files.delete(path) || Promise.reject(errnoError('ENOENT'))),
    });
    const proc: LockProcess = {
      self: { pid: 1, boot: 'b', start: '1' },
      alive: () => false,
      tempName: () => 'LOCK.1.tmp',
    };
    await expect(lockDirectoryOn(site, proc, new Set(), '/d', '/d')).rejects.toMatchObject({
      code: 'ELOCKED',
      message: expect.stringContaining('8 breakers of a stale lock that died mid-way'),
    });
    expect(files.has('/d/LOCK.1.tmp')).toBe(false);
  });
});

describe('the lock protocol, one interleaving scripted', () => {
  it('two breakers that both find a dead LOCK.break never both hold the lock (clearing it, as before, let them)', async () => {
    // Each operation waits until the script lets its process go; the script below is the
    // interleaving that, when breakers cleared a dead LOCK.break, gave both the lock: 1 clears
    // it and takes LOCK.break, 2 (which had read the dead one) clears 1's, both break the
    // stale LOCK, 1 takes LOCK, 2 unlinks it and takes it too.
    const files = new Map<string, Uint8Array>([
      ['/d/LOCK', enc('')],
      ['/d/LOCK.break', line(98)],
    ]);
    const waiting = new Map<number, () => void>();
    const siteOf = (pid: number) => {
      const op =
        <A extends unknown[], R>(body: (...args: A) => R) =>
        (...args: A): Promise<R> =>
          new Promise<void>((go) => waiting.set(pid, go)).then(() => body(...args));
      return lockSiteOf({
        writeFile: op((path: string, data: Uint8Array) => void files.set(path, data)),
        link: op((from: string, to: string) => {
          if (files.has(to)) throw errnoError('EEXIST');
          files.set(to, files.get(from)!);
        }),
        readFile: op((path: string) => {
          const data = files.get(path);
          if (data === undefined) throw errnoError('ENOENT');
          return data;
        }),
        unlink: op((path: string) => {
          if (!files.delete(path)) throw errnoError('ENOENT');
        }),
      });
    };
    const holders = new Set<number>();
    let maxHolders = 0;
    const run = async (pid: number): Promise<void> => {
      let temps = 0;
      const proc: LockProcess = {
        self: { pid, boot: 'b', start: '1' },
        alive: (o) => o.boot === 'b' && o.pid <= 2,
        tempName: () => `LOCK.${pid}.${temps++}.tmp`,
      };
      try {
        const lock = await lockDirectoryOn(siteOf(pid), proc, new Set(), '/d', '/d');
        holders.add(pid);
        maxHolders = Math.max(maxHolders, holders.size);
        await new Promise<void>((go) => waiting.set(pid, go)); // holds until let go
        holders.delete(pid);
        await lock.release();
      } catch (error) {
        expect((error as { code?: string }).code).toBe('ELOCKED');
      }
    };
    const settle = () => new Promise((resolve) => setImmediate(resolve));
    const step = async (pid: number): Promise<void> => {
      await settle();
      const go = waiting.get(pid);
      waiting.delete(pid);
      go?.();
      await settle();
    };
    const runs = Promise.all([run(1), run(2)]);
    const script = [
      1, 2, 1, 1, 1, 1, 2, 2, 2, 2, 1, 1, 1, 1, 2, 2, 2, 2, 2, 1, 1, 1, 1, 1, 2, 2, 2, 2,
    ];
    for (const pid of script) await step(pid);
    for (let i = 0; i < 200 && waiting.size > 0; i++) await step(i % 2 === 0 ? 1 : 2);
    await runs;
    expect(maxHolders).toBe(1);
  });
});

describe('a LOCK left by a crash', () => {
  const DB = '/db';

  /** A SimFs run of open, one write and close, traced. */
  async function tracedRun(): Promise<SimFs> {
    const fs = new SimFs();
    const db = await Database.open(DB, { fs });
    await db.write([put('k', 'v')]);
    await db.close();
    return fs;
  }

  it('crash after LOCK is linked and its directory synced, before its content is: the writable open succeeds (LazyFS found this)', async () => {
    const trace = (await tracedRun()).trace;
    const linked = trace.findIndex((e) => e.op === 'link' && e.to === `${DB}/LOCK`);
    const synced = trace.findIndex((e, i) => i > linked && e.op === 'syncDir' && e.path === DB);
    expect(linked).toBeGreaterThanOrEqual(0);
    expect(synced).toBeGreaterThan(linked);
    const fs = new SimFs({ crashAt: { opIndex: synced, when: 'after' } });
    await Database.open(DB, { fs })
      .then((db) => db.close())
      .catch(() => undefined);
    expect(fs.crashed).toBe(true);
    const image = fs.crashImage({ kind: 'lose-unsynced' });
    expect(image.durableView().get(`${DB}/LOCK`)).toEqual(new Uint8Array(0)); // the name, not the line
    const db = await Database.open(DB, { fs: image });
    await db.write([put('k', 'w')]);
    await db.close();
  });

  it('at every crash point of open, write and close, under every outcome kind, the next writable open succeeds', async () => {
    const total = (await tracedRun()).opCount;
    let images = 0;
    for (let opIndex = 0; opIndex < total; opIndex++) {
      for (const when of ['before', 'after'] as const) {
        const fs = new SimFs({ crashAt: { opIndex, when } });
        await tracedRunOn(fs).catch(() => undefined);
        for (const kind of OUTCOME_KINDS.filter((k) => k !== 'bit-rot')) {
          for (const outcome of enumerateOutcomes(fs, kind, 8)) {
            const image = fs.crashImage(outcome);
            images++;
            const db = await Database.open(DB, { fs: image }).catch((error: unknown) => {
              throw new Error(
                `crash ${when} op ${opIndex} with ${JSON.stringify(outcome)}: ${String(error)}`,
              );
            });
            await db.close();
          }
        }
      }
    }
    expect(images).toBeGreaterThan(total);
  });

  async function tracedRunOn(fs: SimFs): Promise<void> {
    const db = await Database.open(DB, { fs });
    await db.write([put('k', 'v')]);
    await db.close();
  }

  it('PowerLossFileSystem keeps LOCK volatile: a killed engine leaves an empty LOCK on disk, and the next process opens', async () => {
    const dir = await makeTempDir('lock-power-loss');
    const emulated = new PowerLossFileSystem();
    const killed = await Database.open(dir, { fs: emulated });
    await killed.write([put('k', 'v')]);
    // The process dies here (never closed): the disk holds what a power cut leaves.
    expect(await readFile(join(dir, 'LOCK'))).toEqual(Buffer.alloc(0));
    const db = await Database.open(dir, { fs: new NodeFileSystem() });
    expect(await readFile(join(dir, 'LOCK'), 'utf8')).toMatch(ownerLine(process.pid));
    expect(Buffer.from((await db.get(enc('k')))!).toString()).toBe('v');
    await db.close();
  });
});

describe('pid reuse on a real directory', () => {
  const parentStart = async (): Promise<string> => {
    const stat = await readFile(`/proc/${process.ppid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19]!;
  };
  const bootId = async (): Promise<string> =>
    (await readFile('/proc/sys/kernel/random/boot_id', 'utf8')).trim();
  const fs = new NodeFileSystem();

  it('a LOCK naming a live process by pid, boot and start time is refused', async () => {
    const dir = await makeTempDir('lock-live');
    await writeFile(
      join(dir, 'LOCK'),
      `${process.ppid} ${await bootId()} ${await parentStart()}\n`,
    );
    await expect(fs.lock(dir)).rejects.toMatchObject({ code: 'ELOCKED' });
  });

  it('a LOCK from an earlier boot, or from an earlier process with a live pid, is taken over', async () => {
    for (const owner of [
      `${process.ppid} 00000000-0000-0000-0000-000000000000 ${await parentStart()}`,
      `${process.ppid} ${await bootId()} ${Number(await parentStart()) + 1}`,
    ]) {
      const dir = await makeTempDir('lock-reused');
      await writeFile(join(dir, 'LOCK'), `${owner}\n`);
      const lock = await fs.lock(dir);
      expect(parseOwner(await readFile(join(dir, 'LOCK')))?.pid).toBe(process.pid);
      await lock.release();
    }
  });
});
