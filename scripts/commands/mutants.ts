// walcheck mutants: the bug zoo (faults/mutants/zoo.ts) against the crash campaign and the
// explorer; every variant must be caught, and the correct engine must pass the same budget.

import {
  BUDGET_RUNS_DEFAULT,
  CORRECT_ENGINE,
  mutantsSummary,
  type MutantRow,
  runMutants,
  SEED_DEFAULT,
  selectVariants,
  tally,
} from '../../faults/mutants/run-mutants.ts';
import { SHRINK_RUNS_MAX_DEFAULT } from '../../faults/campaign/campaign.ts';
import { MUTANTS } from '../../faults/mutants/zoo.ts';
import { JSON_OPTION, UsageError } from '../cli/args.ts';
import { checkOutputPath, junitXml, writeJunitAfter } from '../cli/junit.ts';
import { CHECKOUT_ONLY, requireCheckout } from '../cli/checkout.ts';
import { defineCommand, EXIT_FOUND, EXIT_OK } from '../cli/command.ts';
import { LineWriter } from '../cli/output.ts';
import { Progress } from '../cli/progress.ts';
import { mutantsTable, outcomeText } from '../cli/tables.ts';

export const command = defineCommand(
  {
    name: 'mutants',
    description: `
Runs the bug zoo: ${MUTANTS.length} deliberately broken variants of the engine, each a small patch
of a copy of src/ reproducing a durability bug real engines have shipped (acking before
fsync, fsyncgate, unsynced directory entries, partial batches on replay, stale reads, ...).
Each variant runs the crash campaign (seeded by --seed, at most --budget-runs scenarios)
and the exhaustive explorer (its whole workload), the one it needs first, stopping at its
first violation; then the correct engine runs both with the same budgets and must show no
violation. A campaign's counterexample is shrunk by at most ${SHRINK_RUNS_MAX_DEFAULT} replayed scenarios.
The budgets count work, not time: a seed prints the same table on any machine.

Prints a progress line per variant on stderr, then a table: variant, caught or not, the
oracle rule (model/crash-model.md section 2), the harness, scenarios until caught, seconds
(measured only; campaign seconds include shrinking), the shrunk counterexample's batches,
the bug and the repro token (replay: walcheck repro <token> --mutant <variant>, as each
report prints).
--junit FILE writes a case per variant ("<variant> is caught", "correct engine shows no
violation").
--json prints {"mutants", "caught", "escaped", "correctEngine", "ok", "rows"} as the
last line of stdout. ${CHECKOUT_ONLY}

Variants:
${wrap([...MUTANTS.map((m) => m.name), CORRECT_ENGINE].join(', ') + '.', 88)}
Exit status: 0 every mutant caught and the correct engine clean, 1 otherwise, 3 usage error.`,
    positionals: [],
    options: {
      only: {
        type: 'string',
        valueName: 'NAMES',
        description: `comma-separated variants to run ('${CORRECT_ENGINE}' is the shipped engine)`,
      },
      seed: {
        type: 'string',
        valueName: 'N',
        description: 'campaign seed',
        integer: { min: 0, max: 2 ** 31 - 1 },
        default: String(SEED_DEFAULT),
      },
      'budget-runs': {
        type: 'string',
        valueName: 'N',
        description: 'campaign scenarios per variant at most (shrinking not counted)',
        integer: { min: 1, max: 100_000_000 },
        default: String(BUDGET_RUNS_DEFAULT),
      },
      budget: {
        type: 'string',
        valueName: 'S',
        description: 'removed (it was seconds, so results depended on speed): use --budget-runs',
      },
      json: JSON_OPTION,
      junit: {
        type: 'string',
        valueName: 'FILE',
        description: 'also write a JUnit XML report to FILE (a case per variant)',
      },
    },
  },
  async (args) => {
    if (args.string('budget') !== undefined)
      throw new UsageError(
        '--budget (seconds per variant) was replaced by --budget-runs N (campaign scenarios per variant), so that the result does not depend on the machine',
      );
    requireCheckout('mutants', 'it patches and imports copies of the TypeScript sources of src/');
    const only = parseOnly(args.string('only'));
    const junit = args.string('junit');
    if (junit !== undefined) await checkOutputPath('--junit', junit);
    const progress = new Progress();
    const rows = await runMutants({
      ...(only === undefined ? {} : { only }),
      seed: args.integer('seed')!,
      budgetRuns: args.integer('budget-runs')!,
      onStart: (variant, index, total) => progress.step(`[${index + 1}/${total}] ${variant} ...`),
      onProgress: (variant, harness, line) => progress.update(`  ${variant}: ${harness}: ${line}`),
      onRow: (row) => progress.step(`  ${row.variant}: ${outcomeText(row)}`),
    });
    progress.done();
    const out = new LineWriter();
    for (const line of details(rows)) out.line(line);
    for (const line of mutantsTable(rows)) out.line(line);
    const summary = mutantsSummary(rows);
    out.line('');
    out.line(summaryLine(rows));
    if (args.flag('json')) out.json(summary);
    out.flush();
    const exit = summary.ok ? EXIT_OK : EXIT_FOUND;
    return writeJunitAfter('mutants', junit, () => mutantsJunit(rows, args.integer('seed')!), exit);
  },
);

/** `text` broken at spaces into lines of at most `width` characters, indented by 2. */
function wrap(text: string, width: number): string {
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(' ')) {
    if (line !== '' && line.length + 1 + word.length > width - 2) {
      lines.push(`  ${line}`);
      line = word;
    } else {
      line = line === '' ? word : `${line} ${word}`;
    }
  }
  if (line !== '') lines.push(`  ${line}`);
  return lines.join('\n');
}

function parseOnly(text: string | undefined): string[] | undefined {
  if (text === undefined) return undefined;
  const names = [
    ...new Set(
      text
        .split(',')
        .map((s) => s.trim())
        .filter((s) => s !== ''),
    ),
  ];
  if (names.length === 0) throw new UsageError('--only needs at least one variant name');
  try {
    selectVariants(names);
  } catch (error) {
    throw new UsageError(`--only: ${(error as Error).message}`);
  }
  return names;
}

/** Reports worth reading in full: a violation of the correct engine, and what escaped. */
function details(rows: readonly MutantRow[]): string[] {
  const lines: string[] = [];
  for (const row of rows) {
    if (row.variant === CORRECT_ENGINE && row.caught)
      lines.push(`The correct engine violates the oracle:`, row.report ?? '', '');
    if (row.variant !== CORRECT_ENGINE && !row.caught)
      lines.push(`Mutant ${row.variant} was not caught: ${outcomeText(row)}`, '');
    if (row.variant === CORRECT_ENGINE && row.error !== null)
      lines.push(`The correct engine's run did not complete: ${row.error}`, '');
  }
  return lines;
}

function summaryLine(rows: readonly MutantRow[]): string {
  const t = tally(rows);
  const correct =
    t.correctOk === null
      ? 'correct engine not run'
      : t.correctOk
        ? 'correct engine clean'
        : 'CORRECT ENGINE FAILED';
  const escaped = t.escaped.length === 0 ? '' : ` (escaped: ${t.escaped.join(', ')})`;
  return `${t.caught}/${t.mutants} mutants caught${escaped}; ${correct}`;
}

/** A case per variant: a mutant must be caught, the correct engine must show no violation. */
export function mutantsJunit(rows: readonly MutantRow[], seed: number): string {
  return junitXml(
    'walcheck mutants',
    rows.map((row) => {
      const name =
        row.variant === CORRECT_ENGINE
          ? `walcheck mutants seed ${seed}: correct engine shows no violation`
          : `walcheck mutants seed ${seed}: ${row.variant} is caught`;
      const base = { classname: 'walcheck.mutants', name, seconds: row.seconds };
      if (row.ok) return base;
      return {
        ...base,
        failure: {
          message: outcomeText(row),
          body: row.report ?? row.error ?? outcomeText(row),
        },
      };
    }),
  );
}
