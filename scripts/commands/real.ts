// walcheck real: the real-filesystem crash suite and black-box audit (faults/real/).

import { JSON_OPTION, JUNIT_OPTION, UsageError } from '../cli/args.ts';
import { catchInterrupts } from '../cli/interrupt.ts';
import {
  checkOutputPath,
  junitXml,
  ruleCases,
  type TestCase,
  writeJunitAfter,
} from '../cli/junit.ts';
import { defineCommand, EXIT_FOUND, EXIT_OK } from '../cli/command.ts';
import { LineWriter } from '../cli/output.ts';
import { Progress } from '../cli/progress.ts';
import {
  DAMAGE_KINDS,
  type DamageKind,
  DEFAULT_SEGMENT_PATTERN,
} from '../../faults/real/damage.ts';
import { runRealSuite, type RealSummary } from '../../faults/real/real-suite.ts';

const KILLS_DEFAULT = 8;
const KILLS_MAX = 1_000_000;

export const command = defineCommand(
  {
    name: 'real',
    description: `
Kill/recover cycles of a real engine process on a real directory. Each cycle starts
'<engine> load <db>', streams seeded random batches to it, records every acknowledgement
and SIGKILLs it at a seeded moment (right after an ack, with lines in flight, or after a
short delay); optionally damages the last segment; runs '<engine> scan <db>' and checks
the recovered state with the oracle of the simulated campaigns (a whole prefix of the
batches with every acknowledged one, never part of a batch; after damage only batches
from the damaged one on may be lost), and the numbering of the next acknowledgements.
The history grows across the cycles on the same directory.

The engine is any program that speaks the protocol of 'walcheck load' and 'walcheck
scan' (default: this repository's walcheck); see the README. --power-loss runs our
engine on a filesystem that keeps unsynced data in the process, so a kill loses what a
power cut would (in a seeded half of the cycles, datasyncs go in two synced steps, so a
kill can leave a torn tail).

--damage damages the last file (by name) of the database directory that matches
--segment-pattern (default: our NNNNNNNNNNNNNNNNNNNN.wal, LevelDB's and RocksDB's
NNNNNN.log). The harness does not look for an engine's files itself: when the directory
holds files and none matches, the run stops with a usage error naming them (exit 3), so
an engine whose log is not damaged never passes as one that survives damage.

--seconds S starts no cycle after S seconds (--kills is then a maximum). SIGINT or
SIGTERM starts no further cycle: the summary of what ran is printed, marked interrupted,
the temporary work directory is removed (a --dir is kept), and the exit status is 130
(SIGINT) or 143 (SIGTERM) unless a violation was found. --junit FILE (checked before the
run, written after the summary): a case for the cycles and one per oracle rule.

Prints progress on stderr, a table on stdout, and on a violation the
report and a command that reproduces it. Exit status: 0 every cycle held, 1 a violation
or engine failure (exit on its own, protocol error, timeout), 3 usage or I/O error,
130/143 interrupted.`,
    positionals: [],
    options: {
      kills: {
        type: 'string',
        valueName: 'N',
        description: `kill/recover cycles; default ${KILLS_DEFAULT}, or at most ${KILLS_MAX.toLocaleString('en-US')} with --seconds`,
        integer: { min: 1, max: KILLS_MAX },
      },
      seconds: {
        type: 'string',
        valueName: 'S',
        description: 'start no cycle after S seconds, then summarize',
        integer: { min: 1, max: 30 * 24 * 3600 },
      },
      seed: {
        type: 'string',
        valueName: 'N',
        description: 'seed of batches, kill moments and damage',
        integer: { min: 0, max: 2 ** 32 - 1 },
        default: '1',
      },
      dir: {
        type: 'string',
        valueName: 'D',
        description: 'work in D (created, must be empty; kept) instead of a temporary directory',
      },
      'power-loss': {
        type: 'boolean',
        description: 'emulate power loss: unsynced writes die with the process (our engine only)',
      },
      damage: {
        type: 'string',
        valueName: 'LIST',
        description: `damage the last segment before each recovery: a comma list of ${DAMAGE_KINDS.join(', ')}`,
      },
      engine: {
        type: 'string',
        valueName: 'CMD',
        description: "engine under test: runs 'CMD load <dir>' and 'CMD scan <dir>'",
      },
      'segment-pattern': {
        type: 'string',
        valueName: 'RE',
        description: 'which files --damage treats as log segments (the last by name is damaged)',
        default: DEFAULT_SEGMENT_PATTERN,
      },
      json: JSON_OPTION,
      junit: JUNIT_OPTION,
    },
  },
  async (args) => {
    const engine = args.string('engine') ?? null;
    const powerLoss = args.flag('power-loss');
    if (powerLoss && engine !== null)
      throw new UsageError(
        '--power-loss runs our own engine on the emulating filesystem; it cannot be combined with --engine',
      );
    const seconds = args.integer('seconds');
    const junit = args.string('junit');
    if (junit !== undefined) await checkOutputPath('--junit', junit);
    const progress = new Progress();
    const interrupts = catchInterrupts('walcheck real');
    let summary: RealSummary;
    try {
      summary = await runRealSuite({
        kills: args.integer('kills') ?? (seconds === undefined ? KILLS_DEFAULT : KILLS_MAX),
        ...(seconds === undefined ? {} : { deadlineMs: seconds * 1000 }),
        signal: interrupts.signal,
        seed: args.integer('seed')!,
        dir: args.string('dir') ?? null,
        powerLoss,
        damage: damageKinds(args.string('damage')),
        engine,
        segmentPattern: segmentPattern(args.string('segment-pattern')!),
        progress: (line, running) => (running ? progress.update(line) : progress.step(line)),
      });
    } finally {
      interrupts.dispose();
    }
    progress.done();
    const out = new LineWriter();
    for (const line of summaryTable(summary)) out.line(line);
    if (summary.failure !== null) {
      out.line('');
      out.line(summary.failure);
    }
    if (args.flag('json')) out.json(summaryJson(summary));
    out.flush();
    const exit = summary.violations > 0 ? EXIT_FOUND : interrupts.exitCode(EXIT_OK);
    return writeJunitAfter('real', junit, () => realJunit(summary), exit);
  },
);

function damageKinds(list: string | undefined): DamageKind[] {
  if (list === undefined) return [];
  const kinds = list.split(',').map((k) => k.trim());
  for (const kind of kinds) {
    if (!(DAMAGE_KINDS as readonly string[]).includes(kind))
      throw new UsageError(`option --damage: '${kind}' is not one of ${DAMAGE_KINDS.join(', ')}`);
  }
  return [...new Set(kinds)] as DamageKind[];
}

function segmentPattern(source: string): RegExp {
  try {
    return new RegExp(source);
  } catch (error) {
    throw new UsageError(`option --segment-pattern: ${(error as Error).message}`);
  }
}

export function summaryTable(s: RealSummary): string[] {
  const lines = [
    '| cycle | db | kill moment | written | acked | in flight | damage | recovered | acked lost |',
    '|---|---|---|---|---|---|---|---|---|',
  ];
  for (const c of s.cycles) {
    const kill = c.torn ? `${c.kill}, torn` : c.kill;
    lines.push(
      `| ${c.cycle} | ${c.generation} | ${kill} | ${c.written} | ${c.acked} | ${c.inFlightAtKill} | ${c.damage ?? '-'} | ${c.recovered} | ${c.lostAcked} |`,
    );
  }
  lines.push(
    '',
    `kills ${s.kills}, batches written ${s.written}, acked ${s.acked}, in flight at the kill ${s.inFlightAtKill}, ` +
      `recovered ${s.recovered}, refused opens ${s.refusedOpens}, damage applied ${s.damageApplied}, acked lost to damage ${s.lostAcked}, ` +
      `violations ${s.violations} (seed ${s.seed}, ${s.seconds.toFixed(1)} s)`,
  );
  if (s.stoppedBy === 'interrupted')
    lines.push(`INTERRUPTED (SIGINT/SIGTERM) after ${s.cyclesRun} cycles: not a complete run`);
  if (s.stoppedBy === 'deadline')
    lines.push(`the --seconds budget ended the run after ${s.cyclesRun} cycles`);
  return lines;
}

function summaryJson(s: RealSummary): Record<string, unknown> {
  return {
    seed: s.seed,
    kills: s.kills,
    written: s.written,
    acked: s.acked,
    inFlightAtKill: s.inFlightAtKill,
    recovered: s.recovered,
    refusedOpens: s.refusedOpens,
    damageApplied: s.damageApplied,
    lostAcked: s.lostAcked,
    violations: s.violations,
    seconds: Number(s.seconds.toFixed(3)),
    workDir: s.workDir,
    cyclesRun: s.cyclesRun,
    stoppedBy: s.stoppedBy,
    interrupted: s.stoppedBy === 'interrupted',
    failure: s.failure,
    failureRule: s.failureRule,
    cycles: s.cycles,
  };
}

/** A case for the cycles (fails on an engine failure or an interruption) and one per rule. */
export function realJunit(s: RealSummary): string {
  const classname = 'walcheck.real';
  const prefix = `walcheck real seed ${s.seed}`;
  const cycles: TestCase = {
    classname,
    name: `${prefix}: kill/recover cycles`,
    seconds: s.seconds,
  };
  if (s.stoppedBy === 'interrupted')
    cycles.failure = {
      message: `interrupted after ${s.cyclesRun} cycles`,
      body: 'SIGINT or SIGTERM stopped the run before it was complete',
    };
  else if (s.failure !== null && s.failureRule === null)
    cycles.failure = { message: 'engine failure', body: s.failure };
  const violations =
    s.failure === null || s.failureRule === null
      ? []
      : [{ rule: s.failureRule, message: s.failure.split('\n')[0]!, body: s.failure }];
  return junitXml('walcheck real', [cycles, ...ruleCases(classname, prefix, violations)]);
}
