// Reads the text strace writes with the flags of strace-command.ts (`-f -qq -X raw -xx`): one
// system call per line, prefixed by the pid, strings as `\xNN` escapes, flags and constants as
// raw numbers. A call another thread interrupted is printed in two parts,
// `PID name(args <unfinished ...>` and later `PID <... name resumed>args) = result`; they are
// merged here into one call that keeps both line numbers, so the trace model can place each
// call where its effect counts (trace-to-ops.ts). Signal lines (`--- SIGCHLD ... ---`) and
// exit lines (`+++ exited with 0 +++`) carry no file operation and are skipped.
//
// No npm package parses strace output (the registry's "strace" packages trace JavaScript
// functions), so this is our own, limited to the line shapes the flags above produce.

import { HarnessInputError } from '../../base/harness-error.ts';

export interface TraceCall {
  pid: number;
  name: string;
  /** Top-level arguments, as strace printed them (split at commas outside quotes and brackets). */
  args: string[];
  /** The return value; null when strace printed `?` (the call never returned, e.g. exit). */
  result: number | null;
  /** The errno name when the call failed (`ENOENT`), else null. */
  errno: string | null;
  /** 1-based line numbers of the call's start and of its return (equal when on one line). */
  startLine: number;
  endLine: number;
}

const CALL_LINE = /^(\d+) +([a-z_0-9?]+)\((.*)$/;
const RESUMED_LINE = /^(\d+) +<\.\.\. ([a-z_0-9?]+) resumed>(.*)$/;
const UNFINISHED = ' <unfinished ...>';
/** `) = 3`, `) = -1 ENOENT (No such file or directory)`, `) = ?`, `) = ? <unavailable>`. */
const RESULT =
  /\) += (\?|-?\d+|0x[0-9a-f]+)(?: ([A-Z][A-Z0-9_]*))?(?: \(.*\))?(?: <unavailable>)?$/;

/** Every complete call of the trace, in the order their last line appears. */
export function parseTrace(text: string): TraceCall[] {
  const calls: TraceCall[] = [];
  const pending = new Map<number, { name: string; argsText: string; line: number }>();
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!.trimEnd();
    const lineNo = i + 1;
    if (line === '' || isNoteLine(line)) continue;
    const resumed = RESUMED_LINE.exec(line);
    if (resumed !== null) {
      const pid = Number(resumed[1]);
      const start = pending.get(pid);
      if (start === undefined || start.name !== resumed[2]) continue; // started before tracing
      pending.delete(pid);
      const rest = resumed[3]!.replace(/^ <unfinished \.\.\.>/, '');
      const call = finish(pid, start.name, start.argsText + rest, start.line, lineNo);
      if (call !== null) calls.push(call);
      continue;
    }
    const started = CALL_LINE.exec(line);
    if (started === null) throw badLine(lineNo, line);
    const pid = Number(started[1]);
    if (line.endsWith(UNFINISHED)) {
      const argsText = started[3]!.slice(0, -UNFINISHED.length);
      pending.set(pid, { name: started[2]!, argsText, line: lineNo });
      continue;
    }
    const call = finish(pid, started[2]!, started[3]!, lineNo, lineNo);
    if (call === null) throw badLine(lineNo, line);
    calls.push(call);
  }
  return calls;
}

function isNoteLine(line: string): boolean {
  return /^\d+ +(---|\+\+\+) /.test(line) || line.startsWith('strace: ');
}

function badLine(lineNo: number, line: string): HarnessInputError {
  return new HarnessInputError(
    'UNMODELED',
    `trace line ${lineNo} is not a system call line strace prints: ${line.slice(0, 120)}`,
  );
}

/** `argsText` is everything after `name(` up to the end of the line: `args) = result ...`. */
function finish(
  pid: number,
  name: string,
  argsText: string,
  startLine: number,
  endLine: number,
): TraceCall | null {
  const result = RESULT.exec(argsText);
  if (result === null) return null;
  const value = result[1] === '?' ? null : Number(result[1]);
  return {
    pid,
    name,
    args: splitArgs(argsText.slice(0, result.index)),
    result: value,
    errno: result[2] ?? null,
    startLine,
    endLine,
  };
}

/** Splits at top-level commas; quotes, brackets, braces, parentheses and comments nest. */
export function splitArgs(text: string): string[] {
  const args: string[] = [];
  let depth = 0;
  let from = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (c === '"') {
      i = closingQuote(text, i);
      if (i < 0) break;
    } else if (c === '/' && text[i + 1] === '*') {
      const end = text.indexOf('*/', i + 2);
      i = end < 0 ? text.length : end + 1;
    } else if (c === '[' || c === '{' || c === '(') depth++;
    else if (c === ']' || c === '}' || c === ')') depth--;
    else if (c === ',' && depth === 0) {
      args.push(text.slice(from, i).trim());
      from = i + 1;
    }
  }
  const last = text.slice(from).trim();
  if (last !== '' || args.length > 0) args.push(last);
  return args;
}

/** An integer argument: decimal, 0x hex, 0 octal (modes), or `a|b` of raw numbers. */
export function intArg(arg: string | undefined): number {
  if (arg === undefined) return NaN;
  const text = arg.replace(/\/\*.*?\*\//g, '').trim();
  if (text.includes('|')) return text.split('|').reduce((acc, part) => acc | intArg(part), 0);
  if (/^-?0x[0-9a-f]+$/i.test(text)) return Number.parseInt(text, 16);
  if (/^0[0-7]+$/.test(text)) return Number.parseInt(text, 8);
  if (/^-?\d+$/.test(text)) return Number(text);
  if (text === 'NULL') return 0;
  return NaN;
}

/** A string argument's bytes; `truncated` when strace cut it at its `-s` limit (`"..."...`). */
export function stringArg(
  arg: string | undefined,
): { bytes: Uint8Array; truncated: boolean } | null {
  if (arg === undefined) return null;
  const text = arg.trim();
  if (!text.startsWith('"')) return null;
  const close = closingQuote(text, 0);
  const rest = text.slice(close + 1);
  if (close < 0 || (rest !== '' && rest !== '...')) return null;
  return { bytes: unescape(text.slice(1, close)), truncated: rest === '...' };
}

/** The index of the quote that closes the string opened at `open`, or -1. */
function closingQuote(text: string, open: number): number {
  for (let at = text.indexOf('"', open + 1); at >= 0; at = text.indexOf('"', at + 1)) {
    let backslashes = 0;
    while (text[at - 1 - backslashes] === '\\') backslashes++;
    if (backslashes % 2 === 0) return at;
  }
  return -1;
}

/** With -xx every byte is `\xNN`: decoded in one pass (null if the body is not only that). */
function hexBytes(body: string): Uint8Array | null {
  if (body.length % 4 !== 0) return null;
  const bytes = new Uint8Array(body.length / 4);
  for (let i = 0, j = 0; i < body.length; i += 4, j++) {
    const high = hexDigit(body.charCodeAt(i + 2));
    const low = hexDigit(body.charCodeAt(i + 3));
    if (body.charCodeAt(i) !== 0x5c || body.charCodeAt(i + 1) !== 0x78 || high < 0 || low < 0)
      return null;
    bytes[j] = (high << 4) | low;
  }
  return bytes;
}

function hexDigit(code: number): number {
  if (code >= 0x30 && code <= 0x39) return code - 0x30;
  if (code >= 0x61 && code <= 0x66) return code - 0x57;
  return -1;
}

const SIMPLE_ESCAPES: Record<string, number> = {
  n: 10,
  t: 9,
  r: 13,
  v: 11,
  f: 12,
  '"': 34,
  '\\': 92,
};

function unescape(body: string): Uint8Array {
  const hex = hexBytes(body);
  if (hex !== null) return hex;
  const out: number[] = [];
  for (let i = 0; i < body.length; i++) {
    const c = body[i]!;
    if (c !== '\\') {
      for (const byte of Buffer.from(c, 'utf8')) out.push(byte);
      continue;
    }
    const next = body[i + 1]!;
    if (next === 'x') {
      out.push(Number.parseInt(body.slice(i + 2, i + 4), 16));
      i += 3;
    } else if (/[0-7]/.test(next)) {
      const octal = /^[0-7]{1,3}/.exec(body.slice(i + 1))![0];
      out.push(Number.parseInt(octal, 8));
      i += octal.length;
    } else {
      out.push(SIMPLE_ESCAPES[next] ?? next.charCodeAt(0));
      i += 1;
    }
  }
  return Uint8Array.from(out);
}

/** The `iov_base` strings of a writev/pwritev iovec array argument, in order. */
export function iovecArg(arg: string | undefined): { bytes: Uint8Array; truncated: boolean }[] {
  if (arg === undefined || !arg.startsWith('[')) return [];
  const inner = arg.slice(1, arg.lastIndexOf(']'));
  const parts: { bytes: Uint8Array; truncated: boolean }[] = [];
  for (const element of splitArgs(inner)) {
    if (element === '...') {
      parts.push({ bytes: new Uint8Array(0), truncated: true });
      continue;
    }
    const fields = splitArgs(element.replace(/^\{|\}$/g, ''));
    const base = fields.find((field) => field.startsWith('iov_base='));
    const value = stringArg(base?.slice('iov_base='.length));
    if (value !== null) parts.push(value);
  }
  return parts;
}
