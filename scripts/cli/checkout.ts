// Commands that work only in a checkout of walcheck, not in the installed package: the bug
// zoo patches and imports copies of the TypeScript sources of src/, and the report also
// reads the golden vectors of test/ and runs the CLI under tsx. The package ships neither.

import { RUNS_FROM_SOURCE } from '../../faults/base/runtime.ts';
import { CliFailure, EXIT_USAGE } from './command.ts';

/** The sentence --help shows for such a command. */
export const CHECKOUT_ONLY = 'Needs a checkout of walcheck (the installed package exits 3).';

/** Throws a usage failure (exit 3) naming what is missing unless walcheck runs from sources. */
export function requireCheckout(command: string, needs: string): void {
  if (RUNS_FROM_SOURCE) return;
  throw new CliFailure(
    EXIT_USAGE,
    `needs a checkout of walcheck (${needs}), which the installed package does not ship: ` +
      `clone the repository, npm ci, then npx tsx scripts/walcheck.ts ${command}`,
  );
}
