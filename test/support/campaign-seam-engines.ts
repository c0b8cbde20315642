// Broken engines built through the engine's public seams (the filesystem it is given, and
// the database object it returns), each one a blind spot of the crash campaign that an
// independent review found: the campaign must catch every one of them.

import * as shipped from '../../src/index.ts';
import type { FileHandle, FileSystem, OpenMode, OpenOptions } from '../../src/index.ts';
import type { EngineDatabase, EngineModule } from '../../faults/engine/engine-under-test.ts';

type Open = (dir: string, options?: OpenOptions) => Promise<EngineDatabase>;

function engineOf(open: Open): EngineModule {
  return { Database: { open } as EngineModule['Database'] };
}

/** The shipped engine over a filesystem wrapped by `wrap` (made once per open). */
function overFs(wrap: (fs: FileSystem) => FileSystem): EngineModule {
  return engineOf((dir, options) =>
    shipped.Database.open(dir, {
      ...options,
      fs: wrap(options?.fs ?? new shipped.NodeFileSystem()),
    }),
  );
}

/** `target` with some methods replaced; every other one bound to the target. */
function replacing<T extends object>(target: T, replaced: Partial<Record<keyof T, unknown>>): T {
  return new Proxy(target, {
    get(t, property) {
      if (Object.hasOwn(replaced, property)) return replaced[property as keyof T];
      const value = Reflect.get(t, property) as unknown;
      return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(t) : value;
    },
  });
}

const inQuarantine = (path: string): boolean => /\/quarantine(\/|$)/.test(path);

/** Rule 8: recovery writes the quarantined tail but never syncs it (no datasync, no syncDir of quarantine/). */
export const unsyncedQuarantineEngine = overFs((fs) =>
  replacing(fs, {
    open: async (path: string, mode: OpenMode): Promise<FileHandle> => {
      const handle = await fs.open(path, mode);
      return inQuarantine(path) ? replacing(handle, { datasync: async () => undefined }) : handle;
    },
    syncDir: async (path: string) => (inQuarantine(path) ? undefined : fs.syncDir(path)),
  }),
);

const TAIL_NAME = /^(.*)\/quarantine\/(\d{20}\.wal)\.(\d+)\.tail/;

/** Rule 8: recovery truncates (and syncs) the segment before it saves the tail to quarantine/. */
export const truncateFirstEngine = overFs((fs) =>
  replacing(fs, {
    open: async (path: string, mode: OpenMode): Promise<FileHandle> => {
      const tail = TAIL_NAME.exec(path);
      if (tail !== null && mode === 'create') {
        const segment = await fs.open(`${tail[1]}/${tail[2]}`, 'write');
        await segment.truncate(Number(tail[3]));
        await segment.datasync();
        await segment.close();
      }
      return fs.open(path, mode);
    },
  }),
);

/** Rule 8: recovery deletes what older recoveries quarantined before it saves a new tail. */
export const purgeQuarantineEngine = overFs((fs) =>
  replacing(fs, {
    open: async (path: string, mode: OpenMode): Promise<FileHandle> => {
      const tail = TAIL_NAME.exec(path);
      if (tail !== null && mode === 'create') {
        const quarantine = `${tail[1]}/quarantine`;
        for (const name of await fs.list(quarantine)) await fs.unlink(`${quarantine}/${name}`);
        await fs.syncDir(quarantine);
      }
      return fs.open(path, mode);
    },
  }),
);

/**
 * Rule 1 on a retried open: once a directory fsync failed on a filesystem, later ones
 * silently do nothing (an engine that remembers "already synced" although the sync failed).
 */
export const syncDirOnceEngine = ((): EngineModule => {
  const failed = new WeakSet<FileSystem>();
  return overFs((fs) =>
    replacing(fs, {
      syncDir: async (path: string) => {
        if (failed.has(fs)) return;
        try {
          await fs.syncDir(path);
        } catch (error) {
          failed.add(fs);
          throw error;
        }
      },
    }),
  );
})();

/**
 * Rule 5: a write or fsync failure poisons the filesystem for the rest of the process, so a
 * database reopened after it (which recovery made whole again) still refuses every write.
 */
export const stickyFailureEngine = ((): EngineModule => {
  const poisoned = new WeakSet<FileSystem>();
  const failing = async <T>(fs: FileSystem, call: () => Promise<T>): Promise<T> => {
    try {
      return await call();
    } catch (error) {
      if (['EIO', 'ENOSPC'].includes((error as { code?: string }).code ?? '')) poisoned.add(fs);
      throw error;
    }
  };
  return engineOf(async (dir, options) => {
    const fs = options?.fs ?? new shipped.NodeFileSystem();
    const watched = replacing(fs, {
      open: async (path: string, mode: OpenMode) => {
        const handle = await fs.open(path, mode);
        return replacing(handle, {
          write: (data: Uint8Array, position: number) =>
            failing(fs, () => handle.write(data, position)),
          datasync: () => failing(fs, () => handle.datasync()),
        });
      },
    });
    const db = await shipped.Database.open(dir, { ...options, fs: watched });
    return replacing(db, {
      write: (batch: Parameters<EngineDatabase['write']>[0]) =>
        poisoned.has(fs)
          ? Promise.reject(new shipped.WalError('IO', 'an earlier write failed in this process'))
          : db.write(batch),
    });
  });
})();

/** Rule 4: get ignores the snapshot and reads the latest state. */
export const snapshotBlindGetEngine = engineOf(async (dir, options) => {
  const db = await shipped.Database.open(dir, options);
  return replacing(db, { get: (key: Uint8Array) => db.get(key) });
});

/** Rule 8: a read-only open that finds a torn tail applies recovery anyway (quarantines the tail). */
export const readOnlyRepairsEngine = engineOf(async (dir, options) => {
  const db = await shipped.Database.open(dir, options);
  if (options?.readOnly !== true || db.recovery.actions.length === 0) return db;
  await db.close();
  await (await shipped.Database.open(dir, { ...options, readOnly: false })).close();
  return shipped.Database.open(dir, options);
});

/** Rule 2: a strict open refuses every non-empty log, naming a place where nothing is wrong. */
export const strictRefusesAnyLogEngine = engineOf(async (dir, options) => {
  const db = await shipped.Database.open(dir, options);
  if (options?.recovery !== 'strict' || db.lastSeq === 0) return db;
  await db.close();
  throw Object.assign(new shipped.WalError('CORRUPT', 'strict: refusing'), {
    segment: '00000000000000000001.wal',
    offset: 0,
    reason: 'checksum-mismatch',
  });
});
