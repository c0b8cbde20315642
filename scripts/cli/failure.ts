// What a failure that reached the top of `walcheck` prints, and its exit status (scripts/cli.md):
// a usage or I/O error is 3 with one line; anything unforeseen is a bug in walcheck, 4,
// with the stack and how to report it, so a CI log tells the two apart.

import { HarnessInputError } from '../../faults/base/harness-error.ts';
import { CodecError } from '../../faults/engine/protocol/codec.ts';
import { WalError } from '../../src/errors.ts';
import { UsageError } from './args.ts';
import { CliFailure, EXIT_INTERNAL, EXIT_USAGE } from './command.ts';

/** The message for stderr and the exit status of a failure of `walcheck <command>`. */
export function describeFailure(error: unknown, command: string): [string, number] {
  const prefix = command === '' ? 'walcheck' : `walcheck ${command}`;
  if (error instanceof UsageError) {
    const hint = command === '' ? "'walcheck --help'" : `'walcheck ${command} --help'`;
    return [`${prefix}: ${error.message}\nRun ${hint} for usage.`, EXIT_USAGE];
  }
  if (error instanceof CliFailure) return [`${prefix}: ${error.message}`, error.exitCode];
  if (error instanceof CodecError) return [`${prefix}: ${error.message}`, EXIT_USAGE];
  if (error instanceof HarnessInputError) return [`${prefix}: ${error.message}`, EXIT_USAGE];
  // A broken invariant of the engine is a bug, never an I/O error (src/assert.ts).
  const invariant = error instanceof WalError && error.code === 'INVARIANT';
  if (error instanceof WalError && !invariant)
    return [`${prefix}: ${error.code}: ${error.message}`, EXIT_USAGE];
  const errno = error as NodeJS.ErrnoException;
  if (typeof errno?.code === 'string' && typeof errno.syscall === 'string')
    return [`${prefix}: ${errno.message}`, EXIT_USAGE];
  // Anything else is a bug in walcheck: say so, and show where.
  return [
    `${prefix}: internal error (exit ${EXIT_INTERNAL}): this is a bug in walcheck, not a problem with your input.\n` +
      'Please report it with the command line you ran, the commit (`git rev-parse HEAD`) and the\n' +
      "text below, as an issue on the project's tracker:\n" +
      `${(error as Error)?.stack ?? String(error)}`,
    EXIT_INTERNAL,
  ];
}
