// Rule 5 (crash-model.md section 2) when the engine does not go on at all: after a recovery
// that kept a whole prefix (its scan showed it), the engine must open that same directory for
// writing and take the next batch. Refusing, failing or breaking the protocol there is a
// violation of going on, whatever the reason the runner saw (an exit status, a bad ack, a
// timeout): the reason is passed in words, this function owns the rule and the wording.

import { type Violation, violation } from './verdict.ts';

/**
 * `k` is the prefix the recovery kept; `what` is what the write attempt did, in words (e.g.
 * "ended with exit 3 after 0 of 6 acks; engine stderr: ..."); `attempt` names that attempt.
 */
export function refusedWriteViolation(
  k: number,
  what: string,
  attempt = "'load' on the recovered directory",
): Violation {
  return violation(5, `after the crash the engine cannot go on: ${attempt} (k=${k}) ${what}`);
}
