// The JSON and JUnit XML of `walcheck audit` (its table is in tables.ts).

import type { AuditSummary } from '../../faults/audit/audit-run.ts';
import { junitXml, ruleCases, type TestCase } from './junit.ts';

export function auditJson(s: AuditSummary): Record<string, unknown> {
  return {
    engine: s.engine,
    seed: s.seed,
    opsTraced: s.opsTraced,
    acks: s.acks,
    crashPoints: s.crashPoints,
    states: s.states,
    distinctImages: s.distinctImages,
    judged: s.judged,
    continuations: s.continuations,
    violations: s.violations,
    statesPerSecond: Number(s.statesPerSecond.toFixed(1)),
    seconds: Number(s.seconds.toFixed(3)),
    interrupted: s.interrupted,
    keptDir: s.keptDir,
    cycles: s.cycles,
    reports: s.reports.map((r) => ({ token: r.token, rule: r.rule, ruleName: r.ruleName })),
    violating: s.violating,
  };
}

/** One case for the run (fails when interrupted) and one per oracle rule. */
export function auditJunit(s: AuditSummary): string {
  const classname = 'walcheck.audit';
  const prefix = `walcheck audit seed ${s.seed}`;
  const run: TestCase = {
    classname,
    name: `${prefix}: crash states of ${s.engine}`,
    seconds: s.seconds,
  };
  if (s.interrupted)
    run.failure = {
      message: `interrupted after ${s.distinctImages} distinct images`,
      body: 'SIGINT or SIGTERM stopped the run before it was complete',
    };
  const violations = s.reports.map((r) => ({
    rule: r.rule,
    message: `${r.token ?? `cycle ${r.cycle}`}: ${r.report.split('\n')[0]!}`,
    body: r.report,
  }));
  return junitXml('walcheck audit', [run, ...ruleCases(classname, prefix, violations)]);
}
