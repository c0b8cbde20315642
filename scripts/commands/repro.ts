// walcheck repro <token>: replays the exact scenario a crash campaign reported.

import { reproduce } from '../../faults/campaign/repro.ts';
import { loadMutantEngine } from '../../faults/mutants/mutant-engine.ts';
import { mutantNamed } from '../../faults/mutants/zoo.ts';
import { JSON_OPTION, UsageError } from '../cli/args.ts';
import { requireCheckout } from '../cli/checkout.ts';
import { defineCommand, EXIT_FOUND, EXIT_OK } from '../cli/command.ts';
import { LineWriter } from '../cli/output.ts';

export const command = defineCommand(
  {
    name: 'repro',
    description: `
Regenerates the scenario named by <token> (printed with every violation by 'walcheck crash'
and by the test suite), runs it on this code with operation traces on, and prints the same
report. The token holds the engine variant it failed on (the shipped engine or a bug-zoo
mutant), the campaign's outcomes and sizes, the run's seed, fast-check's path to the shrunk
counterexample and a check of the scenario, so it needs no files; it replays on the same
code. A token that does not decode to a scenario of this version (malformed, printed by
another version, mistyped) is refused, and so is a mutant's token without its --mutant
(or the shipped engine's with one): a replay of something else would pass.

Exit status: 0 the scenario passes now, 1 it still violates a rule, 3 bad token or usage.`,
    positionals: [{ name: 'token', description: 'a repro token (w2.…)' }],
    options: {
      mutant: {
        type: 'string',
        valueName: 'NAME',
        description:
          'replay on a bug-zoo variant (as printed by walcheck mutants) instead of the engine; needs a checkout',
      },
      json: JSON_OPTION,
    },
  },
  async (args) => {
    const token = args.positional('token')!;
    const mutantName = args.string('mutant');
    let target = {};
    if (mutantName !== undefined) {
      requireCheckout(
        'repro --mutant',
        'the variant is a patched copy of the TypeScript sources of src/',
      );
      const mutant = mutantNamed(mutantName);
      if (mutant === undefined)
        throw new UsageError(
          `--mutant: no bug-zoo variant named '${mutantName}' (see walcheck mutants --help)`,
        );
      target = { engine: await loadMutantEngine(mutant), variant: mutant.name };
    }
    const result = await reproduce(token, target); // a bad token: HarnessInputError, exit 3
    const out = new LineWriter();
    out.line(result.report);
    const verdict = result.violation?.verdict;
    if (args.flag('json'))
      out.json({ token, violations: verdict === undefined ? 0 : 1, rule: verdict?.rule ?? null });
    out.flush();
    return result.violation === null ? EXIT_OK : EXIT_FOUND;
  },
);
