// Worker thread of a parallel campaign: runs the run indices it is given against the
// shipped engine and reports each result to the parent.

import { parentPort, workerData } from 'node:worker_threads';
import { runOne } from './campaign.ts';
import { shippedEngine } from './engine-under-test.ts';
import type { ScenarioShape } from './scenario.ts';
import { emptyStats } from './stats.ts';

export interface WorkerInput {
  seed: number;
  shape: ScenarioShape;
  indices: number[];
  shrinkMs: number;
}

const input = workerData as WorkerInput;
const port = parentPort;
if (port === null) throw new Error('campaign-worker.ts runs as a worker thread');

const engine = await shippedEngine();
for (const runIndex of input.indices) {
  const stats = emptyStats();
  const found = await runOne(engine, input.shape, input.seed, runIndex, stats, input.shrinkMs);
  port.postMessage({ runIndex, stats, found });
}
port.postMessage({ finished: true });
