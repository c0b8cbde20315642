// An engine walcheck did not write, in a format its oracle cannot decode, crash-tested through
// the engine interface alone (examples/applog-engine imports only the harness entry): it
// passes a campaign and the exhaustive explorer, and its variant that acknowledges before
// datasync is caught by rule 1 through recovery of the durable image, and shrunk.

import { describe, expect, it } from 'vitest';
import { appLogEngine } from '../examples/applog-engine/applog-engine.ts';
import { runCampaign as runCampaignRaw } from '../faults/campaign/campaign.ts';
import { DEFAULT_SHAPE } from '../faults/campaign/scenario.ts';
import { HarnessInputError, reproduce, runCampaign, runExplore } from '../faults/harness.ts';
import { blackBoxAppLogEngine, noSyncAppLogEngine } from './support/applog-variants.ts';

const SEED = Number(process.env.WALCHECK_SEED ?? 20240611);
const RUNS = 300;

describe('an engine of another format through the engine interface (examples/applog-engine)', () => {
  it(`passes a campaign (seed ${SEED}, ${RUNS} runs; WALCHECK_SEED)`, async () => {
    const summary = await runCampaign({ engine: appLogEngine, seed: SEED, runs: RUNS });
    expect(summary.firstViolation?.report ?? null).toBeNull();
    expect(summary.runs).toBe(RUNS);
    expect(summary.acks).toBeGreaterThan(RUNS); // each checked by recovering a durable copy
    expect(summary.readOnlyOpens).toBeGreaterThan(0);
    expect(summary.faultsFired).toBeGreaterThan(0);
    expect(summary.openRetries).toBeGreaterThan(0);
  });

  it(`seen as a black box (no lastSeq, no report), passes a campaign and explore (seed ${SEED})`, async () => {
    const summary = await runCampaign({ engine: blackBoxAppLogEngine, seed: SEED, runs: 100 });
    expect(summary.firstViolation?.report ?? null).toBeNull();
    expect(summary.recoveries).toBeGreaterThan(100);
    const explored = await runExplore({ engine: blackBoxAppLogEngine, workload: 'small' });
    expect(explored.violations.map((v) => v.report)).toEqual([]);
  });

  it('passes explore: every crash point and outcome of the full workload', async () => {
    const summary = await runExplore({ engine: appLogEngine });
    expect(summary.violations.map((v) => v.report)).toEqual([]);
    expect(summary.acksChecked).toBeGreaterThan(0);
    expect(summary.states['keep-prefix']).toBeGreaterThan(1000);
    expect(summary.states['tear-sectors']).toBeGreaterThan(0);
    // Bit and field flips aim at walcheck's WAL records: not at a format the oracle cannot read.
    expect(summary.states['bit-flip']).toBe(0);
    expect(summary.states['field-flip']).toBe(0);
  });

  it(`catches its variant without datasync before the ack (rule 1) and shrinks it (seed ${SEED})`, async () => {
    const engine = await noSyncAppLogEngine();
    const summary = await runCampaignRaw({ engine, seed: SEED, runs: 50 });
    const found = summary.violations[0];
    expect(found?.rule).toBe(1);
    expect(found!.report).toContain('a recovery of the durable image at its acknowledgement');
    expect(found!.shrunkBatches).toBeLessThanOrEqual(2);
    expect(found!.shrunkBatches).toBeLessThanOrEqual(found!.originalBatches);
    const again = await reproduce(found!.token, { engine });
    expect(again.violation?.verdict.rule).toBe(1);
  });

  it('explore catches the variant without datasync at an acknowledgement', async () => {
    const summary = await runExplore({ engine: await noSyncAppLogEngine(), workload: 'small' });
    expect(summary.violations[0]?.rule).toBe(1);
  });

  it('refuses bit rot for an engine whose records the oracle cannot find', async () => {
    const shape = { ...DEFAULT_SHAPE, outcomes: ['bit-rot' as const] };
    await expect(runCampaignRaw({ engine: appLogEngine, seed: 1, runs: 1, shape })).rejects.toThrow(
      HarnessInputError,
    );
  });
});
