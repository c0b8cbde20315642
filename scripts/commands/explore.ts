// walcheck explore: every crash point of a small workload times every outcome variant,
// and every single-bit flip of its durable WAL, each recovered and judged.

import { JSON_OPTION, JUNIT_OPTION } from '../cli/args.ts';
import { EXPLORE_KINDS, type ExploreSummary, runExplore } from '../../faults/explore/explore.ts';
import { defineCommand, EXIT_FOUND, EXIT_OK } from '../cli/command.ts';
import { catchInterrupts } from '../cli/interrupt.ts';
import {
  checkOutputPath,
  junitXml,
  ruleCases,
  type TestCase,
  writeJunitAfter,
} from '../cli/junit.ts';
import { LineWriter } from '../cli/output.ts';
import { Progress } from '../cli/progress.ts';
import { exploreTable } from '../cli/tables.ts';

export const command = defineCommand(
  {
    name: 'explore',
    description: `
Exhaustive exploration of a small fixed workload: 5 batches (one a group commit of two
concurrent writers, one spanning three 512-byte sectors) and one segment rotation. For
every filesystem operation, a crash before it and after it; at each crash point every
outcome variant: lose-unsynced, every keep-prefix cut byte, every torn-sector subset and
length (lengths at write ends and sector boundaries), every subset of the unsynced
directory operations (each up to --variants per crash point); then every single-bit flip
of the durable WAL after the whole workload. Each state is recovered, judged by the oracle,
and must accept one more batch from lastSeq + 1. --small explores 3 batches.

Progress on stderr counts the crash points (the summary's "crash points"), then says when
the flips begin. SIGINT or SIGTERM stops the exploration: the summary of what was explored
is printed, marked interrupted, and the exit status is 130 (SIGINT) or 143 (SIGTERM)
unless a violation was found. --junit FILE (checked before, written after the summary): a
case for the exploration and one per oracle rule.

Exit status: 0 no violation, 1 violation found, 3 usage error, 130/143 interrupted.`,
    positionals: [],
    options: {
      small: { type: 'boolean', description: 'the 3-batch workload (what npm test runs)' },
      variants: {
        type: 'string',
        valueName: 'N',
        description: 'variants per crash point and outcome kind at most',
        integer: { min: 1, max: 1_000_000 },
        default: '4096',
      },
      json: JSON_OPTION,
      junit: JUNIT_OPTION,
    },
  },
  async (args) => {
    const junit = args.string('junit');
    if (junit !== undefined) await checkOutputPath('--junit', junit);
    const workload = args.flag('small') ? 'small' : 'full';
    const progress = new Progress();
    const interrupts = catchInterrupts('walcheck explore');
    progress.step(`explore: the ${workload} workload`);
    let summary: ExploreSummary;
    try {
      summary = await runExplore({
        workload,
        variantsMax: args.integer('variants')!,
        signal: interrupts.signal,
        onProgress: (done, total, phase) =>
          phase === 'flips'
            ? progress.step('explore: bit flips and field flips of the complete WAL')
            : progress.update(`explore: crash point ${done}/${total}`),
      });
    } finally {
      interrupts.dispose();
    }
    progress.done();
    const out = new LineWriter();
    for (const violation of summary.violations) out.line(`${violation.report}\n`);
    for (const line of exploreTable(summary)) out.line(line);
    if (args.flag('json')) {
      const states = EXPLORE_KINDS.reduce((sum, kind) => sum + summary.states[kind], 0);
      out.json({
        ...summary,
        violations: summary.violations.length,
        statesTotal: states,
        firstViolation: summary.violations[0]?.report ?? null,
      });
    }
    out.flush();
    const exit = summary.violations.length > 0 ? EXIT_FOUND : interrupts.exitCode(EXIT_OK);
    return writeJunitAfter('explore', junit, () => exploreJunit(summary), exit);
  },
);

/** A case for the exploration (fails when interrupted) and one per oracle rule. */
export function exploreJunit(summary: ExploreSummary): string {
  const classname = 'walcheck.explore';
  const prefix = `walcheck explore ${summary.workload}`;
  const run: TestCase = {
    classname,
    name: `${prefix}: every crash point and flip explored`,
    seconds: summary.seconds,
  };
  if (summary.interrupted)
    run.failure = { message: 'interrupted', body: 'SIGINT or SIGTERM stopped the exploration' };
  const violations = summary.violations.map((v) => ({
    rule: v.rule,
    message: `rule ${v.rule} (${v.ruleName}) ${v.crashPoint}, ${v.outcome}`,
    body: v.report,
  }));
  return junitXml('walcheck explore', [run, ...ruleCases(classname, prefix, violations)]);
}
