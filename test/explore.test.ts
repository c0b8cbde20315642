// Exhaustive exploration of the small workload: every crash point and outcome variant and
// every bit flip, on the engine (no violation) and on a broken one (caught).

import { describe, expect, it } from 'vitest';
import { EXPLORE_KINDS, runExplore } from '../faults/explore.ts';
import { noSyncEngine } from './support/seam-engines.ts';

describe('explore', () => {
  it('finds no violation in any state of the small workload', async () => {
    const summary = await runExplore({ workload: 'small' });
    expect(summary.violations.map((v) => v.report)).toEqual([]);
    expect(summary.crashPoints).toBe(2 * summary.operations);
    for (const kind of EXPLORE_KINDS) expect(summary.states[kind]).toBeGreaterThan(0);
    expect(summary.states['keep-prefix']).toBeGreaterThan(summary.crashPoints);
    // Every crash state of the product (file data x closed directory subsets) was walked.
    expect(Object.values(summary.bounded).every((n) => n === 0)).toBe(true);
  });

  it('catches an engine that acknowledges before durability', async () => {
    const summary = await runExplore({ workload: 'small', engine: noSyncEngine });
    expect(summary.violations[0]?.rule).toBe(1);
  });
});
