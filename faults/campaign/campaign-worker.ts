// Worker thread of a parallel campaign: runs its share of the run indices against the
// shipped engine and reports each result to the parent.

import { parentPort, workerData } from 'node:worker_threads';
import { eachRunIndex, runOne } from './campaign.ts';
import { shippedEngine } from '../engine/engine-under-test.ts';
import type { ScenarioShape } from './scenario.ts';
import { emptyStats } from './stats.ts';

export interface WorkerInput {
  seed: number;
  shape: ScenarioShape;
  variant: string;
  runs: number;
  shard?: { index: number; count: number };
  /** This worker runs every `workers`-th index of the shard, from the `worker`-th. */
  split: { worker: number; workers: number };
  /** The campaign's shrink budget (runOne's default when absent). */
  shrinkRunsMax?: number;
}

const input = workerData as WorkerInput;
const port = parentPort;
if (port === null) throw new Error('campaign-worker.ts runs as a worker thread');

const engine = await shippedEngine();
for (const runIndex of eachRunIndex(input.runs, input.shard, input.split)) {
  const stats = emptyStats();
  const found = await runOne(engine, input.shape, input.seed, runIndex, stats, {
    ...(input.shrinkRunsMax === undefined ? {} : { shrinkRunsMax: input.shrinkRunsMax }),
    variant: input.variant,
  });
  port.postMessage({ runIndex, stats, found });
}
port.postMessage({ finished: true });
