// The summary table and JUnit XML of a crash campaign, from its --json summary (so that
// `walcheck merge` prints the same for the merged shards).

import type { CampaignSummary } from '../../faults/campaign/campaign.ts';
import { type CampaignJson, campaignJson, statsOf } from '../../faults/campaign/shard-json.ts';
import { OUTCOME_KINDS } from '../../faults/crash-outcome.ts';
import { junitXml, ruleCases, type TestCase } from './junit.ts';

export function campaignTable(summary: CampaignSummary | CampaignJson): string[] {
  const json = 'command' in summary ? summary : campaignJson(summary);
  const s = statsOf(json);
  const n = (value: number): string => value.toLocaleString('en-US');
  const shards =
    json.shard !== null
      ? `, shard ${json.shard.index}/${json.shard.count}`
      : json.shards.length > 1
        ? `, ${json.shards.length} shards merged`
        : '';
  const rows: [string, string][] = [
    [
      'scenarios',
      `${n(json.runs)} of ${n(json.runsPlanned)} (seed ${json.seed}${shards})${stopNote(json)}`,
    ],
    [
      'crash points',
      `${n(s.crashes)} (${n(s.crashesMidCycle)} at a chosen operation, ${n(s.crashes - s.crashesMidCycle)} after the last)`,
    ],
    ...OUTCOME_KINDS.filter((kind) => s.outcomes[kind] > 0).map((kind): [string, string] => [
      `  outcome ${kind}`,
      n(s.outcomes[kind]),
    ]),
    [
      'faults planned / fired',
      `${n(s.faultsInjected)} / ${n(s.faultsFired)} (write, fsync, syncDir, open, rename, truncate)`,
    ],
    [
      'recoveries checked',
      `${n(s.recoveries)} (${n(s.openRetries)} retried in-process after a failure, ${n(s.readOnlyOpens)} read-only first, ${n(s.openRefusals)} refusals allowed)`,
    ],
    ['batches issued', n(s.batches)],
    ['acks checked durable', n(s.acks)],
    ['violations', n(json.violations)],
    ['time', `${json.seconds.toFixed(1)} s, ${json.scenariosPerSec.toFixed(0)} scenarios/s`],
  ];
  const width = Math.max(...rows.map(([label]) => label.length));
  return rows.map(([label, value]) => `${label.padEnd(width)}  ${value}`);
}

function stopNote(json: CampaignJson): string {
  switch (json.stoppedBy) {
    case 'complete':
      return '';
    case 'violation':
      return ': stopped at the first violation';
    case 'deadline':
      return ': the --seconds budget ended the run';
    case 'interrupted':
      return ': INTERRUPTED (SIGINT/SIGTERM), not a complete run';
  }
}

/**
 * Per shard: one case that the shard ran its scenarios (fails when interrupted, skipped when
 * it held none), and one case per oracle rule failing with that rule's violations.
 */
export function campaignJunit(json: CampaignJson, suite: string): string {
  const cases: TestCase[] = [];
  for (const shard of json.shards) {
    const classname = `walcheck.crash.seed-${json.seed}`;
    const prefix = `${suite} seed ${json.seed} runs ${json.runsRequested} shard ${shard.index}/${shard.count}`;
    const run: TestCase = { classname, name: `${prefix}: scenarios run`, seconds: shard.seconds };
    if (shard.stoppedBy === 'interrupted')
      run.failure = {
        message: `interrupted after ${shard.runs} of ${shard.runsPlanned} scenarios`,
        body: 'SIGINT or SIGTERM stopped the run before it was complete',
      };
    else if (shard.runs === 0) run.skipped = 'no scenario ran in this shard';
    cases.push(run);
    const violations = json.violationList
      .filter((v) => v.runIndex % shard.count === shard.index)
      .map((v) => ({
        rule: v.rule,
        message: `rule ${v.rule} (${v.ruleName}) in run ${v.runIndex}: walcheck repro ${v.token}`,
        body: v.report,
      }));
    cases.push(...ruleCases(classname, prefix, 0, violations));
  }
  return junitXml(suite, cases);
}
