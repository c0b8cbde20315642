// The audit of our own engine in `npm test`: its real system calls recorded under strace (the
// flags src/fs/node-fs.ts passes to the kernel included, which the simulated filesystems never
// see), every crash state of a small workload judged. The bug zoo's node-fs-no-dsync (those
// flags without O_DSYNC) passes `crash` and `explore` and is caught by this very audit.

import { describe, expect, it } from 'vitest';
import { runCampaign } from '../faults/campaign/campaign.ts';
import { runExplore } from '../faults/explore/explore.ts';
import { auditRun, ownAudit } from '../faults/mutants/mutant-audit.ts';
import { loadMutantEngine } from '../faults/mutants/mutant-engine.ts';
import { mutantNamed } from '../faults/mutants/zoo.ts';
import { HAS_STRACE } from './support/audit-tools.ts';

const SEED = Number(process.env.WALCHECK_SEED ?? 1);
const noDsync = mutantNamed('node-fs-no-dsync')!;

describe.skipIf(!HAS_STRACE)('walcheck audit of our engine (3 batches)', () => {
  it(`passes the shipped engine (seed ${SEED})`, async () => {
    const summary = await ownAudit(null, SEED);
    expect(summary.reports.map((r) => r.report)).toEqual([]);
    expect(summary.violations).toBe(0);
    expect(summary.acks).toBe(3);
    expect(summary.states).toBeGreaterThan(10);
    expect(summary.continuations).toBe(1);
    expect(summary.interrupted).toBe(false);
  }, 60_000);

  it(`catches node-fs-no-dsync: an acked batch lost (seed ${SEED})`, async () => {
    const { found } = await auditRun(noDsync, SEED);
    expect(found?.rule).toBe(2);
    expect(found?.report).toMatch(/acknowledged batch/);
  }, 60_000);
});

describe('node-fs-no-dsync, where the simulated filesystems cannot see it', () => {
  it('passes the default campaign (seed 1, 2,000 scenarios) and explore', async () => {
    const engine = await loadMutantEngine(noDsync);
    const campaign = await runCampaign({ engine, variant: noDsync.name, seed: 1, runs: 2000 });
    expect(campaign.violations).toEqual([]);
    const explored = await runExplore({ engine, stopOnViolation: true });
    expect(explored.violations).toEqual([]);
  }, 120_000);
});
