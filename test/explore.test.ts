// Exhaustive exploration of the small workload: every crash point and outcome variant and
// every bit flip, on the engine (no violation) and on a broken one (caught). The engine's
// exploration runs once (it is the slow part); its summary and its progress calls are each
// checked by a test of their own.

import { describe, expect, it } from 'vitest';
import { EXPLORE_KINDS, type ExploreSummary, runExplore } from '../faults/explore/explore.ts';
import { noSyncEngine } from './support/seam-engines.ts';

type Progress = [done: number, total: number, phase: string];

let smallRun: Promise<{ summary: ExploreSummary; progress: Progress[] }> | undefined;

/** The engine's exploration of the small workload with its progress calls, run on first use. */
function exploreSmall(): Promise<{ summary: ExploreSummary; progress: Progress[] }> {
  smallRun ??= (async () => {
    const progress: Progress[] = [];
    const summary = await runExplore({
      workload: 'small',
      onProgress: (done, total, phase) => progress.push([done, total, phase]),
    });
    return { summary, progress };
  })();
  return smallRun;
}

describe('explore', () => {
  it('finds no violation in any state of the small workload', async () => {
    const { summary } = await exploreSmall();
    expect(summary.violations.map((v) => v.report)).toEqual([]);
    expect(summary.crashPoints).toBe(2 * summary.operations);
    for (const kind of EXPLORE_KINDS) expect(summary.states[kind]).toBeGreaterThan(0);
    expect(summary.states['keep-prefix']).toBeGreaterThan(summary.crashPoints);
    // Every crash state of the product (file data x closed directory subsets) was walked.
    expect(Object.values(summary.bounded).every((n) => n === 0)).toBe(true);
  });

  it('progress counts the crash points the summary counts', async () => {
    const { summary, progress } = await exploreSmall();
    const totals = new Set(progress.map(([, total]) => total));
    expect([...totals]).toEqual([summary.crashPoints]);
    expect(Math.max(...progress.map(([done]) => done))).toBe(summary.crashPoints);
    expect(progress.at(-1)).toEqual([summary.crashPoints, summary.crashPoints, 'flips']);
  });

  it('catches an engine that acknowledges before durability', async () => {
    const summary = await runExplore({ workload: 'small', engine: noSyncEngine });
    expect(summary.violations[0]?.rule).toBe(1);
  });
});
