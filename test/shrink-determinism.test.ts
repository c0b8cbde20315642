// Shrinking is bounded by a count of replayed scenarios, not by a clock (issue 16): the same
// failure shrinks to the same scenario, in as many steps, with the same repro token, whether
// the machine is idle or busy. Checked by shrinking one failure twice, the second time while
// two CPU hogs compete for the cores, once with a budget fast-check exhausts (so where it is
// cut off matters) and once with the default (fast-check finishes first).

import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { describe, expect, it } from 'vitest';
import { type CampaignViolation, runCampaign } from '../faults/campaign/campaign.ts';
import { noSyncEngine } from './support/seam-engines.ts';

const SEED = 20240611;
/** Fewer than the ~80 replays fast-check takes to finish this failure's shrink. */
const CUT_SHORT = 10; // under the 29 replays this shrink takes to finish (seed 20240611)

async function shrunkOnce(
  shrinkRunsMax: number | undefined,
): Promise<Omit<CampaignViolation, 'secondsShrinking' | 'secondsUntilCaught'>> {
  const summary = await runCampaign({
    engine: noSyncEngine,
    seed: SEED,
    runs: 200,
    ...(shrinkRunsMax === undefined ? {} : { shrinkRunsMax }),
  });
  const found = summary.violations[0];
  if (found === undefined)
    throw new Error(`the engine without fsync was not caught (seed ${SEED})`);
  const { secondsShrinking: _s, secondsUntilCaught: _u, ...counted } = found;
  return counted;
}

/** Runs `work` while two busy-looping processes load the machine; they are killed after. */
async function underLoad<T>(work: () => Promise<T>): Promise<T> {
  const hogs: ChildProcess[] = [];
  try {
    for (let i = 0; i < 2; i++) {
      const hog = spawn(process.execPath, ['-e', 'for (;;) {}'], { stdio: 'ignore' });
      hogs.push(hog);
      await once(hog, 'spawn');
    }
    return await work();
  } finally {
    for (const hog of hogs) hog.kill('SIGKILL');
    await Promise.all(hogs.map((hog) => (hog.exitCode === null ? once(hog, 'exit') : null)));
  }
}

describe('shrinking depends on the seed and the code, not on the machine', () => {
  it(`a budget of ${CUT_SHORT} replays cuts the shrink at the same point, idle or loaded`, async () => {
    const idle = await shrunkOnce(CUT_SHORT);
    expect(idle.shrinkRuns).toBe(CUT_SHORT); // the budget ended the shrink
    expect(idle.shrunkBatches).toBeLessThanOrEqual(idle.originalBatches);
    const loaded = await underLoad(() => shrunkOnce(CUT_SHORT));
    expect(loaded).toEqual(idle);
  });

  it('the default budget lets fast-check finish, with the same result idle or loaded', async () => {
    const idle = await shrunkOnce(undefined);
    expect(idle.shrinkRuns).toBeGreaterThan(CUT_SHORT);
    expect(idle.shrunkBatches).toBeLessThanOrEqual(2);
    const loaded = await underLoad(() => shrunkOnce(undefined));
    expect(loaded).toEqual(idle);
  });
});
