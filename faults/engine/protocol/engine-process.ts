// The engine under test as a child process: started in its own process group (so a kill
// reaches whatever the command spawned, e.g. an `npx` wrapper and the engine under it),
// killed with SIGKILL, its stderr kept (the tail) for reports.

import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import { HarnessInputError } from '../../base/harness-error.ts';

/** Stderr kept for a report: the last this many characters. */
const STDERR_TAIL_CHARS = 4000;

export interface EngineExit {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
}

export interface EngineProcess {
  readonly child: ChildProcessWithoutNullStreams;
  /** Resolves once the process exited and its stdout and stderr closed. */
  readonly closed: Promise<EngineExit>;
  /** The last part of what it wrote on stderr so far. */
  stderr(): string;
  /** SIGKILL to its whole process group; idempotent. */
  kill(): void;
}

/** Spawns argv; rejects when the program cannot be started at all (e.g. ENOENT). */
export async function startEngine(argv: readonly string[], cwd: string): Promise<EngineProcess> {
  const [program, ...args] = argv;
  if (program === undefined) throw new Error('empty engine command');
  const child = spawn(program, args, { cwd, detached: true, stdio: ['pipe', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
    stderr = (stderr + chunk).slice(-STDERR_TAIL_CHARS);
  });
  child.stdin.on('error', () => undefined); // EPIPE after a kill or an early exit
  const closed = new Promise<EngineExit>((resolve) => {
    child.on('close', (code, signal) => resolve({ code, signal }));
  });
  await new Promise<void>((resolve, reject) => {
    child.once('spawn', resolve);
    child.once('error', reject);
  });
  let killed = false;
  return {
    child,
    closed,
    stderr: () => stderr,
    kill() {
      if (killed) return;
      killed = true;
      try {
        process.kill(-child.pid!, 'SIGKILL');
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'ESRCH') throw error;
      }
    },
  };
}

/** Splits a command line into words: blanks separate, '...' and "..." quote, \ escapes outside '...'. */
export function splitCommand(text: string): string[] {
  const words: string[] = [];
  let word = '';
  let inWord = false;
  let quote: "'" | '"' | null = null;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (quote !== null) {
      if (c === quote) quote = null;
      else if (c === '\\' && quote === '"' && i + 1 < text.length) word += text[++i];
      else word += c;
    } else if (c === "'" || c === '"') {
      quote = c;
      inWord = true;
    } else if (c === '\\' && i + 1 < text.length) {
      word += text[++i];
      inWord = true;
    } else if (/\s/.test(c)) {
      if (inWord) words.push(word);
      word = '';
      inWord = false;
    } else {
      word += c;
      inWord = true;
    }
  }
  if (quote !== null)
    throw new HarnessInputError(
      'BAD_ENGINE',
      `--engine: unterminated ${quote} quote in the command ${JSON.stringify(text)}`,
    );
  if (inWord) words.push(word);
  return words;
}

/** The command line that splitCommand reads back as `words` (for repro commands). */
export function quoteCommand(words: readonly string[]): string {
  return words
    .map((w) => (/^[\w@%+=:,./-]+$/.test(w) ? w : `'${w.replaceAll("'", `'\\''`)}'`))
    .join(' ');
}

/** The last `max` non-blank lines of an engine's stderr, for a report (empty when it said nothing). */
export function stderrLines(stderr: string, max: number): string[] {
  return stderr
    .split('\n')
    .filter((line) => line.trim() !== '')
    .slice(-max);
}

/** "exit 3" or "signal SIGKILL". */
export function describeExit(exit: EngineExit): string {
  return exit.signal !== null ? `signal ${exit.signal}` : `exit ${exit.code}`;
}
