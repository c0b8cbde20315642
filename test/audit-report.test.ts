// The audit's violation reports take the rule and its name from the Verdict the model gave,
// never from the formatted text; and the audit's hand-worded findings are model/ functions.

import { describe, expect, it } from 'vitest';
import { scanFailedViolation } from '../model/check-black-box.ts';
import { refusedWriteViolation } from '../model/check-continuation.ts';
import { formatVerdict, RULE_NAMES, type RuleNumber, violation } from '../model/verdict.ts';
import { HistoryRecipe } from '../faults/audit/audit-history.ts';
import { describeViolation } from '../faults/audit/audit-report.ts';
import type { JudgedState } from '../faults/audit/judge-states.ts';
import type { RecordedRun } from '../faults/audit/trace/audit-ops.ts';

const RUN: RecordedRun = { start: [], ops: [] };
const RECIPE = new HistoryRecipe([], { batches: [], acks: [] });

function state(verdict: JudgedState['verdict']): JudgedState {
  const point = { applied: 0, midWrite: false };
  return {
    ref: {
      id: { cycle: 2, point, kind: 'lose-unsynced', mode: 'e', n: 0 },
      outcome: { kind: 'lose-unsynced' },
      point,
      acked: 0,
    },
    image: { number: 1, hash: 'h', image: new Map(), refs: new Map() },
    observed: null,
    verdict,
  };
}

describe('audit reports', () => {
  it('take rule and ruleName from the verdict, not from its text', () => {
    for (const rule of [1, 2, 3, 4, 5, 6, 7, 8] as RuleNumber[]) {
      // a message naming another rule: the old report read the rule back out of the text
      const verdict = violation(rule, `rule ${(rule % 8) + 1} is not the point here`);
      const report = describeViolation(state(verdict), verdict, RUN, RECIPE, null);
      expect(report).toMatchObject({ rule, ruleName: RULE_NAMES[rule], cycle: 2 });
      expect(report.token).toBe('2:0:lose-unsynced:e0');
      expect(report.report.startsWith(formatVerdict(verdict))).toBe(true);
    }
  });

  it("word the audit's own findings in model/: a failed scan, an engine that cannot go on", () => {
    expect(scanFailedViolation('scan ended with exit 1')).toMatchObject({
      rule: 2,
      message: "after the crash, the engine's scan failed: scan ended with exit 1",
    });
    expect(refusedWriteViolation(3, 'ended with exit 3 and no ack')).toMatchObject({
      rule: 5,
      ruleName: RULE_NAMES[5],
      message:
        "after the crash the engine cannot go on: 'load' on the recovered directory (k=3) ended with exit 3 and no ack",
    });
  });
});
