// The crash campaign: a fixed-seed campaign on the engine large enough to matter in CI
// (WALCHECK_CAMPAIGN_RUNS scales it), determinism, sharding, and a broken engine caught,
// shrunk and reproduced from its token.

import { describe, expect, it } from 'vitest';
import { runCampaign, runIndices } from '../faults/campaign/campaign.ts';
import { runCampaignParallel } from '../faults/campaign/parallel.ts';
import { decodeToken, encodeToken } from '../faults/campaign/repro-token.ts';
import { reproduce } from '../faults/campaign/repro.ts';
import { DEFAULT_SHAPE } from '../faults/campaign/scenario.ts';
import { noSyncEngine } from './support/seam-engines.ts';

const SEED = Number(process.env.WALCHECK_SEED ?? 20240611);
const RUNS = Number(process.env.WALCHECK_CAMPAIGN_RUNS ?? 10000);
const ALL_OUTCOMES = { ...DEFAULT_SHAPE, outcomes: [...DEFAULT_SHAPE.outcomes, 'bit-rot' as const] };

describe('crash campaign', () => {
  it(`finds no violation on the engine (seed ${SEED}, ${RUNS} runs; WALCHECK_SEED, WALCHECK_CAMPAIGN_RUNS)`, async () => {
    console.log(`crash campaign: seed ${SEED}, ${RUNS} runs (WALCHECK_SEED, WALCHECK_CAMPAIGN_RUNS)`);
    const summary = await runCampaign({ seed: SEED, runs: RUNS, stopOnViolation: true });
    expect(summary.violations.map((v) => v.report)).toEqual([]);
    expect(summary.runs).toBe(RUNS);
    for (const kind of DEFAULT_SHAPE.outcomes) expect(summary.stats.outcomes[kind]).toBeGreaterThan(RUNS / 10);
    expect(summary.stats.crashesMidCycle).toBeGreaterThan(summary.stats.crashes / 2);
    expect(summary.stats.faultsInjected).toBeGreaterThan(RUNS / 10);
  });

  it(`finds no violation with bit rot allowed (seed ${SEED}, ${Math.ceil(RUNS / 3)} runs)`, async () => {
    const summary = await runCampaign({ seed: SEED, runs: Math.ceil(RUNS / 3), shape: ALL_OUTCOMES });
    expect(summary.violations.map((v) => v.report)).toEqual([]);
    expect(summary.stats.outcomes['bit-rot']).toBeGreaterThan(0);
  });

  it('gives the same summary for the same seed, whatever the worker count', async () => {
    const once = await runCampaign({ seed: 99, runs: 150 });
    const again = await runCampaign({ seed: 99, runs: 150 });
    const parallel = await runCampaignParallel({ seed: 99, runs: 150, workers: 2 });
    expect(again.stats).toEqual(once.stats);
    expect(parallel.stats).toEqual(once.stats);
  });

  it('splits one seed into disjoint shards that cover every run', () => {
    const shards = [0, 1, 2].map((index) => runIndices(10, { index, count: 3 }));
    expect(shards.flat().sort((a, b) => a - b)).toEqual(runIndices(10));
    expect(shards[1]).toEqual([1, 4, 7]);
  });

  it('round-trips repro tokens and rejects malformed ones', () => {
    const repro = { shape: ALL_OUTCOMES, seed: 123456789, path: '0:4:1' };
    expect(decodeToken(encodeToken(repro))).toEqual(repro);
    expect(() => decodeToken('w1.lk.3.40.1.12')).toThrow(/repro token/);
    expect(() => decodeToken('w1.lx.3.40.1.12.0')).toThrow(/outcome letter/);
  });

  it('catches an engine that acknowledges before durability, shrinks it, and reproduces it from the token', async () => {
    const summary = await runCampaign({ engine: noSyncEngine, seed: SEED, runs: 200 });
    const found = summary.violations[0];
    expect(found).toBeDefined();
    console.log(found!.report);
    expect(found!.rule).toBe(1);
    expect(found!.shrunkBatches).toBeLessThanOrEqual(found!.originalBatches);
    expect(found!.shrunkBatches).toBeLessThanOrEqual(2);
    expect(found!.report).toContain(`walcheck.ts repro ${found!.token}`);
    const again = await reproduce(found!.token, noSyncEngine);
    expect(again.report).toBe(found!.report);
    const fixed = await reproduce(found!.token);
    expect(fixed.violation).toBeNull();
  });
});
