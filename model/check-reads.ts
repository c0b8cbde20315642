// Reads the oracle did not judge against the model itself, held to a read it did judge:
//   checkGetAgrees   one get per key against a full scan of the same state: at a snapshot
//                    (rule 4) or at the latest state (rule 2, when the scan is what the
//                    oracle held to the model)
//   checkLatestRead  a read at the latest state, while the database stays open, shows the
//                    model after every batch issued (rule 4: the latest version of each key)
// Why here: the runner only reads the engine (faults/judge/observe.ts calls get key by key,
// without collecting the answers); the rule and its wording are the model's.

import { type Bytes, bytesEqual, showBytes } from './bytes.ts';
import type { History } from './history.ts';
import type { Entry } from './prefix-model.ts';
import { diffStates, keysText, PASS, type Verdict, violation } from './verdict.ts';

/** The value a scan shows for `key` (the last entry with that key, as a Map of them would). */
function scannedValue(entries: readonly Entry[], key: Bytes): Bytes | undefined {
  for (let i = entries.length - 1; i >= 0; i--)
    if (bytesEqual(entries[i]![0], key)) return entries[i]![1];
  return undefined;
}

/**
 * `got` is what get(key) returned (at snapshot `seq`, or at the latest state when undefined);
 * `entries` a full scan at the same point. They must agree: same value, or both absent.
 */
export function checkGetAgrees(
  key: Bytes,
  got: Bytes | undefined,
  entries: readonly Entry[],
  seq: number | undefined,
): Verdict {
  const want = scannedValue(entries, key);
  if (got === undefined ? want === undefined : want !== undefined && bytesEqual(got, want))
    return PASS;
  if (seq === undefined)
    return violation(2, `get(${showBytes(key)}) disagrees with the full scan`, {
      found: `get returned ${showBytes(got)}, the scan shows ${showBytes(want)}`,
    });
  return violation(
    4,
    `get(${showBytes(key)}, { at: ${seq} }) disagrees with the scan at snapshot ${seq}`,
    { found: `get returned ${showBytes(got)}, the scan at ${seq} shows ${showBytes(want)}` },
  );
}

/** A full scan at the latest state shows the model after all of the history's batches. */
export function checkLatestRead(history: History, entries: readonly Entry[]): Verdict {
  const k = history.length;
  if (history.model.equalsAt(entries, k)) return PASS;
  return violation(4, `a read at the latest state does not show the model after all ${k} batches`, {
    expectedK: [k, k],
    found: keysText(entries),
    diff: diffStates(
      `model after all k=${k} batches → read at the latest state`,
      history.stateAt(k),
      entries,
    ),
  });
}
