// The crash campaign against another version of walcheck (`bench --harness --against DIR`):
// the same seed and run count in both, each in a fresh process, alternating round by round
// with the order reversed each round, so that load changes fall on both. A campaign rate means
// something only at a known amount of crash work, so the target (issue 12: 2.5x) is met only
// when this version is that much faster AND each of its scenarios does at least the crash work
// of the other's (crash points, recoveries, batches issued, acks checked).

import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { RUN_ROOT, RUNS_FROM_SOURCE } from '../../faults/base/runtime.ts';
import { median } from './measure.ts';
import type { ScenarioStats } from '../../faults/campaign/stats.ts';
import type { BenchTarget } from './targets.ts';

/** What the comparison reads of `walcheck crash --json` (every version since format 1 prints it). */
export type CampaignRun = Pick<
  ScenarioStats,
  'scenarios' | 'crashes' | 'crashesMidCycle' | 'recoveries' | 'batches' | 'acks'
> & { scenariosPerSec: number };

export interface CampaignRound {
  baseline: CampaignRun;
  current: CampaignRun;
}

const execFileAsync = promisify(execFile);

export const WORK_FIELDS = [
  ['crash points', 'crashes'],
  ['of them inside a cycle', 'crashesMidCycle'],
  ['recoveries', 'recoveries'],
  ['batches issued', 'batches'],
  ['acks checked', 'acks'],
] as const;

/** The issue-12 bound: this version's campaign at least this many times the other's rate. */
export const CAMPAIGN_SPEEDUP_MIN = 2.5;

/**
 * A directory holding a walcheck checkout (its sources and node_modules), or a reason it is
 * not one. Both versions run from sources under tsx, so that the comparison is of the code:
 * a build runs faster than the same sources under tsx.
 */
export function checkoutProblem(dir: string): string | null {
  if (!RUNS_FROM_SOURCE)
    return 'the comparison runs both versions from their sources: run it from a walcheck checkout (npx tsx scripts/walcheck.ts bench ...)';
  if (!existsSync(join(dir, 'scripts', 'walcheck.ts')))
    return `${dir} is not a walcheck checkout (no scripts/walcheck.ts)`;
  if (!existsSync(join(dir, 'node_modules', 'tsx')))
    return `${dir} has no node_modules/tsx (run npm ci there first)`;
  return null;
}

/** Runs `crash --seed --runs --json` in a fresh process of the checkout `dir` (null: this one). */
export async function runCrash(
  dir: string | null,
  seed: number,
  runs: number,
): Promise<CampaignRun> {
  const root = dir ?? RUN_ROOT;
  // One worker thread in both, whatever their defaults.
  const args = [
    'crash',
    '--seed',
    String(seed),
    '--runs',
    String(runs),
    '--workers',
    '1',
    '--json',
  ];
  try {
    const { stdout } = await execFileAsync(
      process.execPath,
      ['--import', 'tsx', join(root, 'scripts', 'walcheck.ts'), ...args],
      { cwd: root, maxBuffer: 64 * 2 ** 20 },
    );
    return campaignRunOf(JSON.parse(stdout.trimEnd().split('\n').at(-1) ?? ''));
  } catch (error) {
    const stderr = String((error as { stderr?: unknown }).stderr ?? '').slice(-2000);
    const where = dir ?? 'this checkout';
    throw new Error(`walcheck crash in ${where}: ${(error as Error).message}\n${stderr}`);
  }
}

function campaignRunOf(json: Record<string, unknown>): CampaignRun {
  const run = {} as Record<keyof CampaignRun, number>;
  for (const key of [
    'scenariosPerSec',
    'scenarios',
    'crashes',
    'crashesMidCycle',
    'recoveries',
    'batches',
    'acks',
  ] as const) {
    const value = json[key];
    if (typeof value !== 'number') throw new Error(`its --json has no number '${key}'`);
    run[key] = value;
  }
  return run;
}

/** `rounds` rounds, the order reversed every round (odd rounds: the other version first). */
export async function compareCampaigns(
  dir: string,
  seed: number,
  runs: number,
  rounds: number,
  progress: (line: string) => void,
): Promise<CampaignRound[]> {
  const result: CampaignRound[] = [];
  for (let round = 0; round < rounds; round++) {
    const baselineFirst = round % 2 === 0;
    const first = await runCrash(baselineFirst ? dir : null, seed, runs);
    const second = await runCrash(baselineFirst ? null : dir, seed, runs);
    const pair = baselineFirst
      ? { baseline: first, current: second }
      : { baseline: second, current: first };
    progress(
      `round ${round + 1}/${rounds}: ${pair.baseline.scenariosPerSec.toFixed(0)} and ${pair.current.scenariosPerSec.toFixed(0)} scenarios/s`,
    );
    result.push(pair);
  }
  return result;
}

/** Crash work per scenario of a run. */
export function workPerScenario(run: CampaignRun): number[] {
  return WORK_FIELDS.map(([, key]) => run[key] / Math.max(run.scenarios, 1));
}

/** The target: the median of the rounds' rate ratios, met only at no less crash work per scenario. */
export function campaignTarget(rounds: readonly CampaignRound[], against: string): BenchTarget {
  const ratio = median(rounds.map((r) => r.current.scenariosPerSec / r.baseline.scenariosPerSec));
  const before = workPerScenario(rounds[0]!.baseline);
  const now = workPerScenario(rounds[0]!.current);
  const asMuchWork = now.every((value, i) => value >= before[i]!);
  return {
    target: `campaign scenarios/s / ${against}'s, at no less crash work per scenario >= ${CAMPAIGN_SPEEDUP_MIN}x`,
    ratio,
    bound: CAMPAIGN_SPEEDUP_MIN,
    direction: '>=',
    met: ratio >= CAMPAIGN_SPEEDUP_MIN && asMuchWork,
  };
}

/** The rounds, the crash work per scenario of both versions, and the target line. */
export function campaignAgainstTable(rounds: readonly CampaignRound[], against: string): string[] {
  const target = campaignTarget(rounds, against);
  const before = workPerScenario(rounds[0]!.baseline);
  const now = workPerScenario(rounds[0]!.current);
  return [
    `| round | ${against}, scenarios/s | this version, scenarios/s | ratio |`,
    '|---|---|---|---|',
    ...rounds.map(
      (r, i) =>
        `| ${i + 1} | ${r.baseline.scenariosPerSec.toFixed(0)} | ${r.current.scenariosPerSec.toFixed(0)} | ${(r.current.scenariosPerSec / r.baseline.scenariosPerSec).toFixed(2)}x |`,
    ),
    '',
    `| crash work per scenario | ${against} | this version |`,
    '|---|---|---|',
    ...WORK_FIELDS.map(
      ([name], i) => `| ${name} | ${before[i]!.toFixed(2)} | ${now[i]!.toFixed(2)} |`,
    ),
    '',
    '| target | ratio | met/missed |',
    '|---|---|---|',
    `| ${target.target} | ${target.ratio.toFixed(2)}x | ${target.met ? 'met' : 'missed'} |`,
  ];
}
