// The walcheck commands: one line each. A command lives in scripts/commands/<name>.ts and
// exports `command` (see scripts/cli/command.ts; defineCommand builds one from a spec).
// Modules load only when their command runs, so one command's dependencies (or a
// half-written command) never slow down or break another.

import type { Command, CommandEntry } from '../cli/command.ts';

function lazy(summary: string, load: () => Promise<{ command: Command }>): CommandEntry {
  return { summary, load: async () => (await load()).command };
}

export const COMMANDS: Readonly<Record<string, CommandEntry>> = {
  verify: lazy(
    'check every segment of a database directory: exit 0 clean, 1 torn-tail, 2 corrupt',
    () => import('./verify.ts'),
  ),
  dump: lazy(
    'print every record of a directory or segment file, then the first invalid one',
    () => import('./dump.ts'),
  ),
  scan: lazy(
    'recover read-only and print the live entries in key order',
    () => import('./scan.ts'),
  ),
  crash: lazy(
    'run a seeded crash campaign on the simulated filesystem, judged by the oracle',
    () => import('./crash.ts'),
  ),
  merge: lazy(
    "combine the --json summaries of a crash campaign's shards into the whole campaign's",
    () => import('./merge.ts'),
  ),
  repro: lazy('replay the exact scenario of a violation token', () => import('./repro.ts')),
  explore: lazy(
    'crash a small workload at every operation with every outcome variant and bit flip',
    () => import('./explore.ts'),
  ),
  mutants: lazy(
    'run the bug zoo of broken engine variants: each must be caught, the correct engine must pass',
    () => import('./mutants.ts'),
  ),
  bench: lazy(
    'measure write throughput, group commit and replay against raw syncs and LevelDB',
    () => import('./bench.ts'),
  ),
  real: lazy(
    'kill/recover a real engine process on a real directory and check each recovery (black-box audit)',
    () => import('./real.ts'),
  ),
  audit: lazy(
    'power-loss audit of any engine: record its file operations, judge every crash state',
    () => import('./audit.ts'),
  ),
  report: lazy(
    'regenerate REPORT.md from real runs (about 9 minutes)',
    () => import('./report.ts'),
  ),
  load: lazy(
    'write batches from stdin, one JSON array a line, acking each once durable',
    () => import('./load.ts'),
  ),
};
