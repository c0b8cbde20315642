// Liveness: every write, open and close must settle within a bound. With the simulated
// filesystem an engine does all its work in microtasks, so when a macrotask turn passes and a
// promise is still pending while no filesystem operation happened in between, nothing can
// ever settle it: the engine lost it. An engine that keeps issuing operations is stopped by
// its BoundedFs budget (its calls then never answer) and is judged the same way one turn
// later. Both are counts, not clocks: the verdict is the same on every machine.
//
// (An engine that spins without touching the filesystem, or waits on a timer, is outside
// this bound: the first never yields, the second would be judged idle.)

import type { BoundedFs } from '../disk/bounded-fs.ts';

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
  return new Promise<Settlement<T>>((resolve) => awaitSettlement(fs, promise, resolve));
}

/**
 * The same wait, handing the settlement to `done` as it comes: a caller that turns it into
 * something else (judge/liveness.ts) resolves its own promise in the same turn, so that no
 * runner's steps take a microtask more than they did (where a crash point falls depends on it).
 */
export function awaitSettlement<T>(
  fs: BoundedFs,
  promise: Promise<T>,
  done: (settlement: Settlement<T>) => void,
): void {
  fs.allow();
  const wait = new Wait(fs, done);
  promise.then(
    (value) => wait.settle({ settled: true, value }),
    (error: unknown) => wait.settle({ settled: true, error }),
  );
}

// One wait is a class rather than closures: a campaign makes one per harness step, and tsx
// names every closure it makes (esbuild's keepNames), which cost more than the wait itself.
class Wait<T> {
  private done = false;
  private before: number;
  private timer: NodeJS.Immediate;

  constructor(
    private readonly fs: BoundedFs,
    private readonly resolve: (settlement: Settlement<T>) => void,
  ) {
    this.before = fs.opCount;
    // One macrotask turn at a time, cancelled as soon as the promise settles (the common case
    // costs no event-loop turn). Each turn either saw an operation (the budget bounds how
    // many) or ends the wait.
    this.timer = setImmediate(turnOf, this);
  }

  turn(): void {
    if (this.done) return;
    if (this.fs.opCount === this.before) {
      this.done = true;
      this.resolve({ settled: false, spun: this.fs.stalledCalls > 0 });
      return;
    }
    this.before = this.fs.opCount;
    this.timer = setImmediate(turnOf, this);
  }

  settle(settlement: Settlement<T>): void {
    if (this.done) return;
    this.done = true;
    clearImmediate(this.timer);
    this.resolve(settlement);
  }
}

function turnOf<T>(wait: Wait<T>): void {
  wait.turn();
}
