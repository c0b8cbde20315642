// The three classes of engine bug the default runs once never reached (issue 16 item 5), each
// with its bug-zoo variant (faults/mutants/zoo-reach.ts): caught now, and the shipped engine
// passing the same run. That each variant passed the harness before the step that catches it
// was measured with the harness of the commit before (README, "The bug zoo").

import { describe, expect, it } from 'vitest';
import { checkOpenWhileClosing } from '../model/check-lifecycle.ts';
import { runCampaign } from '../faults/campaign/campaign.ts';
import { runScenario } from '../faults/campaign/run-scenario.ts';
import type { Scenario, Step } from '../faults/campaign/scenario.ts';
import { emptyStats } from '../faults/campaign/stats.ts';
import { shippedEngine } from '../faults/engine/engine-under-test.ts';
import { loadMutantEngine } from '../faults/mutants/mutant-engine.ts';
import { mutantNamed } from '../faults/mutants/zoo.ts';

const put = (i: number) => [
  { type: 'put' as const, key: Uint8Array.of(0x61 + (i % 8)), value: new Uint8Array(40).fill(i) },
];

/** One cycle of `steps`, no crash inside it (the final recovery judges what is left). */
function oneCycle(steps: readonly Step[]): Scenario {
  return {
    segmentBytesMax: 1 << 20,
    groupBytesMax: 200,
    cycles: [
      {
        recovery: 'tolerate-tail',
        readOnlyFirst: false,
        steps,
        crash: { opIndex: 1_000_000, when: 'before', outcome: 'lose-unsynced', outcomeSeed: 0 },
        fault: null,
      },
    ],
  };
}

async function mutant(name: string) {
  const found = mutantNamed(name);
  if (found === undefined) throw new Error(`no mutant ${name}`);
  return loadMutantEngine(found);
}

describe('(a) a writable open while close() drains the queue', () => {
  const scenario = oneCycle([
    { wave: { batches: [0, 1, 2, 3, 4].map(put), settle: false } },
    { wave: { batches: [5, 6, 7, 8, 9].map(put), settle: false } },
    { openWhileClosing: true },
    { wave: { batches: [10, 11].map(put), settle: true } },
  ]);

  it('judges the racing open: refused LOCKED or BUSY, or opened only after close() resolved', () => {
    expect(checkOpenWhileClosing({ opened: false, code: 'LOCKED', injected: false }).ok).toBe(true);
    expect(checkOpenWhileClosing({ opened: false, code: 'BUSY', injected: false }).ok).toBe(true);
    expect(checkOpenWhileClosing({ opened: false, code: 'IO', injected: true }).ok).toBe(true);
    expect(
      checkOpenWhileClosing({ opened: true, closeResolved: true, settledAfterLock: 0 }).ok,
    ).toBe(true);
    expect(
      checkOpenWhileClosing({ opened: true, closeResolved: false, settledAfterLock: 0 }),
    ).toMatchObject({
      ok: false,
      rule: 2,
    });
    expect(
      checkOpenWhileClosing({ opened: true, closeResolved: true, settledAfterLock: 3 }),
    ).toMatchObject({ ok: false, rule: 2 });
    expect(checkOpenWhileClosing({ opened: false, code: 'IO', injected: false })).toMatchObject({
      ok: false,
      rule: 2,
    });
  });

  it('the shipped engine refuses it and then reopens with every ack; close-unlocks-before-drain is caught', async () => {
    const shippedStats = emptyStats();
    expect(await runScenario(await shippedEngine(), scenario, shippedStats)).toBeNull();
    expect(shippedStats.acks).toBe(12);
    const found = await runScenario(
      await mutant('close-unlocks-before-drain'),
      scenario,
      emptyStats(),
    );
    expect(found?.verdict.rule).toBe(2);
  });

  it('the default campaign (seed 1, 2,000 scenarios) catches close-unlocks-before-drain', async () => {
    const summary = await runCampaign({
      engine: await mutant('close-unlocks-before-drain'),
      variant: 'close-unlocks-before-drain',
      seed: 1,
      runs: 2000,
      stopOnViolation: true,
      shrinkRunsMax: 0,
    });
    expect(summary.violations[0]?.rule).toBe(2);
  }, 120_000);
});
