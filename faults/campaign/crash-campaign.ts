// runCampaign: the crash campaign as a library call, a thin wrapper of campaign.ts's
// runCampaign (through parallel.ts, for workers) that checks the options against
// CAMPAIGN_LIMITS, the limits `walcheck crash` checks its flags against too. It resolves to
// the summary object that `walcheck crash --json` prints as its last line (the CLI builds
// that line with crashSummary too), so a test suite can assert on exactly what CI scripts
// parse.

import type { CampaignProgress, CampaignSummary } from './campaign.ts';
import type { EngineUnderTest } from '../engine/engine-under-test.ts';
import { runCampaignParallel } from './parallel.ts';
import { DEFAULT_SHAPE } from './scenario.ts';
import { type CampaignJson, campaignJson } from './shard-json.ts';
import { OUTCOME_KINDS, type OutcomeKind } from '../disk/crash-outcome.ts';
import { HarnessInputError } from '../base/harness-error.ts';

export interface RunCampaignOptions {
  /** Campaign seed (default 1); the same seed gives the same summary. */
  seed?: number;
  /** Scenarios to run (default 2000). */
  runs?: number;
  /** Worker threads (default 1); the summary does not depend on it. */
  workers?: number;
  /** Crash outcomes to allow (default: all but bit-rot). */
  outcomes?: readonly OutcomeKind[];
  /** Inject operation failures as well as crashes (default true). */
  faults?: boolean;
  /** Run only the runs i with i % count === index. */
  shard?: { index: number; count: number };
  /**
   * The engine under test (default: walcheck's own `Database`): an engine implementing the
   * crash-test interface (faults/engine/engine-interface.ts), or a module shaped like walcheck's.
   * A given engine runs in this thread (workers run walcheck's own).
   */
  engine?: EngineUnderTest;
  /**
   * Shrinking a failure replays at most this many scenarios, then keeps the smallest failure
   * found (default 10,000, SHRINK_RUNS_MAX_DEFAULT; 0: report it as first generated).
   */
  shrinkRunsMax?: number;
  /** Stop after this many seconds and summarize what ran (`stoppedBy: 'deadline'`). */
  seconds?: number;
  /** Stop when aborted and summarize what ran (`interrupted: true`). */
  signal?: AbortSignal;
  onProgress?: (progress: CampaignProgress) => void;
}

/** The summary of `walcheck crash --json` (faults/campaign/shard-json.ts). */
export type CrashSummary = CampaignJson;

/** The JSON summary of a campaign, as `walcheck crash --json` prints it. */
export const crashSummary: (summary: CampaignSummary) => CrashSummary = campaignJson;

/** The campaign's limits, defined once for runCampaign and `walcheck crash`'s flags. */
export const CAMPAIGN_LIMITS = Object.freeze({
  seedMax: 2 ** 31 - 1,
  runsDefault: 2000,
  runsMax: 100_000_000,
  workersMax: 64,
});
const { seedMax: SEED_MAX, runsMax: RUNS_MAX, workersMax: WORKERS_MAX } = CAMPAIGN_LIMITS;

export async function runCampaign(options: RunCampaignOptions = {}): Promise<CrashSummary> {
  const seed = checkedInteger('seed', options.seed ?? 1, 0, SEED_MAX);
  const runs = checkedInteger('runs', options.runs ?? CAMPAIGN_LIMITS.runsDefault, 1, RUNS_MAX);
  const workers = checkedInteger('workers', options.workers ?? 1, 1, WORKERS_MAX);
  const outcomes = options.outcomes ?? DEFAULT_SHAPE.outcomes;
  const unknown = outcomes.find((kind) => !OUTCOME_KINDS.includes(kind));
  if (outcomes.length === 0 || unknown !== undefined)
    throw new HarnessInputError(
      'BAD_OPTION',
      `outcomes must be a non-empty list of ${OUTCOME_KINDS.join(', ')}`,
    );
  if (options.shrinkRunsMax !== undefined)
    checkedInteger('shrinkRunsMax', options.shrinkRunsMax, 0, RUNS_MAX);
  if (options.shard !== undefined) {
    const { index, count } = options.shard;
    checkedInteger('shard count', count, 1, RUNS_MAX);
    checkedInteger('shard index', index, 0, count - 1);
  }
  const summary = await runCampaignParallel({
    seed,
    runs,
    workers,
    shape: { ...DEFAULT_SHAPE, outcomes: [...new Set(outcomes)], faults: options.faults ?? true },
    ...(options.shard === undefined ? {} : { shard: options.shard }),
    ...(options.engine === undefined ? {} : { engine: options.engine }),
    ...(options.shrinkRunsMax === undefined ? {} : { shrinkRunsMax: options.shrinkRunsMax }),
    ...(options.onProgress === undefined ? {} : { onProgress: options.onProgress }),
    ...(options.seconds === undefined ? {} : { deadlineMs: options.seconds * 1000 }),
    ...(options.signal === undefined ? {} : { signal: options.signal }),
  });
  return crashSummary(summary);
}

function checkedInteger(name: string, value: number, min: number, max: number): number {
  if (!Number.isSafeInteger(value) || value < min || value > max)
    throw new HarnessInputError(
      'BAD_OPTION',
      `${name} must be an integer from ${min} to ${max}, got ${value}`,
    );
  return value;
}
