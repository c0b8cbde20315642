// Liveness end to end: an engine that leaves a write, an open or a recovery pending forever
// is reported as a violation with the usual report (rule 5, or 7 after a failure), by the
// campaign and by explore, instead of the process ending silently with nothing settled.

import { describe, expect, it } from 'vitest';
import type { Batch } from '../src/batch.ts';
import type { OpenOptions } from '../src/index.ts';
import * as shipped from '../src/index.ts';
import type { EngineModule } from '../faults/engine/engine-under-test.ts';
import { runScenario } from '../faults/campaign/run-scenario.ts';
import type { Scenario } from '../faults/campaign/scenario.ts';
import { emptyStats } from '../faults/campaign/stats.ts';
import { runExplore } from '../faults/explore/explore.ts';

const never = <T>(): Promise<T> => new Promise<T>(() => {});

/** The shipped engine, with `open` replaced where `hang` says so and its third write lost. */
function engineThat(hang: (options: OpenOptions | undefined) => boolean, loseWrites: boolean) {
  return {
    Database: {
      open: async (dir: string, options?: OpenOptions) => {
        if (hang(options)) return never();
        const db = await shipped.Database.open(dir, options);
        let writes = 0;
        const write = db.write.bind(db);
        return Object.assign(db, {
          write: (batch: Batch) => (loseWrites && ++writes === 3 ? never() : write(batch)),
        });
      },
    },
  } as unknown as EngineModule;
}

const put = (key: number): Batch => [
  { type: 'put', key: Uint8Array.of(0x60 + key), value: Uint8Array.of(key) },
];

describe('liveness', () => {
  it('the campaign reports a write that never settles, naming it (rule 5)', async () => {
    const scenario: Scenario = {
      segmentBytesMax: 1 << 20,
      groupBytesMax: 1 << 20,
      cycles: [
        {
          recovery: 'tolerate-tail',
          readOnlyFirst: false,
          steps: [{ wave: { batches: [put(1), put(2), put(3)], settle: true } }],
          crash: { opIndex: 1_000_000, when: 'before', outcome: 'lose-unsynced', outcomeSeed: 0 },
          fault: null,
        },
      ],
    };
    const found = await runScenario(
      engineThat(() => false, true),
      scenario,
      emptyStats(),
    );
    expect(found?.verdict).toMatchObject({ rule: 5 });
    expect(found?.phase).toBe('liveness');
    expect(found?.verdict.ok === false && found.verdict.message).toMatch(
      /batch id 3 never settled \(writes of a wave\): the engine went idle/,
    );
  });

  it('explore reports an open that never completes instead of ending silently', async () => {
    const summary = await runExplore({ workload: 'small', engine: engineThat(() => true, false) });
    expect(summary.violations[0]?.rule).toBe(5);
    expect(summary.violations[0]?.report).toMatch(/open never completed/);
  });

  it('explore reports a point-in-time recovery that never completes', async () => {
    const engine = engineThat((options) => options?.recovery === 'point-in-time', false);
    const summary = await runExplore({ workload: 'small', engine });
    expect(summary.violations[0]?.rule).toBe(5);
    expect(summary.violations[0]?.report).toMatch(/point-in-time open never completed/);
    expect(summary.states['recovery-mode']).toBeGreaterThan(0);
  });
});
