// Checking a path argument up front, so that a typo gives "no such directory" (exit 3)
// rather than an engine error or, worse, an empty database that looks clean.

import { stat } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { CliFailure, EXIT_USAGE } from './command.ts';

export type PathKind = 'directory' | 'file';

export async function pathKind(path: string): Promise<PathKind> {
  try {
    const stats = await stat(path);
    if (stats.isDirectory()) return 'directory';
    if (stats.isFile()) return 'file';
    throw new CliFailure(EXIT_USAGE, `${path} is neither a file nor a directory`);
  } catch (error) {
    if (error instanceof CliFailure) throw error;
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new CliFailure(EXIT_USAGE, `${path} does not exist`);
    throw new CliFailure(EXIT_USAGE, `cannot stat ${path}: ${(error as Error).message}`);
  }
}

export async function requireDirectory(path: string): Promise<void> {
  if ((await pathKind(path)) !== 'directory')
    throw new CliFailure(EXIT_USAGE, `${path} is not a directory`);
}

/**
 * A directory that may be created, but only in a parent that exists: `load /nonexistent/x`
 * is a typo far more often than a wish for a new tree, and making its parents would hide it.
 */
export async function requireCreatableDirectory(path: string): Promise<void> {
  const kind = await pathKind(path).catch((error: unknown) => {
    if (error instanceof CliFailure && error.message === `${path} does not exist`) return null;
    throw error;
  });
  if (kind === 'file') throw new CliFailure(EXIT_USAGE, `${path} is not a directory`);
  if (kind === 'directory') return;
  const parent = dirname(resolve(path));
  const parentKind = await pathKind(parent).catch(() => null);
  if (parentKind !== 'directory')
    throw new CliFailure(
      EXIT_USAGE,
      `${path} does not exist and cannot be created: its parent ${parent} is not an existing directory (load creates the database directory, not its parents)`,
    );
}
