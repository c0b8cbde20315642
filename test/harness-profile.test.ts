// `walcheck bench --harness` (faults/campaign/harness-profile.ts): a profiled campaign gives
// its summary, scenarios/s, and shares of busy time per area that add up to the whole.

import { describe, expect, it } from 'vitest';
import {
  areaOf,
  HARNESS_AREAS,
  profileHarness,
  sharesOf,
} from '../faults/campaign/harness-profile.ts';
import { harnessTable } from '../scripts/cli/tables.ts';

describe('harness profile', () => {
  it('names the area of a frame by its script', () => {
    expect(areaOf('file:///p/src/db/database.ts', 'open')).toBe('engine (src/)');
    expect(areaOf('file:///p/model/check-ack.ts', 'x')).toBe('oracle (model/)');
    expect(areaOf('file:///p/faults/disk/sim-fs.ts', 'x')).toBe('simulated fs and images');
    expect(areaOf('file:///p/faults/judge/observe.ts', 'x')).toBe('campaign driver');
    expect(areaOf('file:///p/node_modules/fast-check/lib/fast-check.js', 'x')).toBe(
      'generation (fast-check)',
    );
    expect(areaOf('', '(garbage collector)')).toBe('garbage collection');
    expect(areaOf('', '(idle)')).toBe('idle');
    expect(areaOf('node:internal/timers', 'x')).toBe('other');
  });

  it('leaves idle time out of the shares, and a profile without samples shares nothing', () => {
    const nodes = [
      { id: 1, callFrame: { url: '', functionName: '(idle)' } },
      { id: 2, callFrame: { url: '/p/src/a.ts', functionName: 'f' } },
      { id: 3, callFrame: { url: '/p/model/b.ts', functionName: 'g' } },
    ];
    const shares = sharesOf({ nodes, samples: [1, 2, 3, 3], timeDeltas: [50, 10, 15, 15] });
    expect(shares['engine (src/)']).toBeCloseTo(0.25);
    expect(shares['oracle (model/)']).toBeCloseTo(0.75);
    expect(Object.values(sharesOf({ nodes })).every((share) => share === 0)).toBe(true);
    // A sample of an unknown node, and samples without time deltas, count nothing.
    const unknown = sharesOf({ nodes, samples: [2, 99], timeDeltas: [10, 10] });
    expect(unknown['engine (src/)']).toBe(1);
    expect(Object.values(sharesOf({ nodes, samples: [2] })).every((s) => s === 0)).toBe(true);
  });

  it('runs a small campaign under the profiler and prints scenarios/s and every area', async () => {
    const profile = await profileHarness(9001, 20);
    expect(profile.summary.runs).toBe(20);
    expect(profile.summary.violations).toEqual([]);
    expect(profile.scenariosPerSec).toBeGreaterThan(0);
    const total = HARNESS_AREAS.reduce((sum, area) => sum + profile.shares[area], 0);
    expect(total).toBeCloseTo(1);
    const table = harnessTable(profile).join('\n');
    for (const area of HARNESS_AREAS) expect(table).toContain(`| ${area} |`);
    expect(table).toContain('scenarios/s');
    const { stats } = profile.summary;
    expect(table).toContain(
      `per scenario: ${(stats.crashes / 20).toFixed(2)} crash points, ${(stats.recoveries / 20).toFixed(2)} recoveries`,
    );
  });
});
