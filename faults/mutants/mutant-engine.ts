// Loads a variant of the bug zoo (zoo.ts) as an EngineModule: the engine's src/ is copied to
// <project>/.tmp/mutants/<name>/<hash>/src/ with the variant's edits applied, then imported.
//
// The copy lives under the project so that its package imports (@node-rs/crc32) resolve from
// the project's node_modules; .tmp/ is git-ignored. The directory is named by a hash of the
// patched sources: a copy is written once per version of src/, and processes running at the
// same time share it (each writes a private directory and renames it into place, so nobody
// ever imports a half-written copy).

import { createHash, randomBytes } from 'node:crypto';
import { mkdir, readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { EngineModule } from '../engine/engine-under-test.ts';
import type { Mutant } from './mutant.ts';

export const PROJECT_ROOT = fileURLToPath(new URL('../../', import.meta.url));
export const MUTANTS_DIR = join(PROJECT_ROOT, '.tmp', 'mutants');

/** The engine's files under the project root; only these are copied. */
const ENGINE_DIR = 'src';
/** Files in src/ at most (a guard against walking into something huge by mistake). */
const ENGINE_FILES_MAX = 1000;
/** Copies of older versions of src/ are removed once they are this old. */
const STALE_COPY_MS = 10 * 60 * 1000;

/** A patch that no longer applies to the current src/: the zoo must be updated with it. */
export class PatchError extends Error {
  constructor(
    readonly mutant: string,
    message: string,
  ) {
    super(`mutant ${mutant}: ${message}`);
    this.name = 'PatchError';
  }
}

/** Every file of src/ as text, keyed by its path from the project root ('src/db/log-writer.ts'). */
export async function readEngineSources(root: string = PROJECT_ROOT): Promise<Map<string, string>> {
  const sources = new Map<string, string>();
  const pending = [ENGINE_DIR];
  while (pending.length > 0) {
    const dir = pending.pop()!;
    for (const entry of await readdir(join(root, dir), { withFileTypes: true })) {
      const path = `${dir}/${entry.name}`;
      if (entry.isDirectory()) pending.push(path);
      else if (entry.isFile()) sources.set(path, await readFile(join(root, path), 'utf8'));
      if (sources.size > ENGINE_FILES_MAX)
        throw new Error(`${ENGINE_DIR}/ holds more than ${ENGINE_FILES_MAX} files`);
    }
  }
  return sources;
}

/** The sources with the mutant's edits applied, in order; throws PatchError unless each `find` occurs exactly once. */
export function applyEdits(
  sources: ReadonlyMap<string, string>,
  mutant: Mutant,
): Map<string, string> {
  const patched = new Map(sources);
  if (mutant.edits.length === 0) throw new PatchError(mutant.name, 'has no edits');
  for (const [i, edit] of mutant.edits.entries()) {
    const text = patched.get(edit.file);
    if (text === undefined)
      throw new PatchError(mutant.name, `edit ${i}: ${edit.file} does not exist`);
    const occurrences = edit.find.length === 0 ? 0 : text.split(edit.find).length - 1;
    if (occurrences !== 1) {
      throw new PatchError(
        mutant.name,
        `edit ${i}: the text to replace occurs ${occurrences} times in ${edit.file}, not once:\n${edit.find}`,
      );
    }
    patched.set(
      edit.file,
      text.replace(edit.find, () => edit.replace),
    );
  }
  return patched;
}

/** Hash of a set of sources, for the copy's directory name. */
export function sourcesHash(sources: ReadonlyMap<string, string>): string {
  const hash = createHash('sha256');
  for (const path of [...sources.keys()].sort()) hash.update(`${path}\0${sources.get(path)}\0`);
  return hash.digest('hex').slice(0, 16);
}

/** Writes (or finds) the patched copy of src/ for `mutant`; returns the directory holding its src/. */
export async function materializeMutant(
  mutant: Mutant,
  sources?: ReadonlyMap<string, string>,
): Promise<string> {
  const patched = applyEdits(sources ?? (await readEngineSources()), mutant);
  const home = join(MUTANTS_DIR, mutant.name);
  const dir = join(home, sourcesHash(patched));
  if ((await stat(join(dir, ENGINE_DIR)).catch(() => null)) !== null) return dir;
  const scratch = join(home, `.partial-${process.pid}-${randomBytes(4).toString('hex')}`);
  try {
    for (const [path, text] of patched) {
      await mkdir(dirname(join(scratch, path)), { recursive: true });
      await writeFile(join(scratch, path), text);
    }
    await rename(scratch, dir);
  } catch (error) {
    await rm(scratch, { recursive: true, force: true });
    const code = (error as NodeJS.ErrnoException).code;
    if (code !== 'EEXIST' && code !== 'ENOTEMPTY') throw error; // else another process renamed its copy first
  }
  await pruneStaleCopies(home, dir);
  return dir;
}

/** Copies of older versions of src/ (best effort: another process may be using or removing them). */
async function pruneStaleCopies(home: string, keep: string): Promise<void> {
  const now = Date.now();
  for (const name of await readdir(home).catch(() => [])) {
    const path = join(home, name);
    if (path === keep) continue;
    const info = await stat(path).catch(() => null);
    if (info !== null && now - info.mtimeMs > STALE_COPY_MS)
      await rm(path, { recursive: true, force: true }).catch(() => {});
  }
}

const loaded = new Map<string, Promise<EngineModule>>();

/** The mutant's engine, imported from its patched copy (once per process). */
export function loadMutantEngine(mutant: Mutant): Promise<EngineModule> {
  let engine = loaded.get(mutant.name);
  if (engine === undefined) {
    engine = importCopy(mutant);
    loaded.set(mutant.name, engine);
    engine.catch(() => loaded.delete(mutant.name));
  }
  return engine;
}

async function importCopy(mutant: Mutant): Promise<EngineModule> {
  const dir = await materializeMutant(mutant);
  const module = (await import(
    pathToFileURL(join(dir, ENGINE_DIR, 'index.ts')).href
  )) as Partial<EngineModule>;
  if (typeof module.Database?.open !== 'function')
    throw new PatchError(mutant.name, `the patched copy in ${dir} exports no Database`);
  return module as EngineModule;
}
