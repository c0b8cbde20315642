// Rule 1 (model/crash-model.md section 2): at the moment a batch is acknowledged, its record and
// every record before it are in the durable view. The harness passes the simulated
// filesystem's durable files at that moment; they are decoded with the oracle's own
// decoder and compared with the history op by op, byte for byte.
//
// Expected records: the chain up to the acked batch, without this epoch's failed batches
// (an acknowledgement after a failure means the engine went on without them). Finding a
// failed batch's record in their place is rule 7: the acknowledgement depends on its bytes.
//
// Checks at every acknowledgement would decode the whole log each time; instead each
// (history, directory) keeps a LogDecoder, which resumes after the bytes it already
// validated while they are unchanged, and the ids of the records already matched.

import type { BatchOp } from '../src/batch.ts';
import { bytesEqual, showBytes } from './bytes.ts';
import type { BatchId, History, IssuedBatch } from './history.ts';
import { PASS, type Verdict, type Violation, violation } from './verdict.ts';
import { type DecodedLog, type DecodedRecord, LogDecoder, segmentFiles } from './wal-decode.ts';

interface AckCache {
  /** Shared with the other checks of this log (logDecoderFor): most logs they read start with what acks validated. */
  readonly decoder: LogDecoder;
  /** Batch ids whose records (the first matched.length records) were already compared equal. */
  readonly matched: number[];
  /** The durable files of the last check and their decoded log (acks of one group share them). */
  files: ReadonlyMap<string, Uint8Array> | null;
  log: DecodedLog | null;
  /** decoder.decodes after this cache's last decode: another count means others decoded since. */
  decodes: number;
}

const caches = new WeakMap<History, Map<string, AckCache>>();

function cacheFor(history: History, dbDir: string): AckCache {
  let byDir = caches.get(history);
  if (byDir === undefined) {
    byDir = new Map();
    caches.set(history, byDir);
  }
  let cache = byDir.get(dbDir);
  if (cache === undefined) {
    cache = { decoder: new LogDecoder(), matched: [], files: null, log: null, decodes: 0 };
    byDir.set(dbDir, cache);
  }
  return cache;
}

/**
 * The incremental decoder of one (history, directory), which rule 1 keeps decoding at every
 * acknowledgement: a check of the same log at a recovery (the recovery-mode table) resumes
 * after the bytes it validated instead of decoding the whole log again. Its results are
 * exactly decodeLog's; read one before the next decode.
 */
export function logDecoderFor(history: History, dbDir: string): LogDecoder {
  return cacheFor(history, dbDir).decoder;
}

/**
 * Rule 1 at the acknowledgement of batch `id`. `durableFiles` is read as an immutable
 * snapshot: passing the same map object again means the same bytes (SimFs.durableView keeps
 * one map until the durable state changes), so the acks of one group decode the log once.
 */
export function checkAckDurable(
  history: History,
  id: BatchId,
  durableFiles: ReadonlyMap<string, Uint8Array>,
  dbDir: string,
): Verdict {
  const position = history.position(id);
  const standing = checkAckStanding(history, id, position);
  if (standing !== null) return standing;
  const cache = cacheFor(history, dbDir);
  const matched = cache.matched;
  let log = cache.log;
  const decoder = cache.decoder;
  const othersDecoded = cache.decodes !== decoder.decodes; // then its records array changed too
  if (log === null || cache.files !== durableFiles || othersDecoded) {
    log = decoder.decode(segmentFiles(durableFiles, dbDir));
    cache.files = durableFiles;
    cache.log = log;
    cache.decodes = decoder.decodes;
    // Records reused since this cache's own last decode are known only across one decode.
    matched.length = othersDecoded ? 0 : Math.min(matched.length, decoder.reusedRecords);
  } // else: the same map, so the same bytes (the caller's contract): nothing to decode again
  // Expected records: b_1..b_position without this epoch's failed batches; i counts them.
  let i = 0;
  let seqStart = 1;
  for (let p = 1; p <= position; p++) {
    const batch = history.at(p);
    if (batch.status === 'failed' && batch.epoch === history.epoch) continue;
    if (matched[i] !== batch.id) {
      matched.length = i;
      const problem = compareRecord(history, id, log, i, seqStart, batch, position);
      if (problem !== null) return problem;
      matched.push(batch.id);
    } // else: same bytes and same batches before it, compared equal already
    i += 1;
    seqStart += batch.ops.length;
  }
  return PASS;
}

/**
 * What rule 1 and rule 7 say of an acknowledgement whatever the format: a failed batch is
 * never acknowledged, and an acknowledged one is still in the chain.
 */
export function checkAckStanding(
  history: History,
  id: BatchId,
  position = history.position(id),
): Violation | null {
  const acked = history.batch(id);
  if (acked.status === 'failed') {
    return violation(
      7,
      `batch id ${id} is acknowledged although its write failed (${acked.errorCode})`,
      { found: 'an acknowledgement' },
    );
  }
  if (position === 0) {
    return violation(1, `acknowledged batch id ${id} is no longer in the history (${acked.fate})`, {
      found: 'an acknowledgement',
    });
  }
  return null;
}

function compareRecord(
  history: History,
  id: BatchId,
  log: DecodedLog,
  i: number,
  seqStart: number,
  batch: IssuedBatch,
  position: number,
): Violation | null {
  const expectedK = [position, history.length] as const;
  const name = `b${i + 1} (seq ${seqStart}..${seqStart + batch.ops.length - 1})`;
  const record = log.records[i];
  if (record === undefined) {
    return violation(
      1,
      `acknowledged batch id ${id} is not durable: ${name} is missing from the durable log`,
      {
        expectedK,
        found: describeLog(log),
      },
    );
  }
  const difference = recordDifference(record, seqStart, batch.ops);
  if (difference === null) return null;
  const failed = history
    .allBatches()
    .find(
      (b) => b.status === 'failed' && recordDifference(record, record.seqStart, b.ops) === null,
    );
  if (failed !== undefined) {
    return violation(
      7,
      `acknowledged batch id ${id} depends on the bytes of failed batch id ${failed.id}: its record sits where ${name} belongs`,
      {
        expectedK,
        found: `${record.segment} offset ${record.offset}: the failed batch's record; ${describeLog(log)}`,
      },
    );
  }
  return violation(
    1,
    `the durable record at ${record.segment} offset ${record.offset} is not ${name}: ${difference}`,
    {
      expectedK,
      found: describeLog(log),
    },
  );
}

/** What differs between a decoded record and the expected batch, or null when they agree. */
function recordDifference(
  record: DecodedRecord,
  seqStart: number,
  ops: readonly BatchOp[],
): string | null {
  if (record.seqStart !== seqStart) return `seqStart ${record.seqStart}, expected ${seqStart}`;
  if (record.count !== ops.length) return `${record.count} ops, expected ${ops.length}`;
  for (let i = 0; i < ops.length; i++) {
    const want = ops[i]!;
    const got = record.ops[i]!;
    if (got.type !== want.type) return `op ${i} is a ${got.type}, expected a ${want.type}`;
    if (!bytesEqual(got.key, want.key))
      return `op ${i} key ${showBytes(got.key)}, expected ${showBytes(want.key)}`;
    if (got.type === 'put' && want.type === 'put' && !bytesEqual(got.value, want.value)) {
      return `op ${i} value ${showBytes(got.value)}, expected ${showBytes(want.value)}`;
    }
  }
  return null;
}

function describeLog(log: DecodedLog): string {
  const head = `durable log: ${log.records.length} valid record(s), lastSeq ${log.lastSeq}`;
  const invalid = log.firstInvalid;
  return invalid === null
    ? `${head}, then its end`
    : `${head}, then ${invalid.reason} at ${invalid.segment} offset ${invalid.offset}`;
}
