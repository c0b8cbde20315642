// walcheck explore: every crash point of a small workload times every outcome variant,
// and every single-bit flip of its durable WAL, each recovered and judged.

import { EXPLORE_KINDS, runExplore } from '../../faults/explore.ts';
import { defineCommand, EXIT_FOUND, EXIT_OK } from '../cli/command.ts';
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

Exit status: 0 no violation, 1 violation found, 3 usage error.`,
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
      json: { type: 'boolean', description: 'print a JSON summary as the last line of stdout' },
    },
  },
  async (args) => {
    const progress = new Progress();
    const summary = await runExplore({
      workload: args.flag('small') ? 'small' : 'full',
      variantsMax: args.integer('variants')!,
      onProgress: (done, total) => progress.update(`explore: crash point ${done}/${total}`),
    });
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
    return summary.violations.length === 0 ? EXIT_OK : EXIT_FOUND;
  },
);
