// `walcheck audit --replay DIR --state TOKEN --materialize OUT`: rebuilds the exact crash
// state a token names from a run saved with --keep (audit-keep.ts), with no engine and no
// timing involved, and writes it into OUT for the engine's developer to debug recovery on.

import { describeOutcome } from '../disk/crash-outcome.ts';
import { loadCycle } from './audit-keep.ts';
import { describePoint, parseToken, stateOf, traceAround } from './crash-states.ts';
import { materialize } from './materialize.ts';

export interface ReplayedState {
  token: string;
  engine: string;
  point: string;
  outcome: string;
  acked: number;
  files: Array<{ path: string; bytes: number }>;
  trace: string[];
}

export async function replayState(
  keptDir: string,
  token: string,
  out: string | null,
): Promise<ReplayedState> {
  const id = parseToken(token);
  const kept = await loadCycle(keptDir, id.cycle);
  const state = await stateOf(kept.run, id, kept.seed);
  if (out !== null) await materialize(state.image, out);
  return {
    token,
    engine: kept.engine,
    point: describePoint(kept.run, id.point),
    outcome: describeOutcome(state.outcome),
    acked: state.acked,
    files: [...state.image].map(([path, data]) => ({ path, bytes: data.length })),
    trace: traceAround(kept.run, id.point),
  };
}
