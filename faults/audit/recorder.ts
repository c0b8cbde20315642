// How the audit runner asks for a recorded `CMD load` (record-load.ts does it under strace);
// a parameter of the runner so that tests can hand it recorded runs of their own.

import type { EngineCommand } from '../engine/protocol/engine-command.ts';
import type { Ack } from '../engine/protocol/load-client.ts';
import type { RecordedRun } from './trace/audit-ops.ts';
import { recordLoad } from './record-load.ts';

export interface RecordRequest {
  engine: EngineCommand;
  /** The database directory, already holding the cycle's starting content. */
  dir: string;
  /** Batch lines written to the engine's stdin, then stdin is closed. */
  lines: readonly string[];
  timeoutMs: number;
  ignore: readonly string[];
  signal?: AbortSignal | undefined;
}

export interface Recording {
  run: RecordedRun;
  acks: Ack[];
  exit: { code: number | null; signal: string | null };
  stderr: string;
  /** The raw trace, kept beside the run by --keep. */
  traceText: string;
}

export type LoadRecorder = (request: RecordRequest) => Promise<Recording>;

/** The real recorder: record-load.ts under strace, with the --ignore globs as a path test. */
export const straceRecorder: LoadRecorder = async (request) => {
  const ignore = globsMatcher(request.ignore);
  return recordLoad({
    engine: request.engine.prefix,
    dir: request.dir,
    cwd: request.engine.cwd,
    lines: request.lines,
    timeoutMs: request.timeoutMs,
    ...(ignore === null ? {} : { ignore }),
    ...(request.signal === undefined ? {} : { signal: request.signal }),
  });
};

/**
 * Shell-style globs (`*` and `?` within a name, `**` across names) as one test of a path
 * relative to the directory; a glob without '/' matches the last name (so `*-shm` matches
 * `sub/db-shm`).
 */
export function globsMatcher(globs: readonly string[]): ((path: string) => boolean) | null {
  if (globs.length === 0) return null;
  const tests = globs.map((glob) => {
    const source = glob
      .split('**')
      .map((part) =>
        part
          .split('')
          .map((c) =>
            c === '*' ? '[^/]*' : c === '?' ? '[^/]' : c.replace(/[.+^${}()|[\]\\]/g, '\\$&'),
          )
          .join(''),
      )
      .join('.*');
    const re = new RegExp(`^${source}$`);
    return glob.includes('/')
      ? (path: string) => re.test(path)
      : (path: string) => re.test(path.slice(path.lastIndexOf('/') + 1));
  });
  return (path) => tests.some((test) => test(path));
}
