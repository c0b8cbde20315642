// The one client of the stdio `load` protocol (README, "The stdio protocol"): starts
// `CMD load <dir>`, writes batch lines to its stdin as the caller sends them, and reads its
// acknowledgements from stdout as a stream, one callback per ack in line order. Every runner
// that drives `load` goes through it: walcheck real (load-session.ts, which kills the engine
// at a planned moment), the audit's recorder under strace (audit/record-load.ts) and the
// audit's continuations (audit/continuation.ts).
//
// Nothing an engine prints is buffered without a bound (LoadLimits): the line being read
// (lineBytesMax), the lines read (linesMax; the acks kept are among them), and time: an
// engine that owes an ack or its exit and prints nothing for silenceMsMax, or a run longer
// than runMsMax, is killed, and the problem names the limit and the line it stopped after.
// The time limits are a safety net for hung engines; no verdict depends on speed.
//
// Ack lines: a JSON object {"seqStart": N, "count": N}; both fields may be left out by an
// engine without sequence numbers, but when given they are checked: count here (when the
// caller sent the batch's op count), seqStart by the oracle. Anything else is a protocol
// error.

import { performance } from 'node:perf_hooks';
import { type EngineExit, type EngineProcess, startEngine } from './engine-process.ts';

/** One acknowledgement, as the engine printed it. */
export interface Ack {
  readonly seqStart?: number;
  readonly count?: number;
}

export interface LoadLimits {
  /** Bytes of one stdout line (without its newline). */
  readonly lineBytesMax: number;
  /** Stdout lines read in one run, blank ones included (the acks are kept). */
  readonly linesMax: number;
  /** How long the engine may print nothing while it owes an ack or, stdin closed, its exit. */
  readonly silenceMsMax: number;
  /** How long the whole run may take; null: no limit but silenceMsMax. */
  readonly runMsMax: number | null;
}

/** The defaults (README, "The stdio protocol"); a runner may lower or raise them. */
export const LOAD_LIMITS: LoadLimits = Object.freeze({
  lineBytesMax: 1000,
  linesMax: 100_000,
  silenceMsMax: 120_000,
  runMsMax: null,
});

export type LoadProblem =
  /** The engine broke the protocol, or printed past lineBytesMax or linesMax. */
  | { readonly kind: 'protocol'; readonly message: string }
  /** silenceMsMax or runMsMax ran out. */
  | { readonly kind: 'timeout'; readonly message: string }
  /** The caller's signal fired; `reason` is the signal's. */
  | { readonly kind: 'aborted'; readonly message: string; readonly reason: unknown };

export interface LoadEnd {
  readonly exit: EngineExit;
  readonly stderr: string;
  readonly acks: readonly Ack[];
  readonly written: number;
  /** Newlines read from stdout, blank lines included (the recorder checks them against the trace). */
  readonly stdoutLines: number;
  /** What made the client kill the engine; null when it exited, or the caller stopped it. */
  readonly problem: LoadProblem | null;
  /** The caller stopped it (stop()) before any problem. */
  readonly stopped: boolean;
}

export interface LoadClientOptions {
  readonly limits?: Partial<LoadLimits>;
  readonly signal?: AbortSignal | undefined;
  /**
   * Called for each ack, in line order, before the next line of stdout is read; it may
   * send, endInput or stop. Acks read after stop() (already in the pipe) are still given.
   */
  readonly onAck?: (ack: Ack, index: number) => void;
}

const NEWLINE = 0x0a;
/** Characters of a bad line a message shows. */
const PREVIEW_CHARS = 80;
/** Timers may fire a little early: silence this close to the limit counts as reached. */
const TIMER_SLACK_MS = 2;

export class LoadClient {
  private readonly acks: Ack[] = [];
  private readonly counts: Array<number | undefined> = [];
  private pending: Buffer[] = [];
  private pendingBytes = 0;
  private stdoutLines = 0;
  private inputEnded = false;
  private stopped = false;
  private problem: LoadProblem | null = null;
  private heardAt = performance.now();
  private silenceTimer: NodeJS.Timeout | null = null;
  private readonly timers: NodeJS.Timeout[] = [];
  /** Resolves once the engine exited and its streams closed. */
  readonly ended: Promise<LoadEnd>;

  private constructor(
    private readonly engine: EngineProcess,
    private readonly limits: LoadLimits,
    private readonly options: LoadClientOptions,
  ) {
    engine.child.stdout.on('data', (chunk: Buffer) => this.read(chunk));
    if (limits.runMsMax !== null) {
      const ms = limits.runMsMax;
      this.timers.push(
        setTimeout(
          () =>
            this.fail(
              'timeout',
              `'load' did not finish within ${ms / 1000} s ${this.where('runMsMax')}`,
            ),
          ms,
        ),
      );
    }
    const signal = options.signal;
    const onAbort = (): void => this.fail('aborted', 'aborted', signal!.reason);
    signal?.addEventListener('abort', onAbort, { once: true });
    this.ended = this.end(() => signal?.removeEventListener('abort', onAbort));
  }

  /** Starts `argv` (`CMD load <dir>`); rejects when it cannot be started at all. */
  static async start(
    argv: readonly string[],
    cwd: string,
    options: LoadClientOptions = {},
  ): Promise<LoadClient> {
    options.signal?.throwIfAborted();
    const engine = await startEngine(argv, cwd);
    const client = new LoadClient(engine, { ...LOAD_LIMITS, ...options.limits }, options);
    if (options.signal?.aborted === true) client.fail('aborted', 'aborted', options.signal.reason);
    return client;
  }

  get written(): number {
    return this.counts.length;
  }

  get acked(): number {
    return this.acks.length;
  }

  /** Neither stopped by the caller nor killed for a problem. */
  get running(): boolean {
    return !this.stopped && this.problem === null;
  }

  /** Writes batch lines (without '\n'); `counts[i]`, when given, is line i's op count to check. */
  send(lines: readonly string[], counts: readonly number[] = []): void {
    if (lines.length === 0 || this.inputEnded) return;
    lines.forEach((_, i) => this.counts.push(counts[i]));
    this.engine.child.stdin.write(`${lines.join('\n')}\n`);
    this.heard(); // the engine owes an ack from now on
  }

  /** Closes stdin: the engine must ack what it has and exit. */
  endInput(): void {
    if (this.inputEnded) return;
    this.inputEnded = true;
    this.engine.child.stdin.end();
    this.heard();
  }

  /** SIGKILL as the caller planned; acks already in the pipe are still read. */
  stop(): void {
    if (this.stopped || this.problem !== null) return;
    this.stopped = true;
    this.disarmSilence();
    this.engine.kill();
  }

  private async end(cleanUp: () => void): Promise<LoadEnd> {
    const exit = await this.engine.closed;
    for (const timer of this.timers) clearTimeout(timer);
    this.disarmSilence();
    cleanUp();
    this.engine.kill(); // anything it left running in its group
    return {
      exit,
      stderr: this.engine.stderr(),
      acks: this.acks,
      written: this.written,
      stdoutLines: this.stdoutLines,
      problem: this.problem,
      stopped: this.stopped,
    };
  }

  /** Splits stdout into lines at newline bytes, holding at most lineBytesMax of a line. */
  private read(chunk: Buffer): void {
    this.heard();
    let start = 0;
    for (let at = chunk.indexOf(NEWLINE); at >= 0; at = chunk.indexOf(NEWLINE, start)) {
      const part = chunk.subarray(start, at);
      start = at + 1;
      this.stdoutLines += 1;
      if (this.problem !== null) continue; // after a problem nothing more counts
      const whole = this.pending.length === 0 ? part : Buffer.concat([...this.pending, part]);
      if (whole.length > this.limits.lineBytesMax) return this.tooLong(whole, this.stdoutLines);
      const line = whole.toString('utf8');
      this.pending = [];
      this.pendingBytes = 0;
      if (this.stdoutLines > this.limits.linesMax)
        return this.fail(
          'protocol',
          `the engine printed more than ${this.limits.linesMax} lines on stdout (limit linesMax), at line ${this.stdoutLines}`,
        );
      if (line.trim() !== '') this.take(line.trim());
    }
    if (start === chunk.length || this.problem !== null) return;
    const rest = chunk.subarray(start);
    if (this.pendingBytes + rest.length > this.limits.lineBytesMax)
      return this.tooLong(Buffer.concat([...this.pending, rest]), this.stdoutLines + 1);
    this.pending.push(rest);
    this.pendingBytes += rest.length;
  }

  /** `line` is the stdout line's number (1-based), `start` what was read of it. */
  private tooLong(start: Buffer, line: number): void {
    const preview = start.subarray(0, PREVIEW_CHARS).toString('utf8');
    this.pending = [];
    this.pendingBytes = 0;
    this.fail(
      'protocol',
      `stdout line ${line} is longer than ${this.limits.lineBytesMax} bytes (limit lineBytesMax): ${preview}...`,
    );
  }

  private take(line: string): void {
    const ack = parseAck(line);
    // after stop() a bad line is the killed engine's last gasp: skipped, later acks still count
    if (typeof ack === 'string') return this.fail('protocol', ack);
    const index = this.acks.length;
    if (index >= this.written)
      return this.fail(
        'protocol',
        `ack ${index + 1} arrived, but only ${this.written} lines were written`,
      );
    const count = this.counts[index];
    if (ack.count !== undefined && count !== undefined && ack.count !== count)
      return this.fail(
        'protocol',
        `ack ${index + 1} says count ${ack.count}, but its batch holds ${count} operations`,
      );
    this.acks.push(ack);
    this.options.onAck?.(ack, index);
  }

  private fail(kind: LoadProblem['kind'], message: string, reason?: unknown): void {
    if (this.problem !== null || this.stopped) return;
    this.problem = kind === 'aborted' ? { kind, message, reason } : { kind, message };
    this.disarmSilence();
    this.engine.kill();
  }

  /** Where the run stands when `limit` ran out: the last line acked and how many were sent. */
  private where(limit: 'runMsMax' | 'silenceMsMax'): string {
    const sent = `${this.written} line${this.written === 1 ? '' : 's'} sent${this.inputEnded ? ', stdin closed' : ''}; limit ${limit}`;
    return this.acks.length === 0
      ? `before its first ack (${sent})`
      : `after its ack of line ${this.acks.length} (${sent})`;
  }

  /** The engine owes something: an ack of a line sent, or its exit once stdin is closed. */
  private owes(): boolean {
    return this.running && (this.written > this.acked || this.inputEnded);
  }

  /** Something happened (output, or a new debt): the silence clock starts again. */
  private heard(): void {
    this.heardAt = performance.now();
    this.armSilence();
  }

  /** One timer per silence period: on firing it re-arms for what is left, or fails. */
  private armSilence(): void {
    if (this.silenceTimer !== null || !this.owes()) return;
    const max = this.limits.silenceMsMax;
    this.silenceTimer = setTimeout(
      () => {
        this.silenceTimer = null;
        if (!this.owes()) return;
        if (performance.now() - this.heardAt < max - TIMER_SLACK_MS) return this.armSilence();
        this.fail(
          'timeout',
          `the engine printed nothing for ${max / 1000} s ${this.where('silenceMsMax')}`,
        );
      },
      Math.max(0, this.heardAt + max - performance.now()),
    );
  }

  private disarmSilence(): void {
    if (this.silenceTimer !== null) clearTimeout(this.silenceTimer);
    this.silenceTimer = null;
  }
}

/** An ack line's fields, or what is wrong with it. */
export function parseAck(line: string): Ack | string {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch {
    return `stdout line is not JSON: ${line.slice(0, PREVIEW_CHARS)}`;
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    return `stdout line is not a JSON object: ${line.slice(0, PREVIEW_CHARS)}`;
  const { seqStart, count } = value as { seqStart?: unknown; count?: unknown };
  const ack: { seqStart?: number; count?: number } = {};
  if (seqStart !== undefined && seqStart !== null) {
    if (!Number.isSafeInteger(seqStart) || (seqStart as number) < 1)
      return `ack seqStart is not a positive integer: ${line.slice(0, PREVIEW_CHARS)}`;
    ack.seqStart = seqStart as number;
  }
  if (count !== undefined && count !== null) {
    if (!Number.isSafeInteger(count) || (count as number) < 1)
      return `ack count is not a positive integer: ${line.slice(0, PREVIEW_CHARS)}`;
    ack.count = count as number;
  }
  return ack;
}
