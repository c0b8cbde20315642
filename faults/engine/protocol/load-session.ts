// One `<engine> load <dir>` run of `walcheck real`: stream batch lines to the engine through
// the load client (load-client.ts), read its acknowledgements, and SIGKILL it at the moment
// the kill plan names. Every batch is issued into the History when its line is written and
// acknowledged when its ack line arrives; every complete ack line read counts, including
// those that were already in the pipe when the kill landed (the engine did claim them
// durable).

import type { Batch } from '../../../src/batch.ts';
import type { BatchId, History } from '../../../model/history.ts';
import { formatBatchLine } from './batch-line.ts';
import { hexCodec } from './codec.ts';
import { describeExit, type EngineExit } from './engine-process.ts';
import type { KillPlan } from './kill-plan.ts';
import { type Ack, LoadClient, type LoadEnd } from './load-client.ts';

/** Lines one cycle writes at most, whatever the plan. */
const LINES_MAX = 4000;
/** A cycle whose kill moment has not come by then is stopped and reported (runMsMax). */
const SESSION_MS_MAX = 30_000;

export interface LoadSession {
  written: number;
  acked: number;
  /** Lines written and not acknowledged when the engine died. */
  inFlightAtKill: number;
  /** The seqStart of the cycle's first ack, when the engine reports one. */
  firstSeqStart: number | null;
  /** 'killed' as planned; 'exited' on its own; 'protocol' or 'timeout' after a problem (then killed). */
  end: 'killed' | 'exited' | 'protocol' | 'timeout';
  exit: EngineExit;
  /** What went wrong when end is not 'killed'. */
  problem: string | null;
  stderr: string;
}

export async function runLoadSession(
  argv: readonly string[],
  cwd: string,
  plan: KillPlan,
  nextBatch: () => Batch,
  history: History,
): Promise<LoadSession> {
  const ids: BatchId[] = [];
  const timers: NodeJS.Timeout[] = [];
  let feeding = true;
  let firstSeqStart: number | null = null;
  // assigned before the first line is sent, so before any ack can call back
  let client!: LoadClient;
  const write = (lines: number): void => {
    const text: string[] = [];
    const counts: number[] = [];
    for (let i = 0; i < lines && client.written + text.length < LINES_MAX; i++) {
      const batch = nextBatch();
      ids.push(history.issue(batch));
      counts.push(batch.length);
      text.push(formatBatchLine(batch, hexCodec));
    }
    client.send(text, counts);
  };
  const topUp = (): void => {
    if (feeding && client.running) write(plan.window - (client.written - client.acked));
  };
  const stopLater = (ms: number): void => {
    timers.push(setTimeout(() => client.stop(), ms));
  };
  const onAck = (ack: Ack, index: number): void => {
    history.ack(ids[index]!, ack.seqStart);
    const acked = index + 1;
    if (acked === 1) firstSeqStart = ack.seqStart ?? null;
    if (!client.running) return;
    if (plan.kind === 'after-ack' && acked === plan.ack) return client.stop();
    if (plan.kind === 'delay' && acked === 1) stopLater(plan.ms);
    if (plan.kind === 'in-flight' && acked === plan.warmAcks) {
      feeding = false;
      write(plan.lines);
      return plan.delayMs === 0 ? client.stop() : stopLater(plan.delayMs);
    }
    topUp();
  };
  client = await LoadClient.start(argv, cwd, { limits: { runMsMax: SESSION_MS_MAX }, onAck });
  topUp();
  const end = await client.ended;
  for (const timer of timers) clearTimeout(timer);
  return sessionOf(end, firstSeqStart);
}

function sessionOf(end: LoadEnd, firstSeqStart: number | null): LoadSession {
  const problem = end.problem;
  const session = {
    written: end.written,
    acked: end.acks.length,
    inFlightAtKill: end.written - end.acks.length,
    firstSeqStart,
    exit: end.exit,
    stderr: end.stderr,
  };
  if (end.stopped) return { ...session, end: 'killed', problem: null };
  if (problem !== null && problem.kind !== 'aborted')
    return { ...session, end: problem.kind, problem: problem.message };
  return {
    ...session,
    end: 'exited',
    problem: `the engine exited on its own (${describeExit(end.exit)}) after ${session.acked} acks`,
  };
}
