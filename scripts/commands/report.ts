// walcheck report: regenerate REPORT.md from real runs.

import { JSON_OPTION } from '../cli/args.ts';
import { writeFileSync } from 'node:fs';
import { tally } from '../../faults/mutants/run-mutants.ts';
import { CHECKOUT_ONLY, requireCheckout } from '../cli/checkout.ts';
import { defineCommand, EXIT_FOUND, EXIT_OK } from '../cli/command.ts';
import { LineWriter } from '../cli/output.ts';
import { Progress } from '../cli/progress.ts';
import { collect, FULL_BUDGETS, QUICK_BUDGETS, type ReportData } from '../report/collect.ts';
import { renderReport } from '../report/render.ts';
import { auditProblems } from '../report/audit-render.ts';

export const command = defineCommand(
  {
    name: 'report',
    description: `
Runs everything REPORT.md states and writes it: the golden vectors, a crash campaign of
${FULL_BUDGETS.campaignRuns.toLocaleString('en-US')} scenarios and one of ${FULL_BUDGETS.bitRotRuns.toLocaleString('en-US')} with bit rot, explore, process kills on the
real filesystem (plain, power-loss, damage), the bug zoo, the benchmarks, and the LevelDB
black-box audit, the power-loss audits (our engine, SQLite FULL/OFF, LevelDB); with the
environment, the date and the command behind each number. Takes about 9 minutes on 2 cores
(4 of them the audits); --quick uses small budgets (for trying it out; do not commit a quick
report). ${CHECKOUT_ONLY}

Exit status: 0 everything held, 1 a violation on the engine or a mutant not caught, 3 usage error.`,
    positionals: [],
    options: {
      out: {
        type: 'string',
        valueName: 'FILE',
        description: 'where to write the report',
        default: 'REPORT.md',
      },
      quick: { type: 'boolean', description: 'small budgets' },
      json: JSON_OPTION,
    },
  },
  async (args) => {
    requireCheckout('report', 'it runs the bug zoo and reads the golden vectors of test/');
    const progress = new Progress();
    const data = await collect(args.flag('quick') ? QUICK_BUDGETS : FULL_BUDGETS, (line) =>
      progress.step(line),
    );
    const file = args.string('out')!;
    writeFileSync(file, renderReport(data));
    const problems = problemsOf(data);
    const out = new LineWriter();
    out.line(`wrote ${file}`);
    for (const problem of problems) out.line(`problem: ${problem}`);
    if (args.flag('json')) out.json({ file, violations: problems.length, problems });
    out.flush();
    return problems.length === 0 ? EXIT_OK : EXIT_FOUND;
  },
);

function problemsOf(data: ReportData): string[] {
  const problems: string[] = [];
  const count =
    data.campaign.result.violations.length + data.campaignBitRot.result.violations.length;
  if (count > 0) problems.push(`${count} crash campaign violation(s)`);
  if (data.explore.result.violations.length > 0)
    problems.push(`${data.explore.result.violations.length} explore violation(s)`);
  for (const run of data.real)
    if (run.result.violations > 0)
      problems.push(`real: ${run.label}: ${run.result.violations} violation(s)`);
  for (const vector of data.vectors.result)
    if (!vector.ok) problems.push(`vector ${vector.name}: ${vector.problem}`);
  const t = tally(data.mutants.result);
  if (t.escaped.length > 0) problems.push(`mutants not caught: ${t.escaped.join(', ')}`);
  if (t.correctOk === false) problems.push('the correct engine failed the mutants budgets');
  problems.push(...auditProblems(data.audits));
  return problems;
}
