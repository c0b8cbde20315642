// The history the oracle judges: every batch clients issued, what became of it, and the
// chain b_1..b_n of batches in the order the single writer gives them sequence numbers.
//
// The model assigns sequence numbers itself (b_1 starts at 1, each next batch right after
// the previous one), so it never trusts the engine's numbering; what the engine reported
// is kept beside it and checked by the rule-5 and rule-7 checks.
//
// Batch fates:
//   chain       in b_1..b_n: acked, pending, or failed (a failed write may still have
//               reached the disk, so it stays a candidate until its fate is known)
//   refused     failed before touching the log (validation, closed, busy): never in a state
//   superseded  failed, then a later batch was acknowledged in the same epoch, so the
//               engine went on without it: it must never show up again (rule 7)
//   lost        not among the batches a recovery kept (truncateTo)
//
// An epoch is the life of one open engine; truncateTo (after a recovery) starts the next.
// Ids are 1-based in issue order and never reused; positions in the chain shift when a
// batch leaves it. Until the first failure or recovery, id == position.

import type { Batch, BatchOp } from '../src/batch.ts';
import { PrefixModel, type Entry } from './prefix-model.ts';
import type { Bytes } from './bytes.ts';

export type BatchId = number;
export type BatchStatus = 'pending' | 'acked' | 'failed';
export type BatchFate = 'chain' | 'refused' | 'superseded' | 'lost';

export interface IssuedBatch {
  readonly id: BatchId;
  readonly ops: Batch;
  readonly epoch: number;
  status: BatchStatus;
  errorCode: string | null;
  fate: BatchFate;
  /** The seqStart the engine reported for it (at issue or ack), when known. */
  reportedSeqStart: number | null;
}

/** Error codes meaning the write was refused before any byte reached the log. */
export const REFUSED_BEFORE_WRITE_CODES: readonly string[] = [
  'INVALID_ARGUMENT',
  'BATCH_TOO_LARGE',
  'CLOSED',
  'BUSY',
  'READ_ONLY',
  'LOCKED',
  'NOT_A_DIRECTORY',
  'NOT_FOUND',
];

export type HistoryEvent =
  | { readonly type: 'issue'; readonly id: BatchId; readonly epoch: number; readonly count: number }
  | {
      readonly type: 'ack';
      readonly id: BatchId;
      readonly epoch: number;
      readonly statusBefore: BatchStatus;
      /** The model's seqStart for the batch once acked; null when it is not in the chain. */
      readonly seqStart: number | null;
      /** Its seqStart had the failed batches before it in this epoch been kept. */
      readonly seqStartIfFailedKept: number | null;
      readonly reportedSeqStart: number | null;
    }
  | {
      readonly type: 'fail';
      readonly id: BatchId;
      readonly epoch: number;
      readonly statusBefore: BatchStatus;
      readonly code: string;
    }
  | {
      readonly type: 'recover';
      readonly epoch: number;
      readonly k: number;
      readonly lastSeq: number;
      readonly line: LineName;
    };

export type LineName = 'main' | 'without-failed';

/**
 * One candidate sequence of batches a recovery may have kept a prefix of, with the
 * allowed prefix lengths [kMin, kMax]: kMin keeps every acknowledged batch.
 *  main            the chain; if batches failed this epoch, it ends at the last of them
 *                  (a fail-closed engine writes nothing after a failure)
 *  without-failed  the chain without this epoch's failed batches (an engine that truncated
 *                  them away and went on); only present when some failed
 */
export interface Line {
  readonly name: LineName;
  readonly model: PrefixModel;
  readonly kMin: number;
  readonly kMax: number;
}

const OPS_PER_BATCH_MAX = 1 << 20;

export class History {
  private readonly issued: IssuedBatch[] = [];
  private chain: IssuedBatch[] = [];
  private readonly main = new PrefixModel();
  private readonly log: HistoryEvent[] = [];
  private currentEpoch = 0;
  private recoveredLastSeq = 0;
  /** Batches the last recovery kept: they were on disk and served, so a later crash must keep them too. */
  private recoveredCount = 0;
  private version = 0;
  private withoutFailedCache: { version: number; model: PrefixModel } | null = null;

  /**
   * Records a batch handed to the engine; returns its id. The ops are copied. seqStart is
   * what the engine reported, when known this early (else pass it to ack); the model
   * numbers the batch itself, and checkFailClosed compares the two.
   */
  issue(ops: Batch, seqStart?: number): BatchId {
    if (!(ops.length >= 1 && ops.length <= OPS_PER_BATCH_MAX))
      throw new RangeError(`a batch holds 1..${OPS_PER_BATCH_MAX} ops`);
    const batch: IssuedBatch = {
      id: this.issued.length + 1,
      ops: Object.freeze(ops.map(copyOp)),
      epoch: this.currentEpoch,
      status: 'pending',
      errorCode: null,
      fate: 'chain',
      reportedSeqStart: seqStart ?? null,
    };
    this.issued.push(batch);
    this.chain.push(batch);
    this.main.append(batch);
    this.touch();
    this.log.push({ type: 'issue', id: batch.id, epoch: batch.epoch, count: ops.length });
    return batch.id;
  }

  /**
   * The engine acknowledged batch `id` (optionally reporting its seqStart). Failed batches
   * before it in this epoch are superseded: the engine evidently went on without them.
   * Acknowledging a batch that is not pending is recorded for checkFailClosed, nothing more.
   */
  ack(id: BatchId, seqStart?: number): void {
    const batch = this.batch(id);
    const statusBefore = batch.status;
    if (seqStart !== undefined) batch.reportedSeqStart = seqStart;
    let modelSeqStart: number | null = null;
    let keptSeqStart: number | null = null;
    if (statusBefore === 'pending' && batch.fate === 'chain') {
      const position = this.chain.indexOf(batch) + 1;
      keptSeqStart = this.main.seqStart(position);
      const failed = this.chain.some((b) => b.status === 'failed')
        ? this.chain.slice(0, position - 1).filter((b) => this.isUndecidedFailure(b))
        : [];
      for (const b of failed) b.fate = 'superseded';
      this.removeFromChain(failed);
      batch.status = 'acked';
      modelSeqStart = this.main.seqStart(this.chain.indexOf(batch) + 1);
      this.touch();
    }
    this.log.push({
      type: 'ack',
      id,
      epoch: this.currentEpoch,
      statusBefore,
      seqStart: modelSeqStart,
      seqStartIfFailedKept: keptSeqStart,
      reportedSeqStart: batch.reportedSeqStart,
    });
  }

  /** The engine rejected batch `id` with an error code (a WalError code). */
  fail(id: BatchId, code: string): void {
    const batch = this.batch(id);
    const statusBefore = batch.status;
    if (statusBefore === 'pending') {
      batch.status = 'failed';
      batch.errorCode = code;
      if (REFUSED_BEFORE_WRITE_CODES.includes(code) && batch.fate === 'chain') {
        batch.fate = 'refused';
        this.removeFromChain([batch]);
      }
      this.touch();
    }
    this.log.push({ type: 'fail', id, epoch: this.currentEpoch, statusBefore, code });
  }

  /**
   * A recovery kept b_1..b_k of `line` (from the oracle's verdict): every other batch is
   * lost, the chain is that prefix, and a new epoch begins (rule 5: the history goes on).
   */
  truncateTo(k: number, line: LineName = 'main', keptDurable = true): void {
    const chosen = this.lines().find((l) => l.name === line);
    if (chosen === undefined) throw new RangeError(`no line ${line} in this history`);
    if (!(Number.isInteger(k) && k >= 0 && k <= chosen.model.length))
      throw new RangeError(`cannot keep ${k} batches of ${chosen.model.length}`);
    const keptIds = new Set(
      chosen.model
        .batches()
        .slice(0, k)
        .map((b) => b.id),
    );
    for (const batch of this.chain) if (!keptIds.has(batch.id)) batch.fate = 'lost';
    this.chain = this.chain.filter((b) => keptIds.has(b.id));
    // The model is a function of its batch sequence: keep the prefix it shares with the new
    // chain (usually all of it, cut at k) and append only the rest, not rebuild from empty.
    let shared = 0;
    const sharedMax = Math.min(this.chain.length, this.main.length);
    while (shared < sharedMax && this.main.batch(shared + 1).id === this.chain[shared]!.id)
      shared++;
    this.main.truncate(shared);
    for (let i = shared; i < this.chain.length; i++) this.main.append(this.chain[i]!);
    this.currentEpoch += 1;
    // Kept batches read from a crash image are durable, so a later crash must keep them. A
    // reopen in the same process may have read unsynced data (after a failed fsync, say).
    this.recoveredCount = keptDurable ? this.chain.length : 0;
    this.recoveredLastSeq = this.main.endSeq(this.main.length);
    this.touch();
    this.log.push({
      type: 'recover',
      epoch: this.currentEpoch,
      k,
      lastSeq: this.recoveredLastSeq,
      line,
    });
  }

  // ---- reading the history ----

  get epoch(): number {
    return this.currentEpoch;
  }

  get events(): readonly HistoryEvent[] {
    return this.log;
  }

  /** n: batches in the chain. */
  get length(): number {
    return this.chain.length;
  }

  /** Last sequence number of the chain (b_n's last logical record). */
  get lastSeq(): number {
    return this.main.endSeq(this.main.length);
  }

  /** lastSeq as of the last truncateTo (0 before any recovery). */
  get lastSeqAtRecovery(): number {
    return this.recoveredLastSeq;
  }

  /** The cached prefix states of the chain. */
  get model(): PrefixModel {
    return this.main;
  }

  batch(id: BatchId): IssuedBatch {
    const batch = this.issued[id - 1];
    if (batch === undefined) throw new RangeError(`no batch with id ${id}`);
    return batch;
  }

  allBatches(): readonly IssuedBatch[] {
    return this.issued;
  }

  /** b_p of the chain, p in 1..length. */
  at(position: number): IssuedBatch {
    const batch = this.chain[position - 1];
    if (batch === undefined) throw new RangeError(`no batch at position ${position}`);
    return batch;
  }

  /** Chain position of a batch, 0 when it is not in the chain. */
  position(id: BatchId): number {
    return this.chain.findIndex((b) => b.id === id) + 1;
  }

  /** The model's seqStart for batch `id`, null when it is not in the chain. */
  seqStartOf(id: BatchId): number | null {
    const position = this.position(id);
    return position === 0 ? null : this.main.seqStart(position);
  }

  stateAt(k: number): Map<string, Bytes> {
    return this.main.stateAt(k);
  }

  entriesAt(k: number): Entry[] {
    return this.main.entriesAt(k);
  }

  get(key: Bytes, k: number): Bytes | undefined {
    return this.main.get(key, k);
  }

  /** What a read at snapshot `seq` sees: the state after the batches ending at or before seq. */
  readAt(seq: number): Entry[] {
    return this.main.entriesAt(this.main.kAtSeq(seq));
  }

  /** The candidate lines a recovery may have kept a prefix of (see Line). */
  lines(): Line[] {
    const failedPositions: number[] = [];
    let lastAcked = 0;
    this.chain.forEach((b, i) => {
      if (this.isUndecidedFailure(b)) failedPositions.push(i + 1);
      if (b.status === 'acked') lastAcked = i + 1;
    });
    const lastFailed = failedPositions[failedPositions.length - 1];
    const kMin = Math.max(lastAcked, this.recoveredCount);
    const main: Line = {
      name: 'main',
      model: this.main,
      kMin,
      kMax: lastFailed ?? this.main.length,
    };
    if (lastFailed === undefined) return [main];
    const model = this.withoutFailedModel();
    const kMinWithout = Math.max(lastAckedPosition(model, this), this.recoveredCount);
    return [main, { name: 'without-failed', model, kMin: kMinWithout, kMax: model.length }];
  }

  /** Batches that failed in this epoch and are still in the chain (their fate is open). */
  undecidedFailures(): IssuedBatch[] {
    return this.chain.filter((b) => this.isUndecidedFailure(b));
  }

  private isUndecidedFailure(b: IssuedBatch): boolean {
    return b.status === 'failed' && b.epoch === this.currentEpoch && b.fate === 'chain';
  }

  private withoutFailedModel(): PrefixModel {
    if (this.withoutFailedCache?.version !== this.version) {
      const model = new PrefixModel(this.chain.filter((b) => !this.isUndecidedFailure(b)));
      this.withoutFailedCache = { version: this.version, model };
    }
    return this.withoutFailedCache.model;
  }

  private removeFromChain(batches: readonly IssuedBatch[]): void {
    if (batches.length === 0) return;
    const leaving = new Set(batches);
    const first = this.chain.findIndex((b) => leaving.has(b));
    this.chain = this.chain.filter((b) => !leaving.has(b));
    this.main.truncate(first);
    for (let i = first; i < this.chain.length; i++) this.main.append(this.chain[i]!);
  }

  private touch(): void {
    this.version += 1;
  }
}

function lastAckedPosition(model: PrefixModel, history: History): number {
  const batches = model.batches();
  for (let p = batches.length; p >= 1; p--) {
    if (history.batch(batches[p - 1]!.id).status === 'acked') return p;
  }
  return 0;
}

function copyOp(op: BatchOp): BatchOp {
  // new Uint8Array(...) copies even when given a Buffer (whose slice() would be a view).
  if (op.type === 'put')
    return Object.freeze({
      type: 'put',
      key: new Uint8Array(op.key),
      value: new Uint8Array(op.value),
    });
  if (op.type === 'del') return Object.freeze({ type: 'del', key: new Uint8Array(op.key) });
  throw new RangeError(`unknown op type ${(op as { type: unknown }).type}`);
}
