// Rule 5 on a crash image: `CMD load <copy>` with one more batch must open the recovered
// directory for writing and acknowledge that batch with the sequence number right after the
// recovered prefix: the state's recovery is judged again on a fresh history (judgeRecovery,
// which moves it on to the prefix kept), then its first ack by judgeFirstAck (model/judge.ts).
// An engine that cannot open what its own scan recovered cannot go on either: that is
// reported under the same rule (model/check-refused-write.ts).

import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { refusedWriteViolation } from '../../model/check-refused-write.ts';
import { judgeFirstAck, judgeRecovery } from '../../model/judge.ts';
import type { Verdict } from '../../model/verdict.ts';
import { type EngineCommand, loadArgv } from '../engine/protocol/engine-command.ts';
import { startEngine } from '../engine/protocol/engine-process.ts';
import { describeExit, parseAck } from '../engine/protocol/load-session.ts';
import type { HistoryRecipe } from './audit-history.ts';
import type { JudgedState } from './judge-states.ts';
import { stderrTail } from './judge-states.ts';
import { materialize } from './materialize.ts';

export const CONTINUATION_TIMEOUT_MS = 60_000;

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
): Promise<{ seqStart?: number; count?: number } | string> {
  const child = await startEngine(loadArgv(engine, dir), engine.cwd);
  let stdout = '';
  child.child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
  child.child.stdin.end(`${line}\n`);
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    child.kill();
  }, CONTINUATION_TIMEOUT_MS);
  const exit = await child.closed;
  clearTimeout(timer);
  child.kill();
  const tail = stderrTail(child.stderr());
  if (timedOut) return `did not finish within ${CONTINUATION_TIMEOUT_MS / 1000} s${tail}`;
  const first = stdout.split('\n').find((l) => l.trim() !== '');
  if (exit.code !== 0 || first === undefined)
    return `ended with ${describeExit(exit)} and ${first === undefined ? 'no ack' : 'an ack'}${tail}`;
  const ack = parseAck(first);
  return typeof ack === 'string' ? `printed a bad ack: ${ack}` : ack;
}
