// REPORT.md's power-loss audit section: each engine's figures, whether it behaved as
// expected, and the first violation of each in full.

import type { AuditRun } from './audit-collect.ts';

const n = (value: number): string => Math.round(value).toLocaleString('en-US');

export function auditSection(runs: readonly AuditRun[]): string[] {
  return [
    '## Power-loss audit (walcheck audit)',
    '',
    "Each engine's `load` recorded under strace, every crash state of its file operations rebuilt on the simulated filesystem (lose-unsynced, keep-prefix, tear-sectors, reorder-metadata; pessimistic directory entries), each distinct directory image scanned by the engine and judged by the oracle; on a few states `load` must go on from the recovered sequence number.",
    '',
    '| engine | ops traced | acks | crash points | states | distinct images | continuations | violations | of them after an ack | expected | verdict |',
    '|---|---|---|---|---|---|---|---|---|---|---|',
    ...runs.map((run) => {
      const s = run.result;
      const afterAck = s.violating.filter((v) => v.acked > 0).length;
      const verdict =
        run.expect === '-'
          ? s.violations > 0
            ? 'violations found'
            : 'passed'
          : (run.expect === 'pass') === (s.violations === 0)
            ? 'as expected'
            : 'NOT as expected';
      return `| ${run.label} | ${n(s.opsTraced)} | ${n(s.acks)} | ${n(s.crashPoints)} | ${n(s.states)} | ${n(s.distinctImages)} | ${n(s.continuations)} | ${n(s.violations)} | ${n(afterAck)} | ${run.expect} | ${verdict} |`;
    }),
    '',
    ...runs.map((run) => `- ${run.label}: \`${run.command}\` (${run.result.seconds.toFixed(0)} s)`),
    '',
    ...runs.flatMap((run) => firstViolations(run)),
  ];
}

/** The first violation of a run, and the first after an ack when that is another one. */
function firstViolations(run: AuditRun): string[] {
  const first = run.result.reports[0];
  if (first === undefined) return [];
  const block = (title: string, report: string): string[] => [
    title,
    '',
    '```',
    ...report.split('\n'),
    '```',
    '',
  ];
  const afterAck = run.result.firstAfterAck;
  return [
    ...block(`First violation, ${run.label}:`, first.report),
    ...(afterAck === null || afterAck.token === first.token
      ? []
      : block(`First violation after an acknowledgement, ${run.label}:`, afterAck.report)),
  ];
}

/** Problems for `walcheck report`'s exit status: an audit that did not end as its plan expects. */
export function auditProblems(runs: readonly AuditRun[]): string[] {
  const problems: string[] = [];
  for (const run of runs) {
    if (run.expect === 'pass' && run.result.violations > 0)
      problems.push(`${run.result.violations} audit violation(s) on ${run.label}`);
    if (run.expect === 'caught' && run.result.violations === 0)
      problems.push(`the audit of ${run.label} caught nothing`);
  }
  return problems;
}
