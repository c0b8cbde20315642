// A campaign spread over worker threads. Runs are split by index, each run's scenario comes
// from its own seed, and stats are sums, so the summary does not depend on the worker count.
// A deadline or an abort (signal) terminates the workers; runs they had not reported do not
// count.

import { performance } from 'node:perf_hooks';
import type { Worker } from 'node:worker_threads';
import { startModuleWorker } from '../base/runtime.ts';
import {
  type CampaignOptions,
  type CampaignSummary,
  type CampaignViolation,
  runCampaign,
  shardRunCount,
  summarize,
  variantOf,
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
  const planned = shardRunCount(options.runs, options.shard);
  const shape = options.shape ?? DEFAULT_SHAPE;
  const variant = variantOf(options);
  const stats = emptyStats();
  const violations: CampaignViolation[] = [];
  const start = performance.now();
  let done = 0;
  let stoppedBy: CampaignSummary['stoppedBy'] = 'complete';
  const workers: Worker[] = [];
  const stopAll = (why: CampaignSummary['stoppedBy']): void => {
    if (stoppedBy === 'complete') stoppedBy = why;
    for (const worker of workers) void worker.terminate();
  };
  const onAbort = (): void => stopAll('interrupted');
  options.signal?.addEventListener('abort', onAbort);
  const deadline =
    options.deadlineMs === undefined
      ? undefined
      : setTimeout(() => stopAll('deadline'), options.deadlineMs);
  const finished = Array.from({ length: options.workers }, (_, w) => {
    const input: WorkerInput = {
      seed: options.seed,
      shape,
      variant,
      runs: options.runs,
      ...(options.shard === undefined ? {} : { shard: options.shard }),
      split: { worker: w, workers: options.workers },
      ...(options.shrinkRunsMax === undefined ? {} : { shrinkRunsMax: options.shrinkRunsMax }),
    };
    const worker = startModuleWorker(new URL('./campaign-worker', import.meta.url), input);
    workers.push(worker);
    return new Promise<void>((resolve, reject) => {
      worker.on('message', (message: Message) => {
        if ('finished' in message || stoppedBy !== 'complete') return;
        done++;
        addStats(stats, message.stats);
        if (message.found !== null) {
          violations.push({
            ...message.found,
            scenariosUntilCaught: done,
            secondsUntilCaught: (performance.now() - start) / 1000 - message.found.secondsShrinking,
          });
          if (options.stopOnViolation !== false && done < planned) stopAll('violation');
        }
        options.onProgress?.({
          done,
          total: planned,
          violations: violations.length,
          elapsedMs: performance.now() - start,
        });
      });
      worker.on('error', reject);
      worker.on('exit', () => resolve());
    });
  });
  if (options.signal?.aborted === true) onAbort();
  try {
    await Promise.all(finished);
  } finally {
    clearTimeout(deadline);
    options.signal?.removeEventListener('abort', onAbort);
  }
  violations.sort((a, b) => a.runIndex - b.runIndex);
  return summarize(options, shape, variant, { done, planned, stoppedBy, stats, violations, start });
}
