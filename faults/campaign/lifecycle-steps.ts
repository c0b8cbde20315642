// Lifecycle steps of a cycle that race an open against the writer already there (scenario.ts):
// a writable open attempted while close() is still draining the queue. The first writer holds
// the lock until close() resolves, so the open must be refused LOCKED (or BUSY), or wait until
// close() resolved; the reopen that follows (cycle-run.ts) must then show every acked batch.
// Walcheck's lock is its API: an engine through the interface promises none, and runs the
// plain close-with-writes-queued step instead.

import { checkOpenWhileClosing } from '../../model/check-lifecycle.ts';
import { errorCode } from '../../model/open-failure.ts';
import type { BoundedFs } from '../disk/bounded-fs.ts';
import { DB_DIR } from '../disk/db-files.ts';
import type { SimFs } from '../disk/sim-fs.ts';
import type { CrashTestDatabase } from '../engine/engine-interface.ts';
import type { FileSystem } from '../../src/fs/types.ts';
import { finding, type Finding } from '../judge/finding.ts';
import { closeQuietly } from './open-judged.ts';
import { sizeHints, type ScenarioState } from './scenario-state.ts';

/** What a lifecycle step uses of its cycle (cycle-run.ts). */
export interface LifecycleRun {
  readonly state: ScenarioState;
  readonly fs: SimFs;
  readonly engineFs: BoundedFs;
  /** Writes refused CLOSED are allowed while set. */
  closing: boolean;
  within<T>(promise: Promise<T>, what: string): Promise<{ value: T } | { stalled: Finding | null }>;
  settleAll(inFlight: Promise<void>[], what: string): Promise<Finding | null>;
}

/**
 * close() with writes in flight, and a writable open of the same directory started before
 * close() resolves. True when closed, false when close failed, a finding otherwise.
 */
export async function openWhileClosing(
  run: LifecycleRun,
  db: CrashTestDatabase,
  inFlight: Promise<void>[],
): Promise<boolean | Finding> {
  run.closing = true;
  try {
    let closeResolved = false;
    const closing = db.close().then(
      () => {
        closeResolved = true;
        return true;
      },
      () => {
        closeResolved = true;
        return false;
      },
    );
    const racing =
      run.state.quarantine === null ? null : await openDuring(run, () => closeResolved);
    const closed = await run.within(closing, 'close with an open racing it');
    const stalled = await run.settleAll(inFlight, 'writes queued when close() was called');
    let found: Finding | null = null;
    if (racing !== null && 'finding' in racing) found = racing.finding;
    else if (racing !== null) {
      // Judged once the first writer is done: every write it settled after the lock changed hands.
      const settled = run.state.history.events
        .slice(racing.lockedAt)
        .filter((e) => e.type === 'ack' || e.type === 'fail').length;
      const verdict = checkOpenWhileClosing({
        opened: true,
        closeResolved: racing.closeResolved,
        settledAfterLock: settled,
      });
      await closeQuietly(racing.db);
      found = finding(verdict, PHASE);
    }
    if (found !== null) return found;
    if ('stalled' in closed) return closed.stalled ?? stalled ?? false;
    return stalled ?? closed.value;
  } finally {
    run.closing = false;
  }
}

const PHASE = 'writable open while close() drains';

type Racing =
  | { readonly finding: Finding | null }
  | {
      readonly db: CrashTestDatabase;
      /** History length when its lock was held. */
      readonly lockedAt: number;
      /** Whether close() had resolved when the open returned. */
      readonly closeResolved: boolean;
    };

/** The racing open: a finding when it failed or stalled, else the database it returned. */
async function openDuring(run: LifecycleRun, closeResolved: () => boolean): Promise<Racing> {
  const faultsBefore = run.fs.faultsFired;
  const { history } = run.state;
  let lockedAt: number | null = null;
  const fs = observeLock(run.engineFs, () => (lockedAt ??= history.events.length));
  const options = { fs, ...sizeHints(run.state.scenario) };
  let opened: { value: CrashTestDatabase } | { stalled: Finding | null };
  try {
    opened = await run.within(run.state.engine.open(DB_DIR, options), PHASE);
  } catch (error) {
    const injected = run.fs.crashed || run.fs.faultsFired > faultsBefore;
    const outcome = { opened: false as const, code: errorCode(error), injected };
    return { finding: finding(checkOpenWhileClosing(outcome), PHASE) };
  }
  if ('stalled' in opened) return { finding: opened.stalled };
  return {
    db: opened.value,
    lockedAt: lockedAt ?? history.events.length,
    closeResolved: closeResolved(),
  };
}

/** `fs` with `onLocked` called when a lock() it was asked for is held. */
function observeLock(fs: FileSystem, onLocked: () => void): FileSystem {
  return new Proxy(fs, {
    get(target, property) {
      if (property === 'lock')
        return async (dir: string) => {
          const lock = await target.lock(dir);
          onLocked();
          return lock;
        };
      const value = Reflect.get(target, property) as unknown;
      return typeof value === 'function'
        ? (value as (...a: unknown[]) => unknown).bind(target)
        : value;
    },
  });
}
