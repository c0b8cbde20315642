// What the oracle answers: a pass, or a violation naming the rule of model/crash-model.md
// section 2 with the expected range of k, the state found and a readable diff. Plain data
// (JSON-serializable); formatVerdict turns it into the short text a report shows.

import { type Bytes, bytesEqual, keyBytes, keyId, showBytes, showDifference } from './bytes.ts';
import type { LineName } from './history.ts';
import type { Entry, PrefixModel } from './prefix-model.ts';

export type RuleNumber = 1 | 2 | 3 | 4 | 5 | 6 | 7 | 8;

export const RULE_NAMES: Readonly<Record<RuleNumber, string>> = {
  1: 'acknowledged means durable',
  2: 'prefix',
  3: 'all or nothing',
  4: 'versions',
  5: 'going on',
  6: 'corruption is detected, never served',
  7: 'failures fail closed',
  8: 'nothing deleted',
};

export interface Violation {
  readonly ok: false;
  readonly rule: RuleNumber;
  readonly ruleName: string;
  /** One line: what is wrong. */
  readonly message: string;
  /** The prefix lengths k that would have been correct, when the rule is about k. */
  readonly expectedK: readonly [number, number] | null;
  /** A one-line summary of what was found. */
  readonly found: string;
  /** Expected against found, one difference a line ('' when not about a state). */
  readonly diff: string;
}

export interface Pass {
  readonly ok: true;
}

/**
 * A correct recovery, with the prefix it kept: pass k and line to History.truncateTo.
 * k, line and lastSeq are null when the open failed as the rules allow (bit rot, strict mode).
 */
export type RecoveryPass =
  | { readonly ok: true; readonly k: number; readonly line: LineName; readonly lastSeq: number }
  | { readonly ok: true; readonly k: null; readonly line: null; readonly lastSeq: null };

export type Verdict = Pass | Violation;
export type RecoveryVerdict = RecoveryPass | Violation;

export const PASS: Pass = Object.freeze({ ok: true });

export function violation(
  rule: RuleNumber,
  message: string,
  details: { expectedK?: readonly [number, number] | null; found?: string; diff?: string } = {},
): Violation {
  return {
    ok: false,
    rule,
    ruleName: RULE_NAMES[rule],
    message,
    expectedK: details.expectedK ?? null,
    found: details.found ?? '',
    diff: details.diff ?? '',
  };
}

const DIFF_LINES_MAX = 8;

/**
 * Differences between an expected state (key id -> value) and found entries, in key order:
 *   - key = value      expected, missing
 *   + key = value      found, not expected
 *   ~ key: expected X, found Y
 */
export function diffStates(
  title: string,
  expected: ReadonlyMap<string, Bytes>,
  found: readonly Entry[],
): string {
  const foundById = new Map<string, Bytes>();
  for (const [key, value] of found) foundById.set(keyId(key), value);
  const ids = [...new Set([...expected.keys(), ...foundById.keys()])].sort();
  const lines: string[] = [];
  let differences = 0;
  for (const id of ids) {
    const want = expected.get(id);
    const got = foundById.get(id);
    if (want !== undefined && got !== undefined && bytesEqual(want, got)) continue;
    differences += 1;
    if (lines.length >= DIFF_LINES_MAX) continue;
    const key = showBytes(keyBytes(id));
    if (got === undefined) lines.push(`- ${key} = ${showBytes(want)}`);
    else if (want === undefined) lines.push(`+ ${key} = ${showBytes(got)}`);
    else {
      const [expected, foundText] = showDifference(want, got);
      lines.push(`~ ${key}: expected ${expected}, found ${foundText}`);
    }
  }
  if (differences === 0) return `${title}: no difference in the entries`;
  if (differences > lines.length) lines.push(`… ${differences - lines.length} more`);
  return [`${title}:`, ...lines.map((line) => `  ${line}`)].join('\n');
}

/** The number of keys whose value differs between an expected state and found entries. */
export function countDifferences(
  expected: ReadonlyMap<string, Bytes>,
  found: readonly Entry[],
): number {
  let same = 0;
  for (const [key, value] of found) {
    const want = expected.get(keyId(key));
    if (want !== undefined && bytesEqual(want, value)) same += 1;
  }
  return expected.size - same + (found.length - same);
}

/** Short, scannable text for a verdict; the harness adds trace, crash point and repro command. */
export function formatVerdict(verdict: Verdict | RecoveryVerdict): string {
  if (verdict.ok) {
    if (!('k' in verdict)) return 'ok';
    if (verdict.k === null) return 'ok: the open failed, naming the damage, as the rules allow';
    return `ok: recovered k=${verdict.k} (lastSeq ${verdict.lastSeq}, line ${verdict.line})`;
  }
  const lines = [`VIOLATION rule ${verdict.rule} (${verdict.ruleName}): ${verdict.message}`];
  if (verdict.expectedK !== null) {
    const [lo, hi] = verdict.expectedK;
    lines.push(`  expected: k in [${lo}, ${hi}]`);
  }
  if (verdict.found !== '') lines.push(`  found:    ${verdict.found}`);
  if (verdict.diff !== '') lines.push(...verdict.diff.split('\n').map((line) => `  ${line}`));
  return lines.join('\n');
}

/** "batch b3 (seq 4..6)": position p of a line with its sequence numbers. */
export function describeBatch(model: PrefixModel, p: number): string {
  if (p < 1 || p > model.length) return `b${p}`;
  const start = model.seqStart(p);
  return `batch b${p} (seq ${start}..${start + model.batch(p).ops.length - 1})`;
}

export function keysText(entries: readonly Entry[]): string {
  return `${entries.length} key${entries.length === 1 ? '' : 's'}`;
}
