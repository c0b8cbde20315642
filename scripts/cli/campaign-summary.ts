// The summary table and JUnit XML of a crash campaign.

import type { CampaignSummary } from '../../faults/campaign/campaign.ts';
import { OUTCOME_KINDS } from '../../faults/crash-outcome.ts';

export function campaignTable(summary: CampaignSummary): string[] {
  const s = summary.stats;
  const n = (value: number): string => value.toLocaleString('en-US');
  const rows: [string, string][] = [
    ['scenarios', `${n(summary.runs)} of ${n(summary.runsPlanned)} (seed ${summary.seed})`],
    [
      'crash points',
      `${n(s.crashes)} (${n(s.crashesMidCycle)} at a chosen operation, ${n(s.crashes - s.crashesMidCycle)} after the last)`,
    ],
    ...OUTCOME_KINDS.filter((kind) => s.outcomes[kind] > 0).map((kind): [string, string] => [
      `  outcome ${kind}`,
      n(s.outcomes[kind]),
    ]),
    [
      'logs damaged before an open',
      `${n(s.damaged)} (a record torn or a header field flipped; ${n(s.damagedEarlier)} in an earlier segment)`,
    ],
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
    ['violations', n(summary.violations.length)],
    ['time', `${summary.seconds.toFixed(1)} s, ${summary.scenariosPerSec.toFixed(0)} scenarios/s`],
  ];
  const width = Math.max(...rows.map(([label]) => label.length));
  return rows.map(([label, value]) => `${label.padEnd(width)}  ${value}`);
}

export function campaignJunit(summary: CampaignSummary, suite: string): string {
  const failures = summary.violations
    .map(
      (v) =>
        `    <failure message="${xml(`rule ${v.rule} (${v.ruleName}) in run ${v.runIndex}`)}">${xml(v.report)}</failure>\n`,
    )
    .join('');
  return [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<testsuite name="${xml(suite)}" tests="1" failures="${summary.violations.length > 0 ? 1 : 0}" time="${summary.seconds.toFixed(3)}">`,
    `  <testcase classname="walcheck" name="${xml(`seed ${summary.seed}, ${summary.runs} scenarios`)}" time="${summary.seconds.toFixed(3)}">`,
    failures + '  </testcase>',
    '</testsuite>',
    '',
  ].join('\n');
}

function xml(text: string): string {
  return text
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;');
}
