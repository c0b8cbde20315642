// A fixed bug replays as "passes now": the token a broken engine's campaign printed names one
// scenario, and replaying it on the fixed engine runs exactly that scenario (it used to run
// fast-check's next shrink candidates once the named one passed, and refuse the token because
// their check differed). Eight seeds, since only some shrink paths end where later
// candidates follow.

import { describe, expect, it } from 'vitest';
import { runCampaign } from '../faults/campaign/campaign.ts';
import { reproduce } from '../faults/campaign/repro.ts';
import { shippedEngine } from '../faults/engine/engine-under-test.ts';
import { noSyncEngine } from './support/seam-engines.ts';

const SEEDS = [1, 2, 3, 4, 5, 6, 7, 8];

describe('reproduce after a fix', () => {
  it(`replays each token of a broken engine: still failing on it, passing on the fixed one (seeds ${SEEDS.join(', ')})`, async () => {
    const fixed = await shippedEngine();
    for (const seed of SEEDS) {
      const summary = await runCampaign({ engine: noSyncEngine, seed, runs: 200 });
      const found = summary.violations[0];
      expect(found, `seed ${seed}`).toBeDefined();
      const again = await reproduce(found!.token, { engine: noSyncEngine });
      expect(again.report, `seed ${seed}`).toBe(found!.report);
      const now = await reproduce(found!.token, { engine: fixed, variant: 'custom' });
      expect(now.violation, `seed ${seed}: ${found!.token}`).toBeNull();
      expect(now.report).toBe(`the scenario of ${found!.token} passes on this code: no violation`);
      expect(now.scenario).toEqual(again.scenario);
    }
  }, 300_000);
});
