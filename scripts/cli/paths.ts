// Checking a path argument up front, so that a typo gives "no such directory" (exit 3)
// rather than an engine error or, worse, an empty database that looks clean.

import { stat } from 'node:fs/promises';
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
