// Rule 7 on live reads after a failed write: the failed batch (and every batch of its
// failed group) is neither acknowledged nor applied. Whether the engine then goes on or
// refuses, reads at the latest state show the acknowledged batches and nothing of the
// failed ones: the history's 'without-failed' line at its full length. (Before this check a
// read with failures undecided was skipped, so an engine that applied a failed group to its
// memtable and then refused it went unnoticed until a crash happened to erase it.)

import type { History } from './history.ts';
import type { Entry } from './prefix-model.ts';
import { diffStates, keysText, PASS, type Verdict, violation } from './verdict.ts';

/** Call with every write settled and a full scan at the latest state. */
export function checkFailedAbsent(history: History, entries: readonly Entry[]): Verdict {
  const failed = history.undecidedFailures();
  if (failed.length === 0) return PASS;
  const without = history.lines().find((line) => line.name === 'without-failed');
  if (without === undefined) return PASS;
  const k = without.model.length;
  if (without.model.equalsAt(entries, k)) return PASS;
  const ids = failed.map((b) => `${b.id} (${b.errorCode})`).join(', ');
  const applied = history.model.equalsAt(entries, history.length);
  return violation(
    7,
    applied
      ? `a read shows the batches whose writes failed (batch ids ${ids}): a failed batch must not be applied`
      : `after the writes of batch ids ${ids} failed, a read does not show the acknowledged batches alone`,
    {
      expectedK: [k, k],
      found: keysText(entries),
      diff: diffStates(
        `acknowledged batches only (k=${k} without the failed) → read at the latest state`,
        without.model.stateAt(k),
        entries,
      ),
    },
  );
}
