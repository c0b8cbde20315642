// Writes a crash image (relative path -> bytes, 'dir/' a directory) into a real directory, so an engine's own
// scan or load can open it; the directory must not exist or be empty.

import { mkdir, readdir, writeFile } from 'node:fs/promises';
import { dirname, join, resolve, sep } from 'node:path';
import { HarnessInputError } from '../base/harness-error.ts';
import type { DirImage } from './crash-states.ts';

export async function materialize(image: DirImage, dir: string): Promise<void> {
  const root = resolve(dir);
  await mkdir(root, { recursive: true });
  const present = await readdir(root);
  if (present.length > 0)
    throw new HarnessInputError('NOT_EMPTY', `${dir} is not empty (it holds ${present[0]}, ...)`);
  for (const path of [...image.keys()].sort()) {
    const target = resolve(root, path);
    if (!target.startsWith(root + sep))
      throw new HarnessInputError('UNMODELED', `image path ${path} leaves the directory`);
    if (path.endsWith('/')) {
      await mkdir(target, { recursive: true });
      continue;
    }
    await mkdir(dirname(target), { recursive: true });
    await writeFile(join(target), image.get(path)!);
  }
}
