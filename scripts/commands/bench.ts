// walcheck bench: throughput and replay of the engine on the real filesystem, beside the
// disk's raw write + datasync limit and LevelDB (classic-level) with sync: true.

import { targetVerdicts, benchTargets } from '../bench/targets.ts';
import {
  campaignAgainstTable,
  campaignTarget,
  checkoutProblem,
  compareCampaigns,
} from '../bench/campaign-against.ts';
import { HARNESS_SEED, profileHarness } from '../../faults/campaign/harness-profile.ts';
import { CliFailure, defineCommand, EXIT_OK, EXIT_USAGE } from '../cli/command.ts';
import { JSON_OPTION, UsageError } from '../cli/args.ts';
import { LineWriter } from '../cli/output.ts';
import { Progress } from '../cli/progress.ts';
import { benchTable, harnessTable, targetsTable, writersChart } from '../cli/tables.ts';

export const command = defineCommand(
  {
    name: 'bench',
    description: `
Measures, on a temporary directory of the real filesystem (os.tmpdir()):
  raw      an O_DSYNC write in a loop (the engine's shape), and a write + datasync in a
           loop, each appending the engine's record of one put (149 bytes) to a fresh
           file through fs.write, as the engine's log does
  serial   engine, 1 writer, 1 put per batch (16-byte key, 100-byte value)
  N        engine with N concurrent writers (group commit)
  LevelDB  classic-level with sync: true, 1 and N writers
  replay   reopen of a log of --replay-records such puts written in batches of 100,
           in logical records/s and MB/s, and the memtable's memory per record
           (growth of heap + external memory across the replay).
  open     writable against read-only open (each in a fresh process) of a log whose last
           segment holds --large-open-mib MiB.
Only ratios within one run mean anything on a shared machine, and compared phases
alternate so that load changes fall on both. The 1-writer loops (raw, serial, LevelDB)
each open once, write 200 times untimed, then take turns of 16 writes (order reversed
each cycle); their ratios are the median of the turn-by-turn ratios, printed with the
quartiles and the ratio of totals (a stall in one turn moves totals by tens of percent
on a loaded machine). The N-writer phases alternate in 4 slices of fresh databases
(order reversed each round: an even count, so a steady drift cancels), as do the opens.
Prints the measures, then each target: target | ratio | met/missed, and a line naming
the missed ones; --json prints one object as the last line of stdout, with "targets":
{name: met} and "targetRatios": {name: ratio}. The exit status is 0 either way: a target
depends on the machine, not only the code.
With --harness --against DIR, runs the crash campaign (--harness-runs scenarios of seed
9001, each in a fresh process) of this version and of the walcheck checkout DIR (its
sources and node_modules) alternately for --rounds rounds, the order reversed each round,
and prints each round's rates, the crash work per scenario of both versions, and the
target of issue 12: at least 2.5x DIR's scenarios/s (the median of the rounds' ratios) at
no less crash work per scenario.
With --harness alone, measures the crash campaign instead: --harness-runs scenarios of seed
9001 in this thread under the V8 profiler, printing scenarios/s, the crash work per
scenario (crash points, recoveries, batches, acks checked: rates compare only at equal
work) and the share of busy time spent in the engine, the oracle, the simulated
filesystem, the campaign driver, fast-check's generation and garbage collection.
Needs classic-level, a dev dependency of walcheck: where walcheck is installed, it exits 3
saying so unless classic-level is installed beside it (--harness does not need it).`,
    positionals: [],
    options: {
      seconds: {
        type: 'string',
        valueName: 'S',
        description: 'seconds per throughput phase',
        integer: { min: 1, max: 600 },
        default: '3',
      },
      writers: {
        type: 'string',
        valueName: 'N',
        description: 'concurrent writers',
        integer: { min: 2, max: 4096 },
        default: '64',
      },
      'large-open-mib': {
        type: 'string',
        valueName: 'N',
        description: 'size of the last segment for the large-open measure, in MiB',
        integer: { min: 1, max: 64 },
        default: '64',
      },
      'replay-records': {
        type: 'string',
        valueName: 'N',
        description: 'logical records in the replay log',
        integer: { min: 100, max: 20_000_000 },
        default: '1000000',
      },
      sweep: {
        type: 'string',
        valueName: 'LIST',
        description: 'more writer counts to measure for the chart (comma-separated)',
        default: '4,16',
      },
      harness: {
        type: 'boolean',
        description: 'measure the crash campaign instead: scenarios/s and where the time goes',
      },
      'harness-runs': {
        type: 'string',
        valueName: 'N',
        description: 'scenarios of seed 9001 the harness measure runs',
        integer: { min: 10, max: 1_000_000 },
        default: '1000',
      },
      against: {
        type: 'string',
        valueName: 'DIR',
        description:
          'with --harness: compare the campaign with the walcheck checkout DIR, alternating',
      },
      rounds: {
        type: 'string',
        valueName: 'N',
        description: 'rounds of the --against comparison (each runs both versions once)',
        integer: { min: 1, max: 50 },
        default: '3',
      },
      json: JSON_OPTION,
    },
  },
  async (args) => {
    const sweepWriters = parseSweep(args.string('sweep')!);
    const progress = new Progress();
    const against = args.string('against');
    if (against !== undefined) {
      if (!args.flag('harness'))
        throw new UsageError('--against DIR compares campaigns: give --harness too');
      const problem = checkoutProblem(against);
      if (problem !== null) throw new UsageError(`--against: ${problem}`);
      const runs = args.integer('harness-runs')!;
      const rounds = args.integer('rounds')!;
      progress.step(
        `crash campaign, seed ${HARNESS_SEED}, ${runs} runs, against ${against}: ${rounds} alternating rounds`,
      );
      const measured = await compareCampaigns(against, HARNESS_SEED, runs, rounds, (line) =>
        progress.step(line),
      );
      const out = new LineWriter();
      for (const line of campaignAgainstTable(measured, against)) out.line(line);
      if (args.flag('json'))
        out.json({ against, runs, rounds: measured, target: campaignTarget(measured, against) });
      out.flush();
      return EXIT_OK;
    }
    if (args.flag('harness')) {
      const runs = args.integer('harness-runs')!;
      progress.step(`crash campaign, seed ${HARNESS_SEED}, ${runs} runs, profiled in this thread`);
      const profile = await profileHarness(HARNESS_SEED, runs);
      const out = new LineWriter();
      for (const line of harnessTable(profile)) out.line(line);
      if (args.flag('json')) {
        const { summary, ...rest } = profile;
        out.json({ ...rest, stats: summary.stats, violations: summary.violations.length });
      }
      out.flush();
      return EXIT_OK;
    }
    const { runBench } = await loadBench();
    const result = await runBench({
      phaseSeconds: args.integer('seconds')!,
      writers: args.integer('writers')!,
      replayRecords: args.integer('replay-records')!,
      replayBatch: 100,
      sweepWriters,
      largeOpenBytes: args.integer('large-open-mib')! * 2 ** 20,
      progress: (line) => progress.step(line),
    });
    const out = new LineWriter();
    for (const line of benchTable(result)) out.line(line);
    out.line('');
    for (const line of targetsTable(benchTargets(result))) out.line(line);
    out.line('');
    for (const line of writersChart(result)) out.line(line);
    const targets = benchTargets(result);
    const missed = targets.filter((t) => !t.met);
    out.line('');
    out.line(
      missed.length === 0
        ? 'every target met'
        : `targets missed: ${missed.map((t) => t.target).join(', ')} (exit status stays 0: speed depends on the machine)`,
    );
    if (args.flag('json'))
      out.json({
        ...result,
        targets: targetVerdicts(result),
        targetRatios: Object.fromEntries(targets.map((t) => [t.target, t.ratio])),
      });
    out.flush();
    return EXIT_OK;
  },
);

function parseSweep(text: string): number[] {
  const counts = text === '' ? [] : text.split(',').map((part) => Number(part.trim()));
  for (const count of counts) {
    if (!Number.isSafeInteger(count) || count < 1 || count > 4096)
      throw new UsageError(
        `--sweep: '${text}' must be writer counts from 1 to 4096, comma-separated`,
      );
  }
  return counts;
}

/** The bench module, which needs classic-level: a dev dependency, absent from an install. */
async function loadBench(): Promise<typeof import('../bench/engine-bench.ts')> {
  try {
    await import('classic-level');
  } catch {
    throw new CliFailure(
      EXIT_USAGE,
      'needs classic-level (LevelDB, the baseline it measures against), a dev dependency of ' +
        'walcheck: run it from a checkout (npm ci), or install classic-level beside walcheck',
    );
  }
  return import('../bench/engine-bench.ts');
}
