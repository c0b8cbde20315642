// The engine a runner drives: any engine implementing the crash-test interface
// (engine-interface.ts), or a module shaped like the shipped engine (a mutant of the bug zoo,
// loaded from a patched copy) which walcheckEngine adapts. Runners touch the engine only
// through the interface, so no test switch is needed inside src/.

import type * as Engine from '../../src/index.ts';
import type { CrashTestEngine, CrashTestFeatures } from './engine-interface.ts';

export type EngineModule = Pick<typeof Engine, 'Database'>;

export type EngineDatabase = Awaited<ReturnType<EngineModule['Database']['open']>>;

/** What the runners accept. */
export type EngineUnderTest = CrashTestEngine | EngineModule;

const WALCHECK_FEATURES: CrashTestFeatures = {
  readOnly: true,
  recoveryModes: true,
  snapshots: true,
  format: 'walcheck-wal',
};

const adapted = new WeakMap<EngineModule, CrashTestEngine>();

/** A module with walcheck's `Database` as a crash-test engine: every feature, our WAL format. */
export function walcheckEngine(module: EngineModule, name = 'walcheck'): CrashTestEngine {
  return {
    name,
    features: WALCHECK_FEATURES,
    // The open's own promise, not a wrapper: no extra turn of the event loop per open.
    open: (dir, options) => module.Database.open(dir, options),
  };
}

export function asCrashTestEngine(engine: EngineUnderTest): CrashTestEngine {
  if (!('Database' in engine)) return engine;
  let done = adapted.get(engine);
  if (done === undefined) {
    done = walcheckEngine(engine);
    adapted.set(engine, done);
  }
  return done;
}

/** Whether the engine writes walcheck's WAL, so the oracle may decode its files. */
export function writesWalcheckWal(engine: CrashTestEngine): boolean {
  return engine.features?.format === 'walcheck-wal';
}

export async function shippedEngine(): Promise<EngineModule> {
  return import('../../src/index.ts');
}
