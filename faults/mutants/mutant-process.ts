// A bug-zoo variant as a process that speaks the engine protocol (`CMD load <dir>`, `CMD scan
// <dir>`): `walcheck audit` records real system calls, so a variant of src/fs/node-fs.ts (the
// flags passed to the kernel, which the simulated filesystems never see) is caught only there.
//
// The patched src/ (mutant-engine.ts) is copied once more, next to walcheck's own scripts/,
// faults/ and model/ and its package.json, into <copy>/process/: `scripts/walcheck.ts` there
// imports the patched engine by the same relative paths as the shipped one. Written once per
// version of the sources, privately and renamed into place, like the engine copy.

import { randomBytes } from 'node:crypto';
import { cp, rename, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { materializeMutant, PROJECT_ROOT } from './mutant-engine.ts';
import type { Mutant } from './mutant.ts';

/** What `scripts/walcheck.ts load|scan` needs besides src/. */
const HARNESS_PARTS = ['scripts', 'faults', 'model', 'package.json'];

/** The root of a tree whose scripts/walcheck.ts runs the mutant's engine. */
export async function materializeMutantProcess(mutant: Mutant): Promise<string> {
  const copy = await materializeMutant(mutant);
  const tree = join(copy, 'process');
  if ((await stat(join(tree, 'scripts')).catch(() => null)) !== null) return tree;
  const scratch = join(copy, `.process-${process.pid}-${randomBytes(4).toString('hex')}`);
  try {
    await cp(join(copy, 'src'), join(scratch, 'src'), { recursive: true });
    for (const part of HARNESS_PARTS)
      await cp(join(PROJECT_ROOT, part), join(scratch, part), { recursive: true });
    await rename(scratch, tree);
  } catch (error) {
    await rm(scratch, { recursive: true, force: true });
    const code = (error as NodeJS.ErrnoException).code;
    if (code !== 'EEXIST' && code !== 'ENOTEMPTY') throw error; // another process was first
  }
  return tree;
}
