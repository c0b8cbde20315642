// Real temporary directories for tests: create, copy into, snapshot every byte, remove.
// Copies are written fresh (never cp with modes), so a copy of a read-only source is writable.

import { mkdtemp, readdir, readFile, rm, stat, writeFile, mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const created: string[] = [];

/** A new empty directory under the OS temp dir; removed by removeTempDirs. */
export async function makeTempDir(label: string): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), `walcheck-${label}-`));
  created.push(dir);
  return dir;
}

/** Removes every directory makeTempDir created (call from afterAll/afterEach). */
export async function removeTempDirs(): Promise<void> {
  for (const dir of created.splice(0)) await rm(dir, { recursive: true, force: true });
}

/** Copies the tree at `from` into `to` (created if missing); a missing `from` copies as empty. */
export async function copyTree(from: string, to: string): Promise<void> {
  await mkdir(to, { recursive: true });
  const fromStat = await stat(from).catch(() => null);
  if (fromStat === null) return;
  for (const entry of await readdir(from, { withFileTypes: true })) {
    const source = join(from, entry.name);
    const target = join(to, entry.name);
    if (entry.isDirectory()) await copyTree(source, target);
    else await writeFile(target, await readFile(source));
  }
}

/**
 * Every file and directory under `dir` by relative path: a directory maps to the string
 * 'dir', a file to its bytes in hex, so two snapshots compare with toEqual.
 */
export async function snapshotTree(dir: string): Promise<Record<string, string>> {
  const tree: Record<string, string> = {};
  async function walk(path: string, prefix: string): Promise<void> {
    const entries = await readdir(path, { withFileTypes: true });
    entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    for (const entry of entries) {
      const relative = prefix === '' ? entry.name : `${prefix}/${entry.name}`;
      if (entry.isDirectory()) {
        tree[`${relative}/`] = 'dir';
        await walk(join(path, entry.name), relative);
      } else {
        tree[relative] = (await readFile(join(path, entry.name))).toString('hex');
      }
    }
  }
  await walk(dir, '');
  return tree;
}
