// The harness as a library (faults/harness.ts, `walcheck/harness` in the package): runCampaign
// resolves to exactly the summary `walcheck crash --json` prints, reports a violation with its
// rule, token and report, and refuses options it cannot run with a typed error.

import { describe, expect, it } from 'vitest';
import { HarnessInputError, runCampaign } from '../faults/harness.ts';
import { noSyncEngine } from './support/seam-engines.ts';
import { walcheck } from './support/walcheck-cli.ts';

/** The parts of a summary that do not depend on timing. */
function untimed(summary: object): object {
  const { seconds: _seconds, scenariosPerSec: _rate, ...rest } = summary as Record<string, unknown>;
  // Each shard's part carries its own time too.
  const shards = rest['shards'] as Record<string, unknown>[] | undefined;
  if (shards !== undefined) rest['shards'] = shards.map(({ seconds: _s, ...part }) => part);
  return rest;
}

describe('runCampaign', () => {
  it('resolves to the summary walcheck crash --json prints for the same options', async () => {
    const options = ['--seed', '11', '--runs', '12', '--outcomes', 'keep-prefix,bit-rot', '--json'];
    const [summary, cli] = await Promise.all([
      runCampaign({ seed: 11, runs: 12, outcomes: ['keep-prefix', 'bit-rot'] }),
      walcheck(['crash', ...options]),
    ]);
    expect(cli.code).toBe(0);
    const printed = JSON.parse(cli.stdout.trim().split('\n').at(-1)!) as object;
    expect(Object.keys(summary)).toEqual(Object.keys(printed));
    expect(untimed(summary)).toEqual(untimed(printed));
    expect(summary).toMatchObject({ seed: 11, runs: 12, violations: 0, firstViolation: null });
    expect(summary.outcomes['keep-prefix'] + summary.outcomes['bit-rot']).toBe(summary.crashes);
  });

  it('names the first violation of a broken engine with its rule, token and full report', async () => {
    const summary = await runCampaign({ engine: noSyncEngine, seed: 3, runs: 200, faults: false });
    expect(summary.violations).toBe(1);
    const first = summary.firstViolation!;
    expect(first.rule).toBe(1);
    expect(first.token).toMatch(/\S/);
    expect(first.report).toContain(first.token);
  });

  it.each([
    [{ runs: 0 }, 'runs'],
    [{ seed: -1 }, 'seed'],
    [{ seed: 1.5 }, 'seed'],
    [{ workers: 65 }, 'workers'],
    [{ outcomes: [] }, 'outcomes'],
    [{ outcomes: ['melt' as 'bit-rot'] }, 'outcomes'],
    [{ shard: { index: 2, count: 2 } }, 'shard index'],
    [{ shard: { index: 0, count: 0 } }, 'shard count'],
  ])('refuses %j with a BAD_OPTION naming %s', async (options, name) => {
    const error = await runCampaign(options).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(HarnessInputError);
    expect(error).toMatchObject({ code: 'BAD_OPTION', message: expect.stringContaining(name) });
  });
});
