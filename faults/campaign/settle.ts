// Liveness: every write, open and close must settle within a bound. With the simulated
// filesystem an engine does all its work in microtasks, so when a macrotask turn passes and a
// promise is still pending while no filesystem operation happened in between, nothing can
// ever settle it: the engine lost it. An engine that keeps issuing operations is stopped by
// its BoundedFs budget (its calls then never answer) and is judged the same way one turn
// later. Both are counts, not clocks: the verdict is the same on every machine.
//
// (An engine that spins without touching the filesystem, or waits on a timer, is outside
// this bound: the first never yields, the second would be judged idle.)

import type { BoundedFs } from './bounded-fs.ts';

export type Settlement<T> =
  | { readonly settled: true; readonly value: T }
  | { readonly settled: true; readonly error: unknown }
  | {
      readonly settled: false;
      /** The engine used up its operation budget (it spun) rather than going idle. */
      readonly spun: boolean;
    };

/** Awaits `promise` while the engine makes progress; `{ settled: false }` once it cannot. */
export function settleWithin<T>(fs: BoundedFs, promise: Promise<T>): Promise<Settlement<T>> {
  fs.allow();
  return new Promise<Settlement<T>>((resolve) => {
    let done = false;
    let before = fs.opCount;
    // One macrotask turn at a time, cancelled as soon as the promise settles (the common case
    // costs no event-loop turn). Each turn either saw an operation (the budget bounds how
    // many) or ends the wait.
    const turn = (): void => {
      if (done) return;
      if (fs.opCount === before) {
        done = true;
        resolve({ settled: false, spun: fs.stalledCalls > 0 });
        return;
      }
      before = fs.opCount;
      timer = setImmediate(turn);
    };
    let timer = setImmediate(turn);
    const settle = (settlement: Settlement<T>): void => {
      if (done) return;
      done = true;
      clearImmediate(timer);
      resolve(settlement);
    };
    promise.then(
      (value) => settle({ settled: true, value }),
      (error: unknown) => settle({ settled: true, error }),
    );
  });
}
