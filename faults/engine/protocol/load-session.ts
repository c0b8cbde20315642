// One `<engine> load <dir>` run of `walcheck real`: stream batch lines to the engine's
// stdin, read its acknowledgements from stdout, and SIGKILL it at the moment the kill plan
// names. Every batch is issued into the History when its line is written and acknowledged
// when its ack line arrives; every complete ack line read counts, including those that
// were already in the pipe when the kill landed (the engine did claim them durable).
//
// Ack lines (in line order): a JSON object, {"seqStart": N, "count": N}; both fields may be
// left out by an engine without sequence numbers, but when given they are checked here
// (count) and by the oracle (seqStart). Anything else on stdout is a protocol error.

import type { Batch } from '../../../src/batch.ts';
import type { BatchId, History } from '../../../model/history.ts';
import { formatBatchLine } from './batch-line.ts';
import { hexCodec } from './codec.ts';
import { startEngine } from './engine-process.ts';
import type { KillPlan } from './kill-plan.ts';

/** Lines one cycle writes at most, whatever the plan. */
const LINES_MAX = 4000;
/** A cycle whose kill moment has not come by then is stopped and reported. */
const SESSION_TIMEOUT_MS = 30_000;
const ACK_LINE_CHARS_MAX = 1000;

export interface LoadSession {
  written: number;
  acked: number;
  /** Lines written and not acknowledged when the engine died. */
  inFlightAtKill: number;
  /** The seqStart of the cycle's first ack, when the engine reports one. */
  firstSeqStart: number | null;
  /** 'killed' as planned; 'exited' on its own; 'protocol' or 'timeout' after a problem (then killed). */
  end: 'killed' | 'exited' | 'protocol' | 'timeout';
  exit: { code: number | null; signal: NodeJS.Signals | null };
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
  const engine = await startEngine(argv, cwd);
  const ids: BatchId[] = [];
  const counts: number[] = [];
  const session: LoadSession = {
    written: 0,
    acked: 0,
    inFlightAtKill: 0,
    firstSeqStart: null,
    end: 'exited',
    exit: { code: null, signal: null },
    problem: null,
    stderr: '',
  };
  let feeding = true;
  let killed = false;
  const timers: NodeJS.Timeout[] = [];

  const kill = (end: LoadSession['end'], problem: string | null = null): void => {
    if (killed) return;
    killed = true;
    session.end = end;
    session.problem = problem;
    engine.kill();
  };
  const write = (lines: number): void => {
    let text = '';
    for (let i = 0; i < lines && session.written < LINES_MAX; i++) {
      const batch = nextBatch();
      ids.push(history.issue(batch));
      counts.push(batch.length);
      text += `${formatBatchLine(batch, hexCodec)}\n`;
      session.written += 1;
    }
    if (text !== '') engine.child.stdin.write(text);
  };
  const topUp = (): void => {
    if (feeding && !killed) write(plan.window - (session.written - session.acked));
  };
  const onAck = (ack: { seqStart?: number; count?: number }): void => {
    const index = session.acked;
    if (index >= session.written)
      return kill(
        'protocol',
        `ack ${index + 1} arrived, but only ${session.written} lines were written`,
      );
    if (ack.count !== undefined && ack.count !== counts[index]) {
      return kill(
        'protocol',
        `ack ${index + 1} says count ${ack.count}, but its batch holds ${counts[index]} operations`,
      );
    }
    history.ack(ids[index]!, ack.seqStart);
    session.acked += 1;
    if (session.acked === 1) session.firstSeqStart = ack.seqStart ?? null;
    if (killed) return;
    if (plan.kind === 'after-ack' && session.acked === plan.ack) return kill('killed');
    if (plan.kind === 'delay' && session.acked === 1)
      timers.push(setTimeout(() => kill('killed'), plan.ms));
    if (plan.kind === 'in-flight' && session.acked === plan.warmAcks) {
      feeding = false;
      write(plan.lines);
      if (plan.delayMs === 0) return kill('killed');
      timers.push(setTimeout(() => kill('killed'), plan.delayMs));
      return;
    }
    topUp();
  };

  let pending = '';
  engine.child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
    pending += chunk;
    let newline = pending.indexOf('\n');
    while (newline >= 0) {
      const line = pending.slice(0, newline);
      pending = pending.slice(newline + 1);
      newline = pending.indexOf('\n');
      if (line.trim() === '') continue;
      const ack = parseAck(line);
      if (typeof ack === 'string') kill('protocol', ack);
      else if (session.end !== 'protocol') onAck(ack);
    }
    if (pending.length > ACK_LINE_CHARS_MAX)
      kill(
        'protocol',
        `stdout line longer than ${ACK_LINE_CHARS_MAX} characters: ${pending.slice(0, 80)}...`,
      );
  });
  timers.push(
    setTimeout(
      () => kill('timeout', `the kill moment did not come within ${SESSION_TIMEOUT_MS / 1000} s`),
      SESSION_TIMEOUT_MS,
    ),
  );
  topUp();
  session.exit = await engine.closed;
  for (const timer of timers) clearTimeout(timer);
  if (!killed)
    session.problem = `the engine exited on its own (${describeExit(session.exit)}) after ${session.acked} acks`;
  engine.kill(); // anything it left running in its group
  session.inFlightAtKill = session.written - session.acked;
  session.stderr = engine.stderr();
  return session;
}

/** An ack line's fields, or what is wrong with it. */
export function parseAck(line: string): { seqStart?: number; count?: number } | string {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch {
    return `stdout line is not JSON: ${line.slice(0, 80)}`;
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    return `stdout line is not a JSON object: ${line.slice(0, 80)}`;
  const { seqStart, count } = value as { seqStart?: unknown; count?: unknown };
  const ack: { seqStart?: number; count?: number } = {};
  if (seqStart !== undefined && seqStart !== null) {
    if (!Number.isSafeInteger(seqStart) || (seqStart as number) < 1)
      return `ack seqStart is not a positive integer: ${line.slice(0, 80)}`;
    ack.seqStart = seqStart as number;
  }
  if (count !== undefined && count !== null) {
    if (!Number.isSafeInteger(count) || (count as number) < 1)
      return `ack count is not a positive integer: ${line.slice(0, 80)}`;
    ack.count = count as number;
  }
  return ack;
}

export function describeExit(exit: { code: number | null; signal: NodeJS.Signals | null }): string {
  return exit.signal !== null ? `signal ${exit.signal}` : `exit ${exit.code}`;
}
