// Where the crash campaign's time goes: runs a campaign in this thread under the V8 sampling
// profiler and splits the samples by the code they landed in (the engine under test, the
// oracle, the simulated filesystem and its crash images, the campaign driver, fast-check's
// generation, garbage collection, the rest). `walcheck bench --harness` prints it, so the
// campaign's speed is tracked like the engine's.

import { Session } from 'node:inspector/promises';
import { runCampaign, type CampaignSummary } from './campaign.ts';

export const HARNESS_AREAS = [
  'engine (src/)',
  'oracle (model/)',
  'simulated fs and images',
  'campaign driver',
  'generation (fast-check)',
  'garbage collection',
  'other',
] as const;

export type HarnessArea = (typeof HARNESS_AREAS)[number];

/** The seed `walcheck bench --harness` and the report profile (issue 12 measured with it). */
export const HARNESS_SEED = 9001;

export interface HarnessProfile {
  seed: number;
  runs: number;
  scenariosPerSec: number;
  seconds: number;
  /** Share of the sampled time (0..1) per area; idle time is left out. */
  shares: Record<HarnessArea, number>;
  summary: CampaignSummary;
}

interface ProfileNode {
  id: number;
  callFrame: { url: string; functionName: string };
}

interface Profile {
  nodes: ProfileNode[];
  samples?: number[];
  timeDeltas?: number[];
}

/** The area a sampled frame belongs to, by its script's path. */
export function areaOf(url: string, functionName: string): HarnessArea | 'idle' {
  if (functionName === '(idle)') return 'idle';
  if (functionName === '(garbage collector)') return 'garbage collection';
  if (url.includes('fast-check')) return 'generation (fast-check)';
  if (url.includes('/src/')) return 'engine (src/)';
  if (url.includes('/model/')) return 'oracle (model/)';
  if (url.includes('/faults/disk/')) return 'simulated fs and images';
  if (url.includes('/faults/')) return 'campaign driver';
  return 'other';
}

/** Shares of self time per area, idle left out. */
export function sharesOf(profile: Profile): Record<HarnessArea, number> {
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const time = Object.fromEntries(HARNESS_AREAS.map((area) => [area, 0])) as Record<
    HarnessArea,
    number
  >;
  let total = 0;
  const samples = profile.samples ?? [];
  for (let i = 0; i < samples.length; i++) {
    const node = byId.get(samples[i]!);
    if (node === undefined) continue;
    const area = areaOf(node.callFrame.url, node.callFrame.functionName);
    if (area === 'idle') continue;
    const delta = profile.timeDeltas?.[i] ?? 0;
    time[area] += delta;
    total += delta;
  }
  for (const area of HARNESS_AREAS) time[area] = total === 0 ? 0 : time[area] / total;
  return time;
}

/** Runs `runs` scenarios of `seed` in this thread, profiled. */
export async function profileHarness(seed: number, runs: number): Promise<HarnessProfile> {
  const session = new Session();
  session.connect();
  try {
    await session.post('Profiler.enable');
    await session.post('Profiler.start');
    const summary = await runCampaign({ seed, runs });
    const { profile } = (await session.post('Profiler.stop')) as { profile: Profile };
    return {
      seed,
      runs,
      scenariosPerSec: summary.scenariosPerSec,
      seconds: summary.seconds,
      shares: sharesOf(profile),
      summary,
    };
  } finally {
    session.disconnect();
  }
}
