// walcheck audit: the power-loss audit of any engine (faults/audit/), and --replay, which
// rebuilds one crash state of a kept run.

import { JSON_OPTION, JUNIT_OPTION, UsageError } from '../cli/args.ts';
import { auditJson, auditJunit } from '../cli/audit-summary.ts';
import { auditTable } from '../cli/tables.ts';
import { defineCommand, EXIT_FOUND, EXIT_OK } from '../cli/command.ts';
import { catchInterrupts } from '../cli/interrupt.ts';
import { checkOutputPath, writeJunitAfter } from '../cli/junit.ts';
import { LineWriter } from '../cli/output.ts';
import { Progress } from '../cli/progress.ts';
import { type AuditSummary, runAudit } from '../../faults/audit/audit-run.ts';
import { replayState } from '../../faults/audit/audit-replay.ts';
import { straceRecorder } from '../../faults/audit/recorder.ts';
import { DEFAULT_OUTCOME_KINDS } from '../../faults/disk/crash-outcome.ts';
import { parseOutcomes } from '../cli/campaign-options.ts';

const PROGRESS_PLAIN_MS = 2000;

export const command = defineCommand(
  {
    name: 'audit',
    description: `
The power-loss audit of any engine that speaks the protocol of 'walcheck load' and
'walcheck scan'. Runs 'CMD load <dir>' under strace with a seeded workload, rebuilds every
directory state a power cut may leave at every recorded file operation
(model/crash-model.md section 1: unsynced data and unsynced directory entries may be lost,
kept as a prefix, torn by sector or reordered), runs 'CMD scan' on each distinct state and
judges it: every batch acknowledged before the crash point survives, whole batches only,
nothing never written.
On a sample of states, 'CMD load' must go on from the recovered sequence number. With
--cycles N the next cycle starts from a chosen crash state, so recovery is traced and
crashed too. A kill (walcheck real) keeps the page cache; this is the check of fsyncs.

Needs strace (apt-get install -y strace). Prints progress on stderr, each violation with
its state token and trace, then a summary. --keep saves the recorded run; then
'walcheck audit --replay DIR --state TOKEN --materialize OUT' recreates that exact crashed
directory without the engine. Exit status: 0 no violation, 1 violation, 3 usage error,
an engine that fails on an empty directory or a trace it cannot model; SIGINT or SIGTERM
print the summary of what ran, marked interrupted, and exit 130 or 143.`,
    positionals: [],
    options: {
      engine: {
        type: 'string',
        valueName: 'CMD',
        description:
          "engine under test: runs 'CMD load <dir>' and 'CMD scan <dir>' (default: ours)",
      },
      seed: {
        type: 'string',
        valueName: 'N',
        description: 'seed of the workload, sampled outcomes and chosen states',
        integer: { min: 0, max: 2 ** 32 - 1 },
        default: '1',
      },
      batches: {
        type: 'string',
        valueName: 'N',
        description: 'batches each cycle writes',
        integer: { min: 1, max: 4000 },
        default: '12',
      },
      cycles: {
        type: 'string',
        valueName: 'N',
        description: 'record/crash cycles, each from a crash state of the one before',
        integer: { min: 1, max: 100 },
        default: '1',
      },
      outcomes: {
        type: 'string',
        valueName: 'LIST',
        description: `crash outcomes, a comma list of ${DEFAULT_OUTCOME_KINDS.join(', ')}`,
        default: DEFAULT_OUTCOME_KINDS.join(','),
      },
      states: {
        type: 'string',
        valueName: 'N',
        description:
          'outcome variants per crash point and kind: all when at most N, else N seeded draws',
        integer: { min: 1, max: 100_000 },
        default: '16',
      },
      workers: {
        type: 'string',
        valueName: 'N',
        description: 'engine scans run at once',
        integer: { min: 1, max: 64 },
        default: '2',
      },
      continuations: {
        type: 'string',
        valueName: 'N',
        description: "crash states per cycle on which 'CMD load' must go on from the recovered seq",
        integer: { min: 0, max: 10_000 },
        default: '3',
      },
      keep: {
        type: 'string',
        valueName: 'DIR',
        description: 'save each recorded run (trace, workload, acks) in DIR for --replay',
      },
      ignore: {
        type: 'string',
        valueName: 'GLOB',
        description: "leave out operations on files matching GLOB (comma list), e.g. '*-shm'",
      },
      replay: {
        type: 'string',
        valueName: 'DIR',
        description: 'rebuild a state of the run kept in DIR (with --state; no engine runs)',
      },
      state: {
        type: 'string',
        valueName: 'TOKEN',
        description: 'the state token a violation report names (with --replay)',
      },
      materialize: {
        type: 'string',
        valueName: 'OUT',
        description: 'write the rebuilt state into OUT, a new or empty directory (with --replay)',
      },
      json: JSON_OPTION,
      junit: JUNIT_OPTION,
    },
  },
  async (args) => {
    const replay = args.string('replay');
    if (replay !== undefined)
      return runReplay(
        replay,
        args.string('state'),
        args.string('materialize') ?? null,
        args.flag('json'),
      );
    if (args.string('state') !== undefined || args.string('materialize') !== undefined)
      throw new UsageError('--state and --materialize go with --replay DIR');
    const junit = args.string('junit');
    if (junit !== undefined) await checkOutputPath('--junit', junit);
    const progress = new Progress(true, PROGRESS_PLAIN_MS);
    const interrupts = catchInterrupts('walcheck audit');
    let summary: AuditSummary;
    try {
      summary = await runAudit({
        engine: args.string('engine') ?? null,
        seed: args.integer('seed')!,
        batches: args.integer('batches')!,
        cycles: args.integer('cycles')!,
        outcomes: parseOutcomes(
          args.string('outcomes'),
          DEFAULT_OUTCOME_KINDS,
          DEFAULT_OUTCOME_KINDS,
        ),
        states: args.integer('states')!,
        workers: args.integer('workers')!,
        continuations: args.integer('continuations')!,
        keepDir: args.string('keep') ?? null,
        ignore: (args.string('ignore') ?? '')
          .split(',')
          .map((g) => g.trim())
          .filter((g) => g !== ''),
        signal: interrupts.signal,
        progress: (line, running) => (running ? progress.update(line) : progress.step(line)),
        recorder: straceRecorder,
      });
    } finally {
      interrupts.dispose();
    }
    progress.done();
    const out = new LineWriter();
    for (const report of summary.reports) out.line(`${report.report}\n`);
    if (summary.violations > summary.reports.length)
      out.line(`(${summary.violations - summary.reports.length} more violations not shown)\n`);
    for (const line of auditTable(summary)) out.line(line);
    if (args.flag('json')) out.json(auditJson(summary));
    out.flush();
    const exit = summary.violations > 0 ? EXIT_FOUND : interrupts.exitCode(EXIT_OK);
    return writeJunitAfter('audit', junit, () => auditJunit(summary), exit);
  },
);

async function runReplay(
  dir: string,
  token: string | undefined,
  out: string | null,
  json: boolean,
): Promise<number> {
  if (token === undefined) throw new UsageError('--replay DIR needs --state TOKEN');
  const state = await replayState(dir, token, out);
  const lines = new LineWriter();
  lines.line(`state ${state.token} of ${state.engine}`);
  lines.line(`  crash:   ${state.point}; ${state.acked} batches of the cycle acked`);
  lines.line(`  outcome: ${state.outcome}`);
  lines.line('  trace:');
  for (const line of state.trace) lines.line(line);
  lines.line(
    `  files:   ${state.files.map((f) => `${f.path} (${f.bytes} bytes)`).join(', ') || '(none)'}`,
  );
  lines.line(out === null ? '  (give --materialize OUT to write it)' : `  written to ${out}`);
  if (json) lines.json(state);
  lines.flush();
  return EXIT_OK;
}
