// A violation of the audit in words: the oracle's verdict (rule, expected and found states;
// the rule and its name are the Verdict's own, never read back out of text), the state's token and the command that rebuilds it, the crash point with the trace around
// it, the outcome, and the acknowledged batches the state lost.

import { judgeRecovery } from '../../model/judge.ts';
import {
  describeBatch,
  formatVerdict,
  type RuleNumber,
  type Violation,
} from '../../model/verdict.ts';
import { describeOutcome } from '../disk/crash-outcome.ts';
import type { HistoryRecipe } from './audit-history.ts';
import type { RecordedRun } from './trace/audit-ops.ts';
import { describePoint, formatToken, traceAround } from './crash-states.ts';
import type { JudgedState } from './judge-states.ts';

export interface AuditViolation {
  /** The crash state's token; null for a violation of the recorded run itself (ack numbering). */
  token: string | null;
  cycle: number;
  rule: RuleNumber;
  ruleName: string;
  /** The full report, several lines. */
  report: string;
}

export function describeViolation(
  state: JudgedState,
  verdict: Violation,
  run: RecordedRun,
  recipe: HistoryRecipe,
  keptDir: string | null,
): AuditViolation {
  const token = formatToken(state.ref.id);
  const replay = `walcheck audit --replay ${keptDir ?? 'DIR'} --state ${token} --materialize OUT`;
  const lost = lostAcked(state, recipe);
  const report = [
    formatVerdict(verdict),
    `  state:     ${token} (image ${state.image.number}, ${state.image.image.size} files)`,
    `  crash:     ${describePoint(run, state.ref.point)}; ${state.ref.acked} of this cycle's batches acked`,
    `  outcome:   ${describeOutcome(state.ref.outcome)}`,
    ...(lost === null ? [] : [`  lost:      ${lost}`]),
    '  trace:',
    ...traceAround(run, state.ref.point),
    `  reproduce: ${replay}${keptDir === null ? '  (run with --keep DIR to save the recorded run)' : ''}`,
  ].join('\n');
  return {
    token,
    cycle: state.ref.id.cycle,
    rule: verdict.rule,
    ruleName: verdict.ruleName,
    report,
  };
}

/** The acked batches of this cycle that the found state (a whole prefix k) does not hold. */
function lostAcked(state: JudgedState, recipe: HistoryRecipe): string | null {
  if (state.observed === null) return null;
  const unacked = recipe.at(0);
  const verdict = judgeRecovery(
    unacked,
    { box: 'black', observed: state.observed },
    { readOnly: true },
  );
  if (!verdict.ok || verdict.k === null) return null;
  const before = recipe.done.length > 0 ? recipe.done[recipe.done.length - 1]!.k : 0;
  const from = Math.max(verdict.k + 1, before + 1);
  const to = before + state.ref.acked;
  if (from > to) return null;
  const model = unacked.model;
  const first = describeBatch(model, from);
  return from === to
    ? `acked ${first}; the state holds the first ${verdict.k} batches`
    : `acked ${first} to b${to} (${to - from + 1} batches); the state holds the first ${verdict.k} batches`;
}
