// One awaited step of a simulated run, within the liveness bound: settle (engine/settle.ts),
// and when the step cannot settle, the verdict model/check-liveness.ts gives, unless the
// process died (the crash point froze the filesystem, so nothing it left pending can settle:
// no finding). The campaign and the explorer await every open, wave of writes and close
// through it, so the sequence settle, stalled, verdict is written once.

import type { History } from '../../model/history.ts';
import { livenessViolation } from '../../model/check-liveness.ts';
import type { Violation } from '../../model/verdict.ts';
import { type BoundedFs, STEP_OPS_MAX } from '../disk/bounded-fs.ts';
import { awaitSettlement } from '../engine/settle.ts';

/** The step's value, or its stall: a liveness violation, or null when the process had died. */
export type Judged<T> =
  | { readonly settled: true; readonly value: T }
  | { readonly settled: false; readonly stalled: Violation | null };

/**
 * Awaits `promise` on `engineFs` (the engine's bounded view of `fs`); a rejection rejects.
 * `history` is the history to name the pending batches from, or a function making it
 * (called only on a stall); `what` names the step ('writes of a wave', 'close'). Resolves in
 * the turn the wait ends, as settleWithin does (engine/settle.ts says why).
 */
export function settleJudged<T>(
  engineFs: BoundedFs,
  fs: { readonly crashed: boolean },
  promise: Promise<T>,
  history: History | (() => History),
  what: string,
): Promise<Judged<T>> {
  return new Promise<Judged<T>>((resolve, reject) =>
    awaitSettlement(engineFs, promise, (settlement) => {
      if ('value' in settlement)
        resolve(settlement); // no copy: the campaign awaits thousands
      else if ('error' in settlement) reject(settlement.error);
      else resolve({ settled: false, stalled: stalled(fs, settlement.spun, history, what) });
    }),
  );
}

function stalled(
  fs: { readonly crashed: boolean },
  spun: boolean,
  history: History | (() => History),
  what: string,
): Violation | null {
  if (fs.crashed) return null;
  const judged = typeof history === 'function' ? history() : history;
  return livenessViolation(judged, { what, spun, opsMax: STEP_OPS_MAX });
}
