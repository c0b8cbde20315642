// The engine a campaign drives: the shipped engine by default, or a variant (a mutant of
// the bug zoo) with the same public shape, loaded from elsewhere. Campaigns touch the
// engine only through this shape, so no test switch is needed inside src/.

import type * as Engine from '../../src/index.ts';

export type EngineModule = Pick<typeof Engine, 'Database'>;

export type EngineDatabase = Awaited<ReturnType<EngineModule['Database']['open']>>;

export async function shippedEngine(): Promise<EngineModule> {
  return import('../../src/index.ts');
}
