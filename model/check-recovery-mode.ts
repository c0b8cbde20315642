// The recovery-mode table of src/wal/wal-format.md section 7, judged on every open: given the log as
// the open found it (the independent decoder's first invalid record, and whether it lies in
// the last segment), which mode must refuse, which must cut a tail, which must set later
// segments aside.
//
//   mode            invalid in the last segment        invalid in an earlier segment / missing
//   strict          refuse                              refuse
//   tolerate-tail   cut the tail: segment ends there    refuse
//   point-in-time   cut the tail                        cut there; every later segment moved
//                                                       to quarantine/ whole
//
// Refusing what a mode must recover breaks rule 2 (a default-like open failed); recovering
// what a mode must refuse serves a log the mode promised to reject (rule 6); a later segment
// left in place, or not found whole in quarantine/, breaks rule 8. Where the bytes went is
// checked byte for byte by check-quarantine.ts; here only the shape the table requires.

import { bytesEqual } from './bytes.ts';
import { PASS, type Verdict, violation } from './verdict.ts';
import { decodeLog, type FirstInvalid, type LogDecoder } from './wal-decode.ts';

export type RecoveryMode = 'strict' | 'tolerate-tail' | 'point-in-time';

export type ModeOutcome =
  | { readonly opened: false }
  /** Read-only: nothing on disk changes, so only the decision is judged. */
  | { readonly opened: true; readonly readOnly: true }
  | {
      readonly opened: true;
      readonly readOnly: false;
      /** Segments right after the open (name -> bytes). */
      readonly segments: ReadonlyMap<string, Uint8Array>;
      /** Every file in quarantine/ right after the open. */
      readonly quarantined: ReadonlyMap<string, Uint8Array>;
    };

/**
 * `decoder` decodes `before` (default: a fresh decodeLog); a runner that keeps decoding the
 * same log passes its LogDecoder (logDecoderFor), which resumes after what it validated.
 */
export function checkRecoveryMode(
  mode: RecoveryMode,
  before: ReadonlyMap<string, Uint8Array>,
  outcome: ModeOutcome,
  decoder?: LogDecoder,
): Verdict {
  const decoded = decoder === undefined ? decodeLog(before) : decoder.decode(before);
  const invalid = decoded.firstInvalid;
  if (invalid === null) return PASS;
  const earlier = decoded.status === 'corrupt';
  const where = `${invalid.segment} offset ${invalid.offset} (${invalid.reason}), ${earlier ? 'not in the last segment' : 'in the last segment'}`;
  const mustRefuse = mode === 'strict' || (mode === 'tolerate-tail' && earlier);
  if (mustRefuse && outcome.opened)
    return violation(
      6,
      `a ${mode} open recovered a log whose first invalid record is at ${where}: this mode must refuse it`,
      { found: 'the open succeeded' },
    );
  if (!mustRefuse && !outcome.opened)
    return violation(
      2,
      `a ${mode} open refused a log whose first invalid record is at ${where}: this mode must ${earlier ? 'cut there and set later segments aside' : 'cut the tail'}`,
      { found: 'the open failed' },
    );
  if (!outcome.opened || outcome.readOnly) return PASS;
  return checkCut(invalid, before, outcome.segments, outcome.quarantined);
}

function checkCut(
  invalid: FirstInvalid,
  before: ReadonlyMap<string, Uint8Array>,
  after: ReadonlyMap<string, Uint8Array>,
  quarantined: ReadonlyMap<string, Uint8Array>,
): Verdict {
  const names = [...before.keys()].sort();
  const at = names.indexOf(invalid.segment);
  if (invalid.reason !== 'missing-segment' && at >= 0) {
    const size = after.get(invalid.segment)?.byteLength;
    if (size !== invalid.offset)
      return violation(
        2,
        `recovery did not cut ${invalid.segment} at its first invalid record (offset ${invalid.offset})`,
        { found: size === undefined ? 'the segment is gone' : `the segment holds ${size} bytes` },
      );
  }
  const laterFrom = invalid.reason === 'missing-segment' ? Math.max(at, 0) : at + 1;
  for (const name of names.slice(laterFrom)) {
    if (name === invalid.segment && invalid.reason !== 'missing-segment') continue;
    const bytes = before.get(name)!;
    if (bytes.byteLength === 0) continue;
    const left = after.get(name);
    if (left !== undefined && left.byteLength > 0)
      return violation(
        8,
        `recovery left ${name}, a segment after the first invalid record, in the log: it must be moved to quarantine/`,
        { found: `${name} still holds ${left.byteLength} bytes` },
      );
    const kept = [...quarantined.values()].some((q) => bytesEqual(q, bytes));
    if (!kept)
      return violation(
        8,
        `${name}, a segment after the first invalid record, is not in quarantine/ whole: it must be moved there, never deleted`,
        { found: `no file in quarantine/ holds its ${bytes.byteLength} bytes` },
      );
  }
  return PASS;
}
