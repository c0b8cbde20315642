// Rules 2, 3, 4 and 6 (model/crash-model.md section 2) on what a recovered engine shows, and
// rule 7's "a superseded failed batch never shows up". The harness reads the recovered
// engine (full scan, some gets, reads at snapshots, lastSeq, recovery report) or the
// error of a failed open, and says whether bit rot was applied and to which batch.
//
// Outcomes, in the order they are decided:
//   open failed       allowed only under bit rot (rule 6) or strict mode, naming segment,
//                     offset and reason; otherwise rule 2
//   scan unsorted     rule 2 (a full scan is in key order, one entry per key)
//   state matched     a whole prefix k of a candidate line, every acked batch in it, k < j
//                     under bit rot, lastSeq = b_k's last seq; then the report (rule 6),
//                     gets (rule 2) and snapshot reads (rule 4) are held to that k
//   no match          diagnosed: damaged batch served (6), acked batch missing (2), lastSeq
//                     off (2), batches after a failure (7), superseded batch (7), part of a
//                     batch (3), or no prefix at all (2, or 6 under bit rot)

import { bytesEqual, showBytes } from './bytes.ts';
import type { SnapshotRead } from './check-snapshots.ts';
import { fingerprintOf } from './fingerprint.ts';
import type { BatchId, History, Line } from './history.ts';
import { describeOpenFailure, type OpenFailure } from './open-failure.ts';
import type { Entry, PrefixModel } from './prefix-model.ts';
import {
  closestK,
  firstOutOfOrder,
  outOfOrderMessage,
  splitMatch,
  supersededMatch,
  wholeMatches,
  type WholeMatch,
} from './state-match.ts';
import { checkSnapshots } from './check-snapshots.ts';
import {
  describeBatch,
  diffStates,
  keysText,
  type RecoveryVerdict,
  type Violation,
  violation,
} from './verdict.ts';
import { INVALID_REASONS } from './wal-decode.ts';

export interface RecoveryReportView {
  /** 'clean' | 'torn-tail' | 'corrupt' (src/wal/wal-format.md section 8). */
  readonly status: string;
  readonly quarantinedBytes?: number;
  readonly firstInvalid?: {
    readonly segment: string;
    readonly offset: number;
    readonly reason: string;
  } | null;
}

export type Observed =
  | {
      readonly opened: true;
      readonly lastSeq: number;
      /** A full scan, in key order. */
      readonly entries: readonly Entry[];
      readonly gets?: readonly (readonly [key: Uint8Array, value: Uint8Array | undefined])[];
      /** Full scans at snapshot sequence numbers up to lastSeq. */
      readonly snapshots?: readonly SnapshotRead[];
      readonly report?: RecoveryReportView;
    }
  | { readonly opened: false; readonly error: OpenFailure };

export interface BitRot {
  /** The lowest damaged batch j, by history id ... */
  readonly batch?: BatchId;
  /** ... or by its record's seqStart (see firstDamagedRecord in wal-decode.ts). */
  readonly seqStart?: number;
  /** Where its record is, when known: a failed open must name exactly this. */
  readonly segment?: string;
  readonly offset?: number;
  /** An earlier recovery that died part-way already set the damaged bytes aside: the log
   *  may now be clean, so the report need not name the damage (batches >= j may still be gone). */
  readonly setAside?: boolean;
}

export interface RecoveryContext {
  /** Bit rot in the durable data that touched a valid record. */
  readonly bitRot?: BitRot;
  /** The recovery mode of the open (default tolerate-tail). */
  readonly recovery?: 'strict' | 'tolerate-tail' | 'point-in-time';
  /** The crash outcome, for messages. */
  readonly outcome?: string;
}

interface Range {
  readonly line: Line;
  readonly lo: number;
  readonly hi: number;
}

export function checkRecovery(
  history: History,
  observed: Observed,
  context: RecoveryContext = {},
): RecoveryVerdict {
  const damagedSeq = damagedSeqStart(history, context.bitRot);
  const ranges = history.lines().map((line) => rangeOf(history, line, damagedSeq));
  const mainRange = ranges[0]!;
  const expectedK = [mainRange.lo, mainRange.hi] as const;
  if (!observed.opened) return checkFailedOpen(observed.error, context, expectedK);

  const entries = observed.entries;
  const unordered = firstOutOfOrder(entries);
  if (unordered >= 0) {
    return violation(2, outOfOrderMessage(entries, unordered), {
      expectedK,
      found: `${seqText(observed.lastSeq)}${keysText(entries)}, out of key order at entry ${unordered}`,
    });
  }
  const accepted = acceptedMatch(ranges, entries, observed.lastSeq);
  if (accepted === null) {
    const matches = wholeMatches(
      ranges.map((r) => r.line),
      entries,
      fingerprintOf(entries),
    );
    return diagnose(history, ranges, matches, observed.lastSeq, entries, damagedSeq, context);
  }

  const model = accepted.line.model;
  const k = accepted.k;
  const problem =
    (damagedSeq !== null && context.bitRot?.setAside !== true
      ? checkReportNamesDamage(observed.report, expectedK, k)
      : null) ??
    checkGets(model, k, observed.gets ?? [], expectedK) ??
    checkSnapshots(model, k, observed.snapshots ?? []);
  if (problem !== null) return problem;
  return { ok: true, k, line: accepted.line.name, lastSeq: observed.lastSeq };
}

/**
 * The first line (in order) whose prefix ending at lastSeq is allowed and equals the entries:
 * what the first of wholeMatches' matches in range with that lastSeq would be. A line's ends
 * increase strictly, so only one k per line ends at lastSeq, and a state equal to the model's
 * has its fingerprint: no need to hash the entries or walk every k when the recovery is right.
 */
function acceptedMatch(
  ranges: readonly Range[],
  entries: readonly Entry[],
  lastSeq: number,
): WholeMatch | null {
  for (const { line, lo, hi } of ranges) {
    const k = line.model.kEndingAt(lastSeq);
    if (k >= lo && k <= hi && line.model.equalsAt(entries, k)) return { line, k };
  }
  return null;
}

function damagedSeqStart(history: History, bitRot: BitRot | undefined): number | null {
  if (bitRot === undefined) return null;
  if (bitRot.seqStart !== undefined) return bitRot.seqStart;
  if (bitRot.batch !== undefined) {
    const seqStart = history.seqStartOf(bitRot.batch);
    if (seqStart === null)
      throw new RangeError(`bit-rot batch ${bitRot.batch} is not in the history's chain`);
    return seqStart;
  }
  throw new RangeError('bitRot names neither batch nor seqStart');
}

/** Allowed k of a line: every acked batch kept; under bit rot, only batches ending before the damage. */
function rangeOf(history: History, line: Line, damagedSeq: number | null): Range {
  if (damagedSeq === null) return { line, lo: line.kMin, hi: line.kMax };
  const hi = Math.min(line.kMax, line.model.kAtSeq(damagedSeq - 1));
  let lo = 0;
  for (let p = hi; p >= 1; p--) {
    if (history.batch(line.model.batch(p).id).status === 'acked') {
      lo = p;
      break;
    }
  }
  return { line, lo, hi };
}

function inRange(ranges: readonly Range[], match: WholeMatch): boolean {
  const range = ranges.find((r) => r.line === match.line)!;
  return match.k >= range.lo && match.k <= range.hi;
}

function checkFailedOpen(
  error: OpenFailure,
  context: RecoveryContext,
  expectedK: readonly [number, number],
): RecoveryVerdict {
  const found = describeOpenFailure(error);
  const bitRot = context.bitRot;
  if (bitRot === undefined && context.recovery !== 'strict') {
    return violation(2, 'a default open failed after a crash without bit rot', {
      expectedK,
      found,
    });
  }
  const named =
    typeof error.segment === 'string' &&
    error.segment !== '' &&
    Number.isInteger(error.offset) &&
    (error.offset ?? -1) >= 0 &&
    (INVALID_REASONS as readonly string[]).includes(error.reason ?? '');
  const rule = bitRot !== undefined ? 6 : 2;
  if (!named)
    return violation(
      rule,
      'the open failed without naming the damaged segment, offset and reason',
      { expectedK, found },
    );
  if (
    bitRot?.segment !== undefined &&
    bitRot.offset !== undefined &&
    (bitRot.segment !== error.segment || bitRot.offset !== error.offset)
  ) {
    return violation(
      6,
      `the open failed naming the wrong place: the damaged record is at ${bitRot.segment} offset ${bitRot.offset}`,
      { expectedK, found },
    );
  }
  return { ok: true, k: null, line: null, lastSeq: null };
}

function checkReportNamesDamage(
  report: RecoveryReportView | undefined,
  expectedK: readonly [number, number],
  k: number,
): Violation | null {
  if (report !== undefined && report.status !== 'clean' && report.firstInvalid !== null)
    return null;
  const found =
    report === undefined
      ? `recovered k=${k}, no recovery report`
      : `recovered k=${k}, report status ${report.status}`;
  return violation(
    6,
    'recovery after bit rot served a prefix but its report does not name the damage',
    { expectedK, found },
  );
}

function checkGets(
  model: PrefixModel,
  k: number,
  gets: readonly (readonly [Uint8Array, Uint8Array | undefined])[],
  expectedK: readonly [number, number],
): Violation | null {
  for (const [key, value] of gets) {
    const expected = model.get(key, k);
    const same =
      expected === undefined || value === undefined
        ? expected === value
        : bytesEqual(expected, value);
    if (same) continue;
    return violation(
      2,
      `get(${showBytes(key)}) disagrees with the recovered state (the scan equals the model after k=${k})`,
      {
        expectedK,
        found: `get returned ${showBytes(value)}, the model after k=${k} holds ${showBytes(expected)}`,
      },
    );
  }
  return null;
}

function diagnose(
  history: History,
  ranges: readonly Range[],
  matches: readonly WholeMatch[],
  lastSeq: number,
  entries: readonly Entry[],
  damagedSeq: number | null,
  context: RecoveryContext,
): Violation {
  const main = ranges[0]!;
  const expectedK = [main.lo, main.hi] as const;
  const found = (k?: number, line?: Line) => summary(lastSeq, entries, k, line);
  const diffAt = (model: PrefixModel, k: number) =>
    diffStates(`model after k=${k} → found`, model.stateAt(k), entries);
  const preferred =
    matches.find((m) => m.line.model.endSeq(m.k) === lastSeq) ??
    matches.find((m) => inRange(ranges, m)) ??
    matches[0];
  const bitRotNote = context.bitRot !== undefined ? ' after bit rot' : '';

  if (damagedSeq !== null) {
    const served =
      matches.find(
        (m) => m.line.model.endSeq(m.k) >= damagedSeq && m.line.model.endSeq(m.k) === lastSeq,
      ) ?? matches.find((m) => m.line.model.endSeq(m.k) >= damagedSeq);
    if (served !== undefined) {
      const j = served.line.model.kAtSeq(damagedSeq - 1) + 1;
      return violation(
        6,
        `the recovered state contains the damaged ${describeBatch(served.line.model, j)}`,
        {
          expectedK,
          found: found(served.k, served.line),
          diff: diffAt(main.line.model, Math.max(main.lo, Math.min(main.hi, served.k))),
        },
      );
    }
  }
  if (preferred !== undefined) {
    const range = ranges.find((r) => r.line === preferred.line)!;
    const model = preferred.line.model;
    if (preferred.k < range.lo) {
      const missing = firstAckedAfter(history, model, preferred.k);
      return violation(
        2,
        `acknowledged ${describeBatch(model, missing)} is missing from the recovered state${bitRotNote}`,
        {
          expectedK: [range.lo, range.hi],
          found: found(preferred.k, preferred.line),
          diff: diffAt(model, range.lo),
        },
      );
    }
    if (preferred.k > range.hi) {
      const failed = history.undecidedFailures()[0];
      return violation(
        7,
        `the recovered state holds batches written after a failed write (batch id ${failed?.id ?? '?'} failed with ${failed?.errorCode ?? '?'})`,
        {
          expectedK: [range.lo, range.hi],
          found: found(preferred.k, preferred.line),
          diff: diffAt(model, range.hi),
        },
      );
    }
    const inside = matches.find((m) => inRange(ranges, m)) ?? preferred;
    const expectedSeq = inside.line.model.endSeq(inside.k);
    return violation(
      2,
      `lastSeq is ${lastSeq} but the recovered state is the model after k=${inside.k}, whose last seq is ${expectedSeq}`,
      {
        expectedK,
        found: found(inside.k, inside.line),
      },
    );
  }
  const superseded = supersededMatch(history, entries, fingerprintOf(entries));
  if (superseded !== null) {
    return violation(
      7,
      `batch id ${superseded.batch.id}, which failed (${superseded.batch.errorCode}) and was superseded, shows up after recovery`,
      {
        expectedK,
        found: `${seqText(lastSeq)}${keysText(entries)}; equals the model after k=${superseded.k} plus that failed batch`,
        diff: diffAt(history.model, superseded.k),
      },
    );
  }
  const split = splitMatch(
    ranges.map((r) => r.line),
    entries,
    fingerprintOf(entries),
  );
  if (split !== null) {
    const model = split.line.model;
    const batch = model.batch(split.p);
    return violation(
      3,
      `the recovered state holds part of ${describeBatch(model, split.p)}: its first ${split.m} of ${batch.ops.length} ops`,
      {
        expectedK,
        found: `${seqText(lastSeq)}${keysText(entries)}; equals the model after k=${split.p - 1} plus ${split.m} op(s) of b${split.p}`,
        diff: diffAt(model, split.p - 1),
      },
    );
  }
  const closest = closestK(main.line.model, main.lo, main.hi, entries);
  return violation(
    damagedSeq !== null ? 6 : 2,
    `the recovered state${bitRotNote} is not the model after any whole prefix b1..bk`,
    {
      expectedK,
      found: found(),
      diff: diffAt(main.line.model, closest),
    },
  );
}

function firstAckedAfter(history: History, model: PrefixModel, k: number): number {
  for (let p = k + 1; p <= model.length; p++)
    if (history.batch(model.batch(p).id).status === 'acked') return p;
  return k + 1;
}

/** "lastSeq N, ", or nothing when the engine reported none (a black box: negative). */
function seqText(lastSeq: number): string {
  return lastSeq < 0 ? '' : `lastSeq ${lastSeq}, `;
}

function summary(lastSeq: number, entries: readonly Entry[], k?: number, line?: Line): string {
  const base = `${seqText(lastSeq)}${keysText(entries)}`;
  if (k === undefined) return `${base}; matches no whole prefix`;
  const lineNote = line !== undefined && line.name !== 'main' ? ` of line ${line.name}` : '';
  return `${base}; equals the model after k=${k}${lineNote}`;
}
