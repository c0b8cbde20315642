// The JUnit XML report of a crash campaign (walcheck crash --junit).

import type { CampaignSummary } from '../../faults/campaign/campaign.ts';

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
