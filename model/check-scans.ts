// Rule 4 through bounded scans: `scan` with bounds (gt, gte, lt, lte), reverse and limit, at
// the latest state or a snapshot, must return exactly the model's entries in that range, in
// key order (descending when reversed), at most `limit` of them. The expectation is computed
// here from the model's full state, independently of the engine's iterators.

import { compareBytes, type Bytes, bytesEqual, showBytes } from './bytes.ts';
import type { Entry } from './prefix-model.ts';
import { PASS, type Verdict, violation } from './verdict.ts';

/** Scan options as the engine takes them (src/memtable/scan-options.ts), without the snapshot. */
export interface ScanBounds {
  readonly gt?: Bytes;
  readonly gte?: Bytes;
  readonly lt?: Bytes;
  readonly lte?: Bytes;
  readonly reverse?: boolean;
  readonly limit?: number;
}

/** What a scan with these options must return over a full state (entries in key order). */
export function expectedScan(state: readonly Entry[], bounds: ScanBounds): Entry[] {
  const inRange = state.filter(([key]) => {
    if (bounds.gt !== undefined && compareBytes(key, bounds.gt) <= 0) return false;
    if (bounds.gte !== undefined && compareBytes(key, bounds.gte) < 0) return false;
    if (bounds.lt !== undefined && compareBytes(key, bounds.lt) >= 0) return false;
    if (bounds.lte !== undefined && compareBytes(key, bounds.lte) > 0) return false;
    return true;
  });
  if (bounds.reverse === true) inRange.reverse();
  return bounds.limit === undefined ? inRange : inRange.slice(0, bounds.limit);
}

export function describeBounds(bounds: ScanBounds): string {
  const parts: string[] = [];
  for (const name of ['gt', 'gte', 'lt', 'lte'] as const) {
    const key = bounds[name];
    if (key !== undefined) parts.push(`${name}: ${showBytes(key)}`);
  }
  if (bounds.reverse === true) parts.push('reverse: true');
  if (bounds.limit !== undefined) parts.push(`limit: ${bounds.limit}`);
  return `{ ${parts.join(', ')} }`;
}

/**
 * A bounded scan against the model's state at the same point: `state` is the model's full
 * state there (key order), `where` names the point ('the latest state', 'snapshot 7').
 */
export function checkScan(
  state: readonly Entry[],
  bounds: ScanBounds,
  found: readonly Entry[],
  where: string,
): Verdict {
  const expected = expectedScan(state, bounds);
  const same =
    expected.length === found.length &&
    expected.every(([k, v], i) => bytesEqual(k, found[i]![0]) && bytesEqual(v, found[i]![1]));
  if (same) return PASS;
  return violation(4, `scan(${describeBounds(bounds)}) at ${where} disagrees with the model`, {
    found: `${found.length} entries: ${showEntries(found)}`,
    diff: `expected ${expected.length} entries: ${showEntries(expected)}`,
  });
}

const SHOWN_MAX = 10;

function showEntries(entries: readonly Entry[]): string {
  const shown = entries.slice(0, SHOWN_MAX).map(([k, v]) => `${showBytes(k)}=${showBytes(v)}`);
  if (entries.length > SHOWN_MAX) shown.push(`... ${entries.length - SHOWN_MAX} more`);
  return `[${shown.join(', ')}]`;
}
