// walcheck merge FILE...: the --json summaries of the shards of one crash campaign, combined
// into the summary of the whole (faults/campaign/shard-json.ts).

import { readFile } from 'node:fs/promises';
import { mergeCampaignJson, readCampaignJson } from '../../faults/campaign/shard-json.ts';
import { campaignJunit, checkOutputPath, writeJunitAfter } from '../cli/junit.ts';
import { campaignTable } from '../cli/tables.ts';
import { CliFailure, defineCommand, EXIT_FOUND, EXIT_OK, EXIT_USAGE } from '../cli/command.ts';
import { LineWriter } from '../cli/output.ts';

export const command = defineCommand(
  {
    name: 'merge',
    description: `
Combines the summaries of the shards of one crash campaign ('walcheck crash --seed S
--runs N --shard I/K --json > shard-I.json' for I = 0 .. K-1, on as many machines as you
like) into the summary of the whole campaign: the same counts as the unsharded run of the
same seed and runs, every violation with its repro token. Each FILE is the stdout of a
'crash --json' (its last JSON line is read) or an earlier merge's.

Refuses summaries of different campaigns (walcheck version, seed, runs, outcomes, faults,
engine variant), of different shard counts, a shard given twice and a missing shard.
Prints the violations and the table; --json the merged summary (the layout of 'crash
--json', "shard": null, "shards" listing each part); --junit the cases of every shard.

Exit status: 0 no violation and no shard interrupted, 1 a violation (or a shard was
interrupted or ran nothing), 3 usage error or summaries that do not merge.`,
    positionals: [
      {
        name: 'file',
        description: "a shard's 'walcheck crash --json' output",
        variadic: true,
      },
    ],
    options: {
      json: { type: 'boolean', description: 'print the merged JSON summary as the last line' },
      junit: {
        type: 'string',
        valueName: 'FILE',
        description: 'also write a JUnit XML report of every shard to FILE',
      },
    },
  },
  async (args) => {
    const files = args.rest();
    const junit = args.string('junit');
    if (junit !== undefined) await checkOutputPath('--junit', junit);
    const parts = [];
    for (const file of files) {
      const text = await readFile(file, 'utf8').catch((error: NodeJS.ErrnoException) => {
        throw new CliFailure(EXIT_USAGE, `cannot read ${file}: ${error.message}`);
      });
      parts.push({ name: file, json: readCampaignJson(text, file) });
    }
    const merged = mergeCampaignJson(parts);
    const out = new LineWriter();
    for (const violation of merged.violationList) out.line(`${violation.report}\n`);
    for (const line of campaignTable(merged)) out.line(line);
    if (args.flag('json')) out.json(merged);
    out.flush();
    const incomplete = merged.shards.filter((s) => s.stoppedBy === 'interrupted' || s.runs === 0);
    if (incomplete.length > 0)
      process.stderr.write(
        `walcheck merge: shard${incomplete.length > 1 ? 's' : ''} ${incomplete.map((s) => `${s.index}/${s.count}`).join(', ')} interrupted or ran nothing: not a complete campaign\n`,
      );
    const exit = merged.violations > 0 || incomplete.length > 0 ? EXIT_FOUND : EXIT_OK;
    return writeJunitAfter('merge', junit, () => campaignJunit(merged, 'walcheck crash'), exit);
  },
);
