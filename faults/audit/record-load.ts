// One recorded `<engine> load <dir>` for the audit: the directory's starting content is
// captured, the engine runs under strace (strace-command.ts) while the batch lines are
// pipelined to it over the stdio protocol (at most WINDOW_LINES ahead of the acks, as
// `walcheck real` does), stdin is closed once every line is acknowledged (or the engine
// stopped acking by exiting), and the trace is read back into operations (trace-to-ops.ts).

import { mkdtemp, readFile, realpath, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { HarnessInputError } from '../base/harness-error.ts';
import { startEngine, stderrLines } from '../engine/protocol/engine-process.ts';
import { parseAck } from '../engine/protocol/load-session.ts';
import type { RecordedRun, TracedOp } from './trace/audit-ops.ts';
import { captureStart } from './record-start.ts';
import { findStrace, straceArgv } from './trace/strace-command.ts';
import { parseTrace } from './trace/trace-parse.ts';
import { traceToOps } from './trace/trace-to-ops.ts';

/** Lines written ahead of the acknowledgements (the protocol promises about 24). */
const WINDOW_LINES = 24;
const ACK_LINE_CHARS_MAX = 1000;

export interface RecordLoadOptions {
  /** The engine's command prefix; the recorder runs `<engine...> load <dir>`. */
  engine: readonly string[];
  /** The database directory: absolute, existing. */
  dir: string;
  /** The engine's working directory. */
  cwd: string;
  /** Batch lines (without '\n') to send, in order. */
  lines: readonly string[];
  timeoutMs: number;
  /** Files (paths relative to `dir`) whose operations are left out of the run. */
  ignore?: (path: string) => boolean;
  signal?: AbortSignal;
}

export type Ack = { seqStart?: number; count?: number };

export interface LoadRecording {
  run: RecordedRun;
  /** The ack lines, parsed, in order. */
  acks: Ack[];
  exit: { code: number | null; signal: NodeJS.Signals | null };
  stderr: string;
  /** strace's output as written, for --keep and for reports. */
  traceText: string;
}

export async function recordLoad(options: RecordLoadOptions): Promise<LoadRecording> {
  const strace = await findStrace();
  const start = await captureStart(options.dir);
  const traceDir = await mkdtemp(join(tmpdir(), 'walcheck-trace-'));
  try {
    const traceFile = join(traceDir, 'trace.txt');
    const argv = straceArgv(strace, traceFile, [...options.engine, 'load', options.dir]);
    const session = await runSession(argv, options);
    const traceText = await readFile(traceFile, 'utf8');
    const dirs = [...new Set([options.dir, await realpath(options.dir)])];
    const ops = traceToOps(parseTrace(traceText), {
      dirs,
      cwd: options.cwd,
      start,
      ...(options.ignore === undefined ? {} : { ignore: options.ignore }),
    });
    checkAcks(ops, session.stdoutLines);
    return {
      run: { start, ops },
      acks: session.acks,
      exit: session.exit,
      stderr: session.stderr,
      traceText,
    };
  } finally {
    await rm(traceDir, { recursive: true, force: true });
  }
}

/** Streams the lines, collects the acks, closes stdin after the last ack, waits for the exit. */
async function runSession(
  argv: readonly string[],
  options: RecordLoadOptions,
): Promise<Omit<LoadRecording, 'run' | 'traceText'> & { stdoutLines: number }> {
  options.signal?.throwIfAborted();
  const engine = await startEngine(argv, options.cwd);
  const acks: Ack[] = [];
  let written = 0;
  let failure: Error | null = null;
  const fail = (error: Error): void => {
    failure ??= error;
    engine.kill();
  };
  const topUp = (): void => {
    let text = '';
    while (written < options.lines.length && written - acks.length < WINDOW_LINES)
      text += `${options.lines[written++]}\n`;
    if (text !== '') engine.child.stdin.write(text);
    if (acks.length === options.lines.length) engine.child.stdin.end();
  };
  let pending = '';
  let stdoutLines = 0;
  engine.child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
    for (let at = chunk.indexOf('\n'); at >= 0; at = chunk.indexOf('\n', at + 1)) stdoutLines++;
    pending += chunk;
    for (let newline = pending.indexOf('\n'); newline >= 0; newline = pending.indexOf('\n')) {
      const line = pending.slice(0, newline).trim();
      pending = pending.slice(newline + 1);
      if (line === '' || failure !== null) continue;
      const ack = parseAck(line);
      if (typeof ack === 'string') return fail(protocolError(ack, engine.stderr()));
      if (acks.length >= written)
        return fail(protocolError(`ack ${acks.length + 1} came before its line was written`, ''));
      acks.push(ack);
      topUp();
    }
    if (pending.length > ACK_LINE_CHARS_MAX)
      fail(protocolError(`stdout line longer than ${ACK_LINE_CHARS_MAX} characters`, ''));
  });
  const timer = setTimeout(
    () =>
      fail(
        protocolError(
          `'load' did not finish within ${options.timeoutMs / 1000} s`,
          engine.stderr(),
        ),
      ),
    options.timeoutMs,
  );
  const onAbort = (): void => fail(options.signal!.reason as Error);
  options.signal?.addEventListener('abort', onAbort, { once: true });
  topUp();
  const exit = await engine.closed;
  clearTimeout(timer);
  options.signal?.removeEventListener('abort', onAbort);
  engine.kill(); // anything it left running in its group
  if (failure !== null) throw failure;
  return { acks, exit, stderr: engine.stderr(), stdoutLines };
}

/** The acks in the trace must be the lines the harness read, or the model missed how they were written. */
function checkAcks(ops: readonly TracedOp[], stdoutLines: number): void {
  const traced = ops.reduce((sum, { op }) => sum + (op.kind === 'ack' ? op.lines : 0), 0);
  if (traced === stdoutLines) return;
  throw new HarnessInputError(
    'UNMODELED',
    `the harness read ${stdoutLines} lines from the engine's stdout, but the trace shows ${traced} written to it (written with a call the recorder does not model, such as sendmsg, or through a descriptor it does not follow)`,
  );
}

function protocolError(problem: string, stderr: string): HarnessInputError {
  const tail = stderrLines(stderr, 4).join(' | ');
  return new HarnessInputError(
    'BAD_ENGINE',
    `recording 'load': ${problem}${tail === '' ? '' : ` (stderr: ${tail})`}`,
  );
}
