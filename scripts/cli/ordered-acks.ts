// Pipelined writes, acknowledged in order. Batches are submitted without waiting for the
// ones before them (so the engine can group-commit across input lines); each ack is
// printed as soon as its write and every write before it are durable. Acks of one group
// commit settle together and are printed in one pass and one stdout write.
//
// Bounded: at most batchesMax writes (and about bytesMax of them) are in flight; the
// producer waits for room. After the first failed write nothing more is printed.

import type { WriteResult } from '../../src/batch.ts';
import type { LineWriter } from './output.ts';

interface Slot {
  readonly line: number;
  readonly bytes: number;
  settled: boolean;
  result: WriteResult | null;
  error: unknown;
}

export interface InFlightLimits {
  batchesMax: number;
  bytesMax: number;
}

const SLOTS_COMPACT_AT = 1024;

export class OrderedAcks {
  private slots: Slot[] = [];
  private head = 0;
  private bytesInFlight = 0;
  private passScheduled = false;
  private waiters: (() => void)[] = [];
  /** The first write that failed, in submission order. */
  failure: { line: number; error: unknown } | null = null;

  constructor(
    private readonly out: LineWriter,
    private readonly limits: InFlightLimits,
  ) {}

  get inFlight(): number {
    return this.slots.length - this.head;
  }

  /** Waits until a batch of `bytes` may be submitted (or a write failed: check `failure`). */
  async waitForRoom(bytes: number): Promise<void> {
    while (this.failure === null && this.inFlight > 0 && !this.hasRoom(bytes)) {
      await new Promise<void>((resolve) => this.waiters.push(resolve));
    }
  }

  add(write: Promise<WriteResult>, line: number, bytes: number): void {
    const slot: Slot = { line, bytes, settled: false, result: null, error: null };
    this.slots.push(slot);
    this.bytesInFlight += bytes;
    write.then(
      (result) => this.settle(slot, result, null),
      (error: unknown) => this.settle(slot, null, error),
    );
  }

  /** Waits until every added write has settled and its ack (if any) was handed to stdout. */
  async allSettled(): Promise<void> {
    while (this.inFlight > 0) await new Promise<void>((resolve) => this.waiters.push(resolve));
  }

  private hasRoom(bytes: number): boolean {
    return (
      this.inFlight < this.limits.batchesMax && this.bytesInFlight + bytes <= this.limits.bytesMax
    );
  }

  private settle(slot: Slot, result: WriteResult | null, error: unknown): void {
    slot.settled = true;
    slot.result = result;
    slot.error = error;
    if (this.passScheduled) return;
    this.passScheduled = true;
    // After the microtasks that settle the rest of this group, so they print together.
    setImmediate(() => this.printPass());
  }

  private printPass(): void {
    this.passScheduled = false;
    while (this.head < this.slots.length && this.slots[this.head]!.settled) {
      const slot = this.slots[this.head]!;
      this.head++;
      this.bytesInFlight -= slot.bytes;
      if (slot.result !== null && this.failure === null) {
        this.out.json({ seqStart: slot.result.seqStart, count: slot.result.count });
      } else if (slot.result === null) {
        this.failure ??= { line: slot.line, error: slot.error };
      }
    }
    this.out.flush();
    if (this.head >= SLOTS_COMPACT_AT) {
      this.slots = this.slots.slice(this.head);
      this.head = 0;
    }
    for (const wake of this.waiters.splice(0)) wake();
  }
}
