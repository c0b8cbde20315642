// One `<engine> scan <dir>` run of `walcheck real`: the recovered state, as the engine
// prints it (one {"key": "<hex>", "value": "<hex>"} a line, in key order), or its refusal
// to open (exit 2; stderr may name the damage as "<file> at offset <N>: <reason>", as
// walcheck's own errors do), or a failure.

import type { OpenFailure } from '../../../model/open-failure.ts';
import type { Entry } from '../../../model/prefix-model.ts';
import { hexCodec } from './codec.ts';
import { describeExit, startEngine } from './engine-process.ts';

const SCAN_TIMEOUT_MS = 60_000;
const NAMED_DAMAGE = /([^\s/:'"]+) at offset (\d+): ([a-z-]+)/;

export type ScanSession =
  | { readonly kind: 'entries'; readonly entries: Entry[] }
  | {
      readonly kind: 'refused';
      readonly error: OpenFailure;
      readonly stderr: string;
    }
  | { readonly kind: 'failed'; readonly problem: string; readonly stderr: string };

export async function runScanSession(argv: readonly string[], cwd: string): Promise<ScanSession> {
  const engine = await startEngine(argv, cwd);
  engine.child.stdin.end();
  let stdout = '';
  engine.child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
  const timer = setTimeout(() => engine.kill(), SCAN_TIMEOUT_MS);
  const exit = await engine.closed;
  clearTimeout(timer);
  engine.kill();
  const stderr = engine.stderr();
  if (exit.code === 2) return { kind: 'refused', error: namedDamage(stderr), stderr };
  if (exit.code !== 0)
    return { kind: 'failed', problem: `scan ended with ${describeExit(exit)}`, stderr };
  const entries: Entry[] = [];
  for (const line of stdout.split('\n')) {
    if (line.trim() === '') continue;
    const entry = parseEntry(line);
    if (typeof entry === 'string') return { kind: 'failed', problem: entry, stderr };
    entries.push(entry);
  }
  return { kind: 'entries', entries };
}

function parseEntry(line: string): Entry | string {
  try {
    const { key, value } = JSON.parse(line) as { key?: unknown; value?: unknown };
    if (typeof key !== 'string' || typeof value !== 'string')
      return `scan line without hex key and value: ${line.slice(0, 80)}`;
    return [hexCodec.decode(key, 'key'), hexCodec.decode(value, 'value')];
  } catch (error) {
    return `scan line is not {"key": hex, "value": hex}: ${line.slice(0, 80)} (${(error as Error).message})`;
  }
}

function namedDamage(stderr: string): OpenFailure {
  const match = NAMED_DAMAGE.exec(stderr);
  if (match === null) return { code: 'CORRUPT' };
  return { code: 'CORRUPT', segment: match[1]!, offset: Number(match[2]), reason: match[3]! };
}
