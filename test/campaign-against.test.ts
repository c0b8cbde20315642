// `walcheck bench --harness --against DIR`: the campaign of this version against another
// checkout's, alternating. The target is met only at the speed-up AND no less crash work per
// scenario (a faster campaign of smaller scenarios checks less).

import { describe, expect, it } from 'vitest';
import {
  type CampaignRound,
  type CampaignRun,
  campaignAgainstTable,
  campaignTarget,
  checkoutProblem,
} from '../scripts/bench/campaign-against.ts';
import { median } from '../scripts/bench/measure.ts';
import { ROOT, walcheck } from './support/walcheck-cli.ts';

const work = {
  scenarios: 100,
  crashes: 190,
  crashesMidCycle: 130,
  recoveries: 250,
  batches: 1150,
  acks: 900,
};
const run = (rate: number, more: Partial<CampaignRun> = {}): CampaignRun => ({
  scenariosPerSec: rate,
  ...work,
  ...more,
});

describe('the campaign target against another version', () => {
  it('is the median of the rounds, met at 2.5x with as much crash work per scenario', () => {
    const rounds: CampaignRound[] = [
      { baseline: run(100), current: run(300) },
      { baseline: run(100), current: run(240) },
      { baseline: run(100), current: run(260) },
    ];
    expect(campaignTarget(rounds, 'old')).toMatchObject({ ratio: 2.6, met: true });
    expect(median([3, 1, 2, 4])).toBe(2.5);
  });

  it('is missed by a faster campaign whose scenarios do less crash work', () => {
    const lighter = [{ baseline: run(100), current: run(400, { acks: 899 }) }];
    expect(campaignTarget(lighter, 'old')).toMatchObject({ ratio: 4, met: false });
    const table = campaignAgainstTable(lighter, 'old').join('\n');
    expect(table).toContain('| acks checked | 9.00 | 8.99 |');
    expect(table).toMatch(/at no less crash work per scenario >= 2.5x \| 4.00x \| missed \|/);
  });

  it('needs a checkout with its node_modules', () => {
    expect(checkoutProblem(ROOT)).toBeNull();
    expect(checkoutProblem('/nonexistent')).toMatch(/not a walcheck checkout/);
  });

  it('runs both versions in fresh processes and prints rounds, work and target (this checkout against itself)', async () => {
    const ran = await walcheck([
      'bench',
      '--harness',
      '--against',
      ROOT,
      '--harness-runs',
      '20',
      '--rounds',
      '1',
      '--json',
    ]);
    expect(ran.stderr).toContain('round 1/1');
    expect(ran.code).toBe(0);
    const json = JSON.parse(ran.stdout.trimEnd().split('\n').at(-1)!);
    expect(json.rounds).toHaveLength(1);
    // The same code and seed: the same scenarios, so the same crash work.
    const [{ baseline, current }] = json.rounds;
    for (const key of ['scenarios', 'crashes', 'crashesMidCycle', 'recoveries', 'batches', 'acks'])
      expect(current[key], key).toBe(baseline[key]);
    expect(ran.stdout).toContain('| crash points |');
  });

  it('is a usage error without --harness or with a directory that is no checkout', async () => {
    const noHarness = await walcheck(['bench', '--against', ROOT]);
    expect(noHarness.code).toBe(3);
    expect(noHarness.stderr).toContain('--against DIR compares campaigns: give --harness too');
    const noCheckout = await walcheck(['bench', '--harness', '--against', '/nonexistent']);
    expect(noCheckout.code).toBe(3);
    expect(noCheckout.stderr).toContain('/nonexistent is not a walcheck checkout');
  });
});
