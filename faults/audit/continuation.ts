// Rule 5 on a crash image: `CMD load <copy>` with one more batch must open the recovered
// directory for writing and acknowledge that batch with the sequence number right after the
// recovered prefix: the state's recovery is judged again on a fresh history (judgeRecovery,
// which moves it on to the prefix kept), then its first ack by judgeFirstAck (model/judge.ts).
// An engine that cannot open what its own scan recovered cannot go on either: that is
// reported under the same rule (model/check-continuation.ts).

import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { refusedWriteViolation } from '../../model/check-continuation.ts';
import { judgeFirstAck, judgeRecovery } from '../../model/judge.ts';
import type { Verdict } from '../../model/verdict.ts';
import { type EngineCommand, loadArgv } from '../engine/protocol/engine-command.ts';
import { describeExit } from '../engine/protocol/engine-process.ts';
import { type Ack, LoadClient } from '../engine/protocol/load-client.ts';
import type { HistoryRecipe } from './audit-history.ts';
import type { JudgedState } from './judge-states.ts';
import { stderrTail } from './judge-states.ts';
import { materialize } from './materialize.ts';

/** A continuation is one batch: a load still running after this long is hung (runMsMax). */
export const CONTINUATION_MS_MAX = 60_000;

export interface ContinuationResult {
  state: JudgedState;
  /** The seqStart the engine acknowledged the extra batch with, when it reports one. */
  seqStart: number | null;
  verdict: Verdict;
}

export async function checkContinuationOn(
  state: JudgedState,
  recipe: HistoryRecipe,
  engine: EngineCommand,
  workDir: string,
  batchLine: string,
): Promise<ContinuationResult> {
  const verdict = state.verdict;
  if (!verdict.ok || verdict.k === null || state.observed === null)
    throw new Error('walcheck invariant violated: continuation of a state that did not recover');
  const dir = join(workDir, `continue-${state.image.number}-${state.ref.acked}`);
  await materialize(state.image.image, dir);
  try {
    const run = await loadOneLine(engine, dir, batchLine);
    if (typeof run === 'string')
      return {
        state,
        seqStart: null,
        verdict: refusedWriteViolation(verdict.k, run),
      };
    if (run.seqStart === undefined) return { state, seqStart: null, verdict: { ok: true } };
    const history = recipe.build(state.ref.acked);
    const recovered = judgeRecovery(history, { box: 'black', observed: state.observed });
    if (!recovered.ok || recovered.k !== verdict.k || recovered.line !== verdict.line)
      throw new Error('walcheck invariant violated: a state judged twice was judged apart');
    return { state, seqStart: run.seqStart, verdict: judgeFirstAck(history, run.seqStart) };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** The ack of one batch line, or what went wrong (in words, with the stderr tail). */
async function loadOneLine(
  engine: EngineCommand,
  dir: string,
  line: string,
): Promise<Ack | string> {
  const client = await LoadClient.start(loadArgv(engine, dir), engine.cwd, {
    limits: { runMsMax: CONTINUATION_MS_MAX },
  });
  client.send([line]);
  client.endInput();
  const end = await client.ended;
  const tail = stderrTail(end.stderr);
  if (end.problem?.kind === 'timeout') return `${end.problem.message}${tail}`;
  if (end.problem !== null) return `printed a bad ack: ${end.problem.message}`;
  const ack = end.acks[0];
  if (end.exit.code !== 0 || ack === undefined)
    return `ended with ${describeExit(end.exit)} and ${ack === undefined ? 'no ack' : 'an ack'}${tail}`;
  return ack;
}
