// Rule 8 (model/crash-model.md section 2): bytes recovery sets aside are moved to quarantine/,
// never simply dropped. For every segment present before recovery:
//   kept      the segment after recovery is a prefix of it (recovery only cuts tails)
//   removed   the rest (a tail, or the whole segment when it is gone) is non-empty
//   then      some quarantined file holds exactly the removed bytes, each file matched once
// Pass the segments before and after (name -> bytes, see segmentFiles) and the files
// recovery added to quarantine/ (name -> bytes, see quarantineFiles); file names are free.
// Around it: checkQuarantineKept (nothing leaves quarantine/), checkSetAsideSince (both, over
// a recovery or several attempts), checkUnchanged and checkNotCreated (a read-only or
// refused open changes nothing). The runner reads the files; these only compare bytes.

import { bytesEqual } from './bytes.ts';
import { PASS, type Verdict, violation } from './verdict.ts';

export function checkQuarantine(
  before: ReadonlyMap<string, Uint8Array>,
  after: ReadonlyMap<string, Uint8Array>,
  quarantined: ReadonlyMap<string, Uint8Array>,
  reportedBytes?: number,
): Verdict {
  const unused = new Map(quarantined);
  let removedTotal = 0;
  for (const [name, original] of [...before].sort(([x], [y]) => (x < y ? -1 : 1))) {
    const kept = after.get(name) ?? new Uint8Array(0);
    if (
      kept.byteLength > original.byteLength ||
      !bytesEqual(kept, original.subarray(0, kept.byteLength))
    ) {
      return violation(
        8,
        `segment ${name} after recovery is not a prefix of its bytes before recovery`,
        {
          found: `${original.byteLength} bytes before, ${kept.byteLength} after`,
        },
      );
    }
    const removed = original.subarray(kept.byteLength);
    if (removed.byteLength === 0) continue;
    removedTotal += removed.byteLength;
    const holder = [...unused].find(([, bytes]) => bytesEqual(bytes, removed));
    if (holder === undefined) {
      const what = after.has(name)
        ? `its last ${removed.byteLength} bytes (from offset ${kept.byteLength})`
        : `the whole segment (${removed.byteLength} bytes)`;
      return violation(
        8,
        `recovery removed ${what} of ${name}, and no file in quarantine/ holds exactly those bytes`,
        {
          found: `quarantine/ holds ${quarantined.size} file(s): ${[...quarantined].map(([n, b]) => `${n} (${b.byteLength} bytes)`).join(', ') || 'none'}`,
        },
      );
    }
    unused.delete(holder[0]);
  }
  if (reportedBytes !== undefined && reportedBytes !== removedTotal) {
    return violation(
      8,
      `the recovery report says ${reportedBytes} bytes were quarantined, but ${removedTotal} were removed from the log`,
      {
        found: `${removedTotal} bytes removed`,
      },
    );
  }
  return PASS;
}

/** A read-only open, or an open that failed, changes nothing: every file keeps its bytes. */
export function checkUnchanged(
  before: ReadonlyMap<string, Uint8Array>,
  after: ReadonlyMap<string, Uint8Array>,
): Verdict {
  for (const [path, bytes] of before) {
    const now = after.get(path);
    if (now === undefined || !bytesEqual(now, bytes)) {
      return violation(8, `${path} changed, although this open must change nothing on disk`, {
        found:
          now === undefined
            ? 'file gone'
            : `${bytes.byteLength} bytes before, ${now.byteLength} after`,
      });
    }
  }
  for (const path of after.keys()) {
    if (!before.has(path))
      return violation(8, `${path} appeared, although this open must change nothing on disk`, {
        found: 'a new file',
      });
  }
  return PASS;
}

/** A log's files as rule 8 compares them: segments and quarantined files (name -> bytes). */
export interface LogFiles {
  readonly segments: ReadonlyMap<string, Uint8Array>;
  readonly quarantined: ReadonlyMap<string, Uint8Array>;
}

/** Rule 8: every quarantined file of `before` is still in quarantine/, byte for byte. */
export function checkQuarantineKept(
  before: ReadonlyMap<string, Uint8Array>,
  now: ReadonlyMap<string, Uint8Array>,
): Verdict {
  for (const [name, bytes] of before) {
    const still = now.get(name);
    if (still !== undefined && bytesEqual(still, bytes)) continue;
    return violation(
      8,
      `quarantine/${name} was ${still === undefined ? 'deleted' : 'changed'}: nothing may leave quarantine/`,
      {
        found:
          still === undefined
            ? `${bytes.byteLength} bytes before, the file is gone`
            : `${bytes.byteLength} bytes before, ${still.byteLength} now, not the same bytes`,
      },
    );
  }
  return PASS;
}

/**
 * Rule 8 since `before`: nothing in quarantine/ went away or changed, and what left the
 * segments is now in quarantine/, byte for byte. `reportedBytes` (what the recovery report
 * says it set aside) is checked when `before` is what that very recovery started from.
 */
export function checkSetAsideSince(
  before: LogFiles,
  after: LogFiles,
  reportedBytes?: number,
): Verdict {
  const kept = checkQuarantineKept(before.quarantined, after.quarantined);
  if (!kept.ok) return kept;
  const added = new Map<string, Uint8Array>();
  for (const [name, bytes] of after.quarantined)
    if (!before.quarantined.has(name)) added.set(name, bytes);
  return checkQuarantine(before.segments, after.segments, added, reportedBytes);
}

/** Rule 8 for an open that must change nothing: it did not create the database directory. */
export function checkNotCreated(dir: string, existedBefore: boolean, existsNow: boolean): Verdict {
  if (existedBefore || !existsNow) return PASS;
  return violation(8, `the read-only open created ${dir}, although it must change nothing on disk`);
}
