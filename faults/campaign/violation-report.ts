// The human report of a violation: the oracle's verdict, where in the scenario it was seen,
// the operations around the crash point, the scenario's size, and the repro command.

import { formatVerdict } from '../../model/verdict.ts';
import { formatTrace, type TraceEntry } from '../disk/op-trace.ts';
import { reproCommand } from './repro-token.ts';
import type { ScenarioViolation } from './run-scenario.ts';
import { batchCount, type Scenario } from './scenario.ts';

/** Operations shown before and after the crash point. */
const TRACE_CONTEXT_OPS = 8;

export function formatViolation(
  violation: ScenarioViolation,
  scenario: Scenario,
  token: string,
): string {
  const lines = [formatVerdict(violation.verdict)];
  lines.push(`  where:    cycle ${violation.cycle}, during ${violation.phase}`);
  lines.push(`  crash:    ${violation.crash}`);
  lines.push(
    `  scenario: ${batchCount(scenario)} batches in ${scenario.cycles.length} cycle(s); ${describeFaults(scenario)}; ${describeOpens(scenario)}`,
  );
  if (violation.crashTrace.length > 0) {
    lines.push('  operations up to the crash:');
    lines.push(indent(formatTrace(around(violation.crashTrace, violation.crashOpIndex))));
  }
  if (violation.trace.length > 0 && violation.trace !== violation.crashTrace) {
    lines.push('  operations of the judged open / cycle:');
    lines.push(indent(formatTrace(violation.trace.slice(0, 2 * TRACE_CONTEXT_OPS))));
  }
  lines.push(`  reproduce: ${reproCommand(token)}`);
  return lines.join('\n');
}

function around(trace: readonly TraceEntry[], opIndex: number | null): readonly TraceEntry[] {
  const at = opIndex ?? trace.length - 1;
  return trace.slice(Math.max(0, at - TRACE_CONTEXT_OPS), at + TRACE_CONTEXT_OPS + 1);
}

function indent(text: string): string {
  return text
    .split('\n')
    .map((line) => `    ${line}`)
    .join('\n');
}

function describeFaults(scenario: Scenario): string {
  const faults = scenario.cycles.flatMap((cycle, c) =>
    cycle.fault === null
      ? []
      : [`cycle ${c}: ${cycle.fault.fault} on ${cycle.fault.op} #${cycle.fault.nth ?? '?'}`],
  );
  return faults.length === 0 ? 'no injected faults' : `faults: ${faults.join(', ')}`;
}

function describeOpens(scenario: Scenario): string {
  const opens = scenario.cycles.flatMap((cycle, c) => {
    const how = [
      cycle.readOnlyFirst ? 'read-only open first' : '',
      cycle.recovery !== 'tolerate-tail' ? `${cycle.recovery} recovery` : '',
    ].filter((s) => s !== '');
    return how.length === 0 ? [] : [`cycle ${c}: ${how.join(', ')}`];
  });
  return opens.length === 0 ? 'every open writable, tolerate-tail' : `opens: ${opens.join('; ')}`;
}
