// Checks a scan's options once, up front, and turns them into the bounds the iterators use.
// Bad input is the caller's error (WalError INVALID_ARGUMENT naming the option), never an assert.

import { WalError } from '../errors.ts';
import { keyPrefix32 } from './key-compare.ts';

export interface ScanOptions {
  gte?: Uint8Array;
  gt?: Uint8Array;
  lte?: Uint8Array;
  lt?: Uint8Array;
  reverse?: boolean;
  limit?: number;
  /** Snapshot seq: only versions with seq <= at are seen. Default: the latest. */
  at?: number;
}

export interface KeyBound {
  key: Uint8Array;
  prefix: number;
  inclusive: boolean;
}

export interface ScanPlan {
  lower: KeyBound | undefined;
  upper: KeyBound | undefined;
  reverse: boolean;
  limit: number;
  at: number;
}

export function planScan(options: ScanOptions | undefined, latestSeq: number): ScanPlan {
  if (options === undefined) options = {};
  if (typeof options !== 'object' || options === null) {
    throw new WalError('INVALID_ARGUMENT', 'scan options must be an object');
  }
  if (options.reverse !== undefined && typeof options.reverse !== 'boolean') {
    throw new WalError('INVALID_ARGUMENT', "scan option 'reverse' must be a boolean");
  }
  const limit = options.limit ?? Infinity;
  if (options.limit !== undefined && !(Number.isSafeInteger(limit) && limit >= 0)) {
    throw new WalError('INVALID_ARGUMENT', "scan option 'limit' must be a non-negative integer");
  }
  return {
    lower: keyBound(options, 'gte', 'gt'),
    upper: keyBound(options, 'lte', 'lt'),
    reverse: options.reverse === true,
    limit,
    // A snapshot past the latest is the latest: an open scan never sees later writes.
    at: Math.min(readSnapshot(options.at, "scan option 'at'", latestSeq), latestSeq),
  };
}

/** The snapshot seq to read at: `at` if given (an integer in [0, 2^53 - 1]), else the latest. */
export function readSnapshot(at: number | undefined, what: string, latestSeq: number): number {
  if (at === undefined) return latestSeq;
  if (!Number.isSafeInteger(at) || at < 0) {
    throw new WalError('INVALID_ARGUMENT', `${what} must be an integer in [0, 2^53 - 1]`);
  }
  return at;
}

export function checkKey(key: unknown, what: string): asserts key is Uint8Array {
  if (!(key instanceof Uint8Array))
    throw new WalError('INVALID_ARGUMENT', `${what} must be a Uint8Array`);
}

function keyBound(
  options: ScanOptions,
  inclusiveName: 'gte' | 'lte',
  exclusiveName: 'gt' | 'lt',
): KeyBound | undefined {
  const inclusive = options[inclusiveName];
  const exclusive = options[exclusiveName];
  if (inclusive !== undefined && exclusive !== undefined) {
    throw new WalError(
      'INVALID_ARGUMENT',
      `scan options '${inclusiveName}' and '${exclusiveName}' exclude each other`,
    );
  }
  const key = inclusive ?? exclusive;
  if (key === undefined) return undefined;
  checkKey(key, `scan option '${inclusive !== undefined ? inclusiveName : exclusiveName}'`);
  return { key, prefix: keyPrefix32(key, 0, key.length, 0), inclusive: inclusive !== undefined };
}
