// Liveness (model/crash-model.md rules 5 and 7 read together): every write settles, acknowledged
// or refused. A write the engine leaves pending forever is neither: after a failed write
// the engine neither went on nor refused (rule 7); with nothing failed it simply did not
// go on (rule 5). The harness decides "forever" by a count of filesystem operations or an
// idle event loop (faults/engine/settle.ts); this names the batches and the rule.

import type { History } from './history.ts';
import { REFUSED_BEFORE_WRITE_CODES } from './history.ts';
import { type Violation, violation } from './verdict.ts';

export interface Stall {
  /** What the harness awaited: 'writes of the wave', 'open (recovery)', 'close', ... */
  readonly what: string;
  /** The engine used up its operation budget (it spun) rather than going idle. */
  readonly spun: boolean;
  /** The operation budget of one awaited step. */
  readonly opsMax: number;
}

export function livenessViolation(history: History, stall: Stall): Violation {
  const pending = history
    .allBatches()
    .filter((b) => b.status === 'pending' && b.epoch === history.epoch);
  const failed = history
    .allBatches()
    .filter(
      (b) =>
        b.status === 'failed' &&
        b.epoch === history.epoch &&
        !REFUSED_BEFORE_WRITE_CODES.includes(b.errorCode ?? ''),
    );
  const how = stall.spun
    ? `the engine spun through ${stall.opsMax} filesystem operations without settling it`
    : 'the engine went idle (no filesystem operation, nothing left to run) without settling it';
  const ids = pending.map((b) => b.id);
  const subject =
    ids.length === 0
      ? `${stall.what} never completed`
      : `${ids.length === 1 ? 'batch id' : 'batch ids'} ${ids.join(', ')} never settled (${stall.what})`;
  const found =
    ids.length === 0
      ? `${stall.what}: pending`
      : `${ids.length} write(s) neither acknowledged nor refused`;
  if (failed.length > 0)
    return violation(
      7,
      `${subject}: ${how}, after batch id ${failed[0]!.id} failed with ${failed[0]!.errorCode} (a failed group must refuse every member)`,
      { found },
    );
  return violation(5, `${subject}: ${how}`, { found });
}
