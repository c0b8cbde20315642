// Broken engines built through the engine's public seam (the filesystem it is given), for
// tests that must show the harness catches a bug. The bug zoo proper (faults/mutants/)
// patches copies of src/; these need no copy.

import * as shipped from '../../src/index.ts';
import type { FileHandle, FileSystem, OpenOptions } from '../../src/index.ts';
import type { EngineModule } from '../../faults/engine/engine-under-test.ts';

/**
 * The engine over a filesystem whose datasync does nothing and whose O_DSYNC opens are plain
 * opens: it acknowledges before durability.
 */
export const noSyncEngine: EngineModule = {
  Database: {
    open: (dir: string, options?: OpenOptions) =>
      shipped.Database.open(dir, {
        ...options,
        fs: withoutDatasync(options?.fs ?? new shipped.NodeFileSystem()),
      }),
  } as EngineModule['Database'],
};

function withoutDatasync(fs: FileSystem): FileSystem {
  return new Proxy(fs, {
    get(target, property) {
      if (property === 'open') {
        return async (
          path: string,
          mode: Parameters<FileSystem['open']>[1],
        ): Promise<FileHandle> => {
          const plain =
            mode === 'write-dsync' ? 'write' : mode === 'create-dsync' ? 'create' : mode;
          const handle = await target.open(path, plain);
          return new Proxy(handle, {
            get(h, p) {
              if (p === 'datasync') return async () => undefined;
              const value = Reflect.get(h, p) as unknown;
              return typeof value === 'function'
                ? (value as (...a: unknown[]) => unknown).bind(h)
                : value;
            },
          });
        };
      }
      const value = Reflect.get(target, property) as unknown;
      return typeof value === 'function'
        ? (value as (...a: unknown[]) => unknown).bind(target)
        : value;
    },
  });
}
