// walcheck real: the real-filesystem crash suite and black-box audit (faults/real/).

import { UsageError } from '../cli/args.ts';
import { defineCommand, EXIT_FOUND, EXIT_OK } from '../cli/command.ts';
import { LineWriter } from '../cli/output.ts';
import { Progress } from '../cli/progress.ts';
import {
  DAMAGE_KINDS,
  type DamageKind,
  DEFAULT_SEGMENT_PATTERN,
} from '../../faults/real/damage.ts';
import { runRealSuite, type RealSummary } from '../../faults/real/real-suite.ts';

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

Prints progress on stderr, a table on stdout, and on a violation the
report and a command that reproduces it. Exit status: 0 every cycle held, 1 a violation
or engine failure (exit on its own, protocol error, timeout), 3 usage or I/O error.`,
    positionals: [],
    options: {
      kills: {
        type: 'string',
        valueName: 'N',
        description: 'kill/recover cycles',
        integer: { min: 1, max: 1_000_000 },
        default: '8',
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
      json: { type: 'boolean', description: 'print a JSON summary as the last line of stdout' },
    },
  },
  async (args) => {
    const engine = args.string('engine') ?? null;
    const powerLoss = args.flag('power-loss');
    if (powerLoss && engine !== null)
      throw new UsageError(
        '--power-loss runs our own engine on the emulating filesystem; it cannot be combined with --engine',
      );
    const progress = new Progress();
    const summary = await runRealSuite({
      kills: args.integer('kills')!,
      seed: args.integer('seed')!,
      dir: args.string('dir') ?? null,
      powerLoss,
      damage: damageKinds(args.string('damage')),
      engine,
      segmentPattern: segmentPattern(args.string('segment-pattern')!),
      progress: (line, running) => (running ? progress.update(line) : progress.step(line)),
    });
    progress.done();
    const out = new LineWriter();
    for (const line of summaryTable(summary)) out.line(line);
    if (summary.failure !== null) {
      out.line('');
      out.line(summary.failure);
    }
    if (args.flag('json')) out.json(summaryJson(summary));
    out.flush();
    return summary.violations > 0 ? EXIT_FOUND : EXIT_OK;
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
    failure: s.failure,
    cycles: s.cycles,
  };
}
