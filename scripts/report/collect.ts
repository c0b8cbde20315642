// Runs everything REPORT.md states, with the budgets it names, and returns the results.

import { type BenchResult, runBench } from '../bench/engine-bench.ts';
import {
  HARNESS_SEED,
  type HarnessProfile,
  profileHarness,
} from '../../faults/campaign/harness-profile.ts';
import type { CampaignSummary } from '../../faults/campaign/campaign.ts';
import { runCampaignParallel } from '../../faults/campaign/parallel.ts';
import { DEFAULT_SHAPE } from '../../faults/campaign/scenario.ts';
import { type ExploreSummary, runExplore } from '../../faults/explore/explore.ts';
import {
  BUDGET_RUNS_DEFAULT,
  type MutantRow,
  runMutants,
} from '../../faults/mutants/run-mutants.ts';
import { DEFAULT_SEGMENT_PATTERN, type DamageKind } from '../../faults/real/damage.ts';
import { type RealSummary, runRealSuite } from '../../faults/real/real-suite.ts';
import { type AuditRun, collectAudits } from './audit-collect.ts';
import { type Environment, readEnvironment } from './environment.ts';
import { checkVectors, type VectorResult } from './vectors-check.ts';

export interface Budgets {
  campaignRuns: number;
  bitRotRuns: number;
  workers: number;
  exploreWorkload: 'full' | 'small';
  kills: number;
  levelKills: number;
  /** Campaign scenarios per bug-zoo variant at most (`mutants --budget-runs`). */
  mutantRuns: number;
  benchSeconds: number;
  replayRecords: number;
  sweep: number[];
  /** Scenarios of the profiled one-thread campaign (`bench --harness`). */
  harnessRuns: number;
}

export const FULL_BUDGETS: Budgets = {
  campaignRuns: 20_000,
  bitRotRuns: 5_000,
  workers: 2,
  exploreWorkload: 'full',
  kills: 16,
  levelKills: 16,
  mutantRuns: BUDGET_RUNS_DEFAULT,
  benchSeconds: 3,
  replayRecords: 1_000_000,
  sweep: [4, 16],
  harnessRuns: 3000,
};

export const QUICK_BUDGETS: Budgets = {
  campaignRuns: 300,
  bitRotRuns: 100,
  workers: 1,
  exploreWorkload: 'small',
  kills: 2,
  levelKills: 2,
  mutantRuns: 5_000,
  benchSeconds: 1,
  replayRecords: 20_000,
  sweep: [],
  harnessRuns: 100,
};

export interface Measured<T> {
  command: string;
  result: T;
}

export interface RealRun extends Measured<RealSummary> {
  label: string;
}

export interface ReportData {
  env: Environment;
  budgets: Budgets;
  vectors: Measured<VectorResult[]>;
  campaign: Measured<CampaignSummary>;
  campaignBitRot: Measured<CampaignSummary>;
  explore: Measured<ExploreSummary>;
  real: RealRun[];
  level: RealRun[];
  mutants: Measured<MutantRow[]>;
  bench: Measured<BenchResult>;
  harness: Measured<HarnessProfile>;
  audits: AuditRun[];
}

const WALCHECK = 'npx tsx scripts/walcheck.ts';
const LEVEL_ENGINE = 'node --import tsx scripts/adapters/classic-level.ts';
const SEED = 1;

export async function collect(budgets: Budgets, step: (line: string) => void): Promise<ReportData> {
  const env = readEnvironment();
  step('golden vectors');
  const vectors = { command: 'npx vitest run test/vectors.test.ts', result: await checkVectors() };
  step(`crash campaign: ${budgets.campaignRuns} scenarios`);
  const campaign = {
    command: `${WALCHECK} crash --seed ${SEED} --runs ${budgets.campaignRuns} --workers ${budgets.workers}`,
    result: await runCampaignParallel({
      seed: SEED,
      runs: budgets.campaignRuns,
      workers: budgets.workers,
    }),
  };
  const bitRotOutcomes = [...DEFAULT_SHAPE.outcomes, 'bit-rot' as const];
  step(`crash campaign with bit rot: ${budgets.bitRotRuns} scenarios`);
  const campaignBitRot = {
    command: `${WALCHECK} crash --seed ${SEED} --runs ${budgets.bitRotRuns} --workers ${budgets.workers} --outcomes ${bitRotOutcomes.join(',')}`,
    result: await runCampaignParallel({
      seed: SEED,
      runs: budgets.bitRotRuns,
      workers: budgets.workers,
      shape: { ...DEFAULT_SHAPE, outcomes: bitRotOutcomes },
    }),
  };
  step(`explore (${budgets.exploreWorkload} workload)`);
  const explore = {
    command: `${WALCHECK} explore${budgets.exploreWorkload === 'small' ? ' --small' : ''}`,
    result: await runExplore({ workload: budgets.exploreWorkload }),
  };
  const real = [
    await realRun('process kills', budgets.kills, false, [], null, step),
    await realRun('kills with power-loss emulation', budgets.kills, true, [], null, step),
    await realRun(
      'power loss, then truncate/tear/flip damage',
      budgets.kills,
      true,
      ['truncate', 'tear', 'flip'],
      null,
      step,
    ),
  ];
  const level = [
    await realRun(
      'LevelDB (classic-level, sync: true), process kills',
      budgets.levelKills,
      false,
      [],
      LEVEL_ENGINE,
      step,
    ),
    await realRun(
      'LevelDB, kills then truncate/tear/flip damage',
      budgets.levelKills,
      false,
      ['truncate', 'tear', 'flip'],
      LEVEL_ENGINE,
      step,
    ),
  ];
  step(`bug zoo (up to ${budgets.mutantRuns} campaign scenarios per variant)`);
  const mutants = {
    command: `${WALCHECK} mutants --seed ${SEED}${budgets.mutantRuns === BUDGET_RUNS_DEFAULT ? '' : ` --budget-runs ${budgets.mutantRuns}`}`,
    result: await runMutants({
      seed: SEED,
      budgetRuns: budgets.mutantRuns,
      onStart: (variant, i, n) => step(`  mutant ${i + 1}/${n}: ${variant}`),
    }),
  };
  step('benchmarks');
  const bench = {
    command: `${WALCHECK} bench --seconds ${budgets.benchSeconds} --replay-records ${budgets.replayRecords} --sweep ${budgets.sweep.join(',')}`,
    result: await runBench({
      phaseSeconds: budgets.benchSeconds,
      writers: 64,
      replayRecords: budgets.replayRecords,
      replayBatch: 100,
      sweepWriters: budgets.sweep,
      progress: (line) => step(`  ${line}`),
    }),
  };
  step(`crash campaign profiled in one thread: ${budgets.harnessRuns} scenarios`);
  const harness = {
    command: `${WALCHECK} bench --harness --harness-runs ${budgets.harnessRuns}`,
    result: await profileHarness(HARNESS_SEED, budgets.harnessRuns),
  };
  const audits = await collectAudits(step);
  return {
    env,
    budgets,
    vectors,
    campaign,
    campaignBitRot,
    explore,
    real,
    level,
    mutants,
    bench,
    harness,
    audits,
  };
}

async function realRun(
  label: string,
  kills: number,
  powerLoss: boolean,
  damage: DamageKind[],
  engine: string | null,
  step: (line: string) => void,
): Promise<RealRun> {
  step(`real: ${label} (${kills} kills)`);
  const flags = [
    `--kills ${kills}`,
    `--seed ${SEED}`,
    powerLoss ? '--power-loss' : '',
    damage.length > 0 ? `--damage ${damage.join(',')}` : '',
    engine === null ? '' : `--engine "${engine}"`,
  ];
  const result = await runRealSuite({
    kills,
    seed: SEED,
    dir: null,
    powerLoss,
    damage,
    engine,
    segmentPattern: new RegExp(DEFAULT_SEGMENT_PATTERN),
    progress: () => undefined,
  });
  return { label, command: `${WALCHECK} real ${flags.filter((f) => f !== '').join(' ')}`, result };
}
