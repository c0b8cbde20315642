// The database directory's content before a recorded run: every file and directory below it,
// read whole, in path order. Replay starts from it with everything durable.

import { readFile, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { HarnessInputError } from '../base/harness-error.ts';
import type { StartEntry } from './trace/audit-ops.ts';

/** Entries one directory tree may hold before it is refused (a bound on the walk). */
const START_ENTRIES_MAX = 100_000;

export async function captureStart(dir: string): Promise<StartEntry[]> {
  const entries: StartEntry[] = [];
  const walk = async (rel: string): Promise<void> => {
    const children = await readdir(join(dir, rel), { withFileTypes: true });
    children.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    for (const child of children) {
      const path = rel === '' ? child.name : `${rel}/${child.name}`;
      if (entries.length >= START_ENTRIES_MAX)
        throw new HarnessInputError(
          'BAD_OPTION',
          `${dir} holds more than ${START_ENTRIES_MAX} entries`,
        );
      if (child.isDirectory()) {
        entries.push({ kind: 'dir', path });
        await walk(path);
      } else if (child.isFile()) {
        entries.push({ kind: 'file', path, data: new Uint8Array(await readFile(join(dir, path))) });
      } else {
        throw new HarnessInputError(
          'UNMODELED',
          `${join(dir, path)} is neither a file nor a directory (symlinks and special files are not modelled)`,
        );
      }
    }
  };
  await walk('');
  return entries;
}
