// A campaign spread over worker threads. Runs are split by index, each run's scenario comes
// from its own seed, and stats are sums, so the summary does not depend on the worker count.

import { performance } from 'node:perf_hooks';
import type { Worker } from 'node:worker_threads';
import { startModuleWorker } from '../runtime.ts';
import {
  type CampaignOptions,
  type CampaignSummary,
  type CampaignViolation,
  runCampaign,
  runIndices,
} from './campaign.ts';
import type { WorkerInput } from './campaign-worker.ts';
import { DEFAULT_SHAPE } from './scenario.ts';
import { addStats, emptyStats, type ScenarioStats } from './stats.ts';

type Found = Omit<CampaignViolation, 'scenariosUntilCaught' | 'secondsUntilCaught'>;
type Message = { runIndex: number; stats: ScenarioStats; found: Found | null } | { finished: true };

export async function runCampaignParallel(
  options: CampaignOptions & { workers: number },
): Promise<CampaignSummary> {
  if (options.workers <= 1 || options.engine !== undefined) return runCampaign(options);
  const indices = runIndices(options.runs, options.shard);
  const shape = options.shape ?? DEFAULT_SHAPE;
  const stats = emptyStats();
  const violations: CampaignViolation[] = [];
  const start = performance.now();
  let done = 0;
  const workers: Worker[] = [];
  const finished = Array.from({ length: options.workers }, (_, w) => {
    const input: WorkerInput = {
      seed: options.seed,
      shape,
      indices: indices.filter((_, i) => i % options.workers === w),
      shrinkMs: options.shrinkMs ?? 10_000,
    };
    const worker = startModuleWorker(new URL('./campaign-worker', import.meta.url), input);
    workers.push(worker);
    return new Promise<void>((resolve, reject) => {
      worker.on('message', (message: Message) => {
        if ('finished' in message) return resolve();
        done++;
        addStats(stats, message.stats);
        if (message.found !== null) {
          violations.push({
            ...message.found,
            scenariosUntilCaught: done,
            secondsUntilCaught: (performance.now() - start) / 1000 - message.found.secondsShrinking,
          });
          if (options.stopOnViolation !== false)
            for (const other of workers) void other.terminate();
        }
        options.onProgress?.({
          done,
          total: indices.length,
          violations: violations.length,
          elapsedMs: performance.now() - start,
        });
      });
      worker.on('error', reject);
      worker.on('exit', () => resolve());
    });
  });
  await Promise.all(finished);
  violations.sort((a, b) => a.runIndex - b.runIndex);
  const seconds = (performance.now() - start) / 1000;
  return {
    seed: options.seed,
    runs: done,
    runsPlanned: indices.length,
    stats,
    violations,
    seconds,
    scenariosPerSec: done / seconds,
  };
}
