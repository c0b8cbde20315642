// walcheck bench: throughput and replay of the engine on the real filesystem, beside the
// disk's raw write + datasync limit and LevelDB (classic-level) with sync: true.

import { type BenchResult, runBench } from '../bench/engine-bench.ts';
import { defineCommand, EXIT_OK } from '../cli/command.ts';
import { UsageError } from '../cli/args.ts';
import { barChart } from '../cli/bar-chart.ts';
import { LineWriter } from '../cli/output.ts';
import { Progress } from '../cli/progress.ts';

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
Prints a table with a verdict per target (met or missed) and a line naming the missed
ones; --json prints one object as the last line of stdout, with "targets": {name: met}.
The exit status is 0 either way: a target depends on the machine, not only the code.`,
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
    const progress = new Progress();
    const result = await runBench({
      phaseSeconds: args.integer('seconds')!,
      writers: args.integer('writers')!,
      replayRecords: args.integer('replay-records')!,
      replayBatch: 100,
      sweepWriters: parseSweep(args.string('sweep')!),
      progress: (line) => progress.step(line),
    });
    const out = new LineWriter();
    for (const line of benchTable(result)) out.line(line);
    out.line('');
    for (const line of writersChart(result)) out.line(line);
    const missed = Object.entries(targetVerdicts(result)).filter(([, met]) => !met);
    out.line('');
    out.line(
      missed.length === 0
        ? 'every target met'
        : `targets missed: ${missed.map(([name]) => name).join(', ')} (exit status stays 0: speed depends on the machine)`,
    );
    if (args.flag('json')) out.json({ ...result, targets: targetVerdicts(result) });
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

/** Writes/s by number of writers, engine against LevelDB. */
export function writersChart(r: BenchResult): string[] {
  return barChart(
    'writers',
    r.sweep.map((point) => String(point.writers)),
    [
      {
        label: 'walcheck engine, writes/s',
        values: r.sweep.map((point) => point.engine),
        glyph: '█',
      },
      { label: 'LevelDB sync, writes/s', values: r.sweep.map((point) => point.level), glyph: '░' },
    ],
  );
}

/** The human table, also used by REPORT.md: each target with its verdict, met or missed. */
export function benchTable(r: BenchResult): string[] {
  const rate = (n: number): string => Math.round(n).toLocaleString('en-US');
  const ratio = (a: number, b: number): string => `${(a / b).toFixed(2)}x`;
  const verdict = (met: boolean): string => (met ? 'met' : '**missed**');
  const v = targetVerdicts(r);
  return [
    '| measure | result | vs | target | verdict |',
    '|---|---|---|---|---|',
    `| raw write + datasync (130 B) | ${rate(r.rawSyncsPerSec)} syncs/s | | physical limit | |`,
    `| engine, 1 writer | ${rate(r.serialWritesPerSec)} writes/s | ${ratio(r.serialWritesPerSec, r.rawSyncsPerSec)} raw | >= 0.9x raw | ${verdict(v.serial)} |`,
    `| engine, ${r.writers} writers | ${rate(r.concurrentWritesPerSec)} writes/s | ${ratio(r.concurrentWritesPerSec, r.levelConcurrentWritesPerSec)} LevelDB | >= 5x LevelDB | ${verdict(v.concurrent)} |`,
    `| LevelDB sync, 1 writer | ${rate(r.levelSerialWritesPerSec)} writes/s | | | |`,
    `| LevelDB sync, ${r.writers} writers | ${rate(r.levelConcurrentWritesPerSec)} writes/s | | | |`,
    `| replay of ${rate(r.replayRecords)} puts | ${rate(r.replayRecordsPerSec)} records/s, ${r.replayMBPerSec.toFixed(0)} MB/s | ${r.replaySeconds.toFixed(2)} s | >= 1,000,000 records/s | ${verdict(v.replay)} |`,
    `| memtable after replay | ${r.memtableBytesPerRecord.toFixed(0)} bytes/record | | <= 290 bytes | ${verdict(v.memtable)} |`,
  ];
}

/** Each target of the table: met (true) or missed. */
export function targetVerdicts(r: BenchResult): {
  serial: boolean;
  concurrent: boolean;
  replay: boolean;
  memtable: boolean;
} {
  return {
    serial: r.serialWritesPerSec >= TARGETS.serialOfRaw * r.rawSyncsPerSec,
    concurrent:
      r.concurrentWritesPerSec >= TARGETS.concurrentOfLevel * r.levelConcurrentWritesPerSec,
    replay: r.replayRecordsPerSec >= TARGETS.replayRecordsPerSec,
    memtable: r.memtableBytesPerRecord <= TARGETS.memtableBytesPerRecordMax,
  };
}

const TARGETS = {
  serialOfRaw: 0.9,
  concurrentOfLevel: 5,
  replayRecordsPerSec: 1_000_000,
  memtableBytesPerRecordMax: 290,
} as const;
