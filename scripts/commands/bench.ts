// walcheck bench: throughput and replay of the engine on the real filesystem, beside the
// disk's raw write + datasync limit and LevelDB (classic-level) with sync: true.

import { CliFailure, defineCommand, EXIT_OK, EXIT_USAGE } from '../cli/command.ts';
import { UsageError } from '../cli/args.ts';
import { LineWriter } from '../cli/output.ts';
import { Progress } from '../cli/progress.ts';
import { benchTable, writersChart } from '../cli/tables.ts';

export const command = defineCommand(
  {
    name: 'bench',
    description: `
Measures, on a temporary directory of the real filesystem (os.tmpdir()):
  raw      write + datasync of a 130-byte buffer in a loop (the physical limit)
  serial   engine, 1 writer, 1 put per batch (16-byte key, 100-byte value)
  N        engine with N concurrent writers (group commit)
  LevelDB  classic-level with sync: true, 1 and N writers
  replay   reopen of a log of --replay-records such puts written in batches of 100,
           in logical records/s and MB/s, and the memtable's memory per record
           (growth of heap + external memory across the replay).
Prints a table; --json prints one object as the last line of stdout. Needs classic-level,
a dev dependency of walcheck: where walcheck is installed, it exits 3 saying so unless
classic-level is installed beside it.`,
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
      json: { type: 'boolean', description: 'print a JSON summary as the last line of stdout' },
    },
  },
  async (args) => {
    const sweepWriters = parseSweep(args.string('sweep')!);
    const { runBench } = await loadBench();
    const progress = new Progress();
    const result = await runBench({
      phaseSeconds: args.integer('seconds')!,
      writers: args.integer('writers')!,
      replayRecords: args.integer('replay-records')!,
      replayBatch: 100,
      sweepWriters,
      progress: (line) => progress.step(line),
    });
    const out = new LineWriter();
    for (const line of benchTable(result)) out.line(line);
    out.line('');
    for (const line of writersChart(result)) out.line(line);
    if (args.flag('json')) out.json(result);
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
