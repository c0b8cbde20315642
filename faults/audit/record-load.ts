// One recorded `<engine> load <dir>` for the audit: the directory's starting content is
// captured, the engine runs under strace (strace-command.ts) while the batch lines are
// pipelined to it over the stdio protocol (at most WINDOW_LINES ahead of the acks, as
// `walcheck real` does), stdin is closed once every line is acknowledged (or the engine
// stopped acking by exiting), and the trace is read back into operations (trace-to-ops.ts).

import { mkdtemp, readFile, realpath, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { HarnessInputError } from '../base/harness-error.ts';
import { type EngineExit, stderrLines } from '../engine/protocol/engine-process.ts';
import { type Ack, LoadClient } from '../engine/protocol/load-client.ts';
import type { RecordedRun, TracedOp } from './trace/audit-ops.ts';
import { captureStart } from './record-start.ts';
import { findStrace, straceArgv } from './trace/strace-command.ts';
import { parseTrace } from './trace/trace-parse.ts';
import { traceToOps } from './trace/trace-to-ops.ts';

/** Lines written ahead of the acknowledgements (the protocol promises about 24). */
const WINDOW_LINES = 24;

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

export interface LoadRecording {
  run: RecordedRun;
  /** The ack lines, parsed, in order (the load client's Ack). */
  acks: Ack[];
  exit: EngineExit;
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
  const lines = options.lines;
  // assigned before the first line is sent, so before any ack can call back
  let client!: LoadClient;
  const topUp = (): void => {
    const from = client.written;
    const to = Math.min(lines.length, client.acked + WINDOW_LINES);
    client.send(lines.slice(from, Math.max(from, to)));
    if (client.acked === lines.length) client.endInput();
  };
  client = await LoadClient.start(argv, options.cwd, {
    limits: { runMsMax: options.timeoutMs },
    signal: options.signal,
    onAck: topUp,
  });
  topUp();
  const end = await client.ended;
  if (end.problem?.kind === 'aborted') throw end.problem.reason;
  if (end.problem !== null) throw protocolError(end.problem.message, end.stderr);
  return {
    acks: [...end.acks],
    exit: end.exit,
    stderr: end.stderr,
    stdoutLines: end.stdoutLines,
  };
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
