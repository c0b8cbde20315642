// The History (model/history.ts) the oracle judges a crash state against, rebuilt for each
// number of acknowledged batches: every earlier cycle's batches issued and acknowledged as
// they were, then truncated to the prefix its chosen crash state recovered (so that prefix
// must survive every later crash, rule 4), then this cycle's batches with the first `acked`
// of them acknowledged. Rebuilding is cheap (tens of batches) and keeps the judge pure.

import type { Batch } from '../../src/batch.ts';
import { History, type LineName } from '../../model/history.ts';
import type { Ack } from '../engine/protocol/load-client.ts';

export interface CycleRecord {
  batches: readonly Batch[];
  acks: readonly Ack[];
}

/** A finished cycle: the acks its chosen crash point had and the prefix that state recovered. */
export interface CycleOutcome extends CycleRecord {
  acked: number;
  k: number;
  line: LineName;
}

export class HistoryRecipe {
  private readonly cache = new Map<number, History>();

  constructor(
    readonly done: readonly CycleOutcome[],
    readonly current: CycleRecord,
  ) {}

  /** The history at a crash point where the first `acked` batches of this cycle were acked. */
  at(acked: number): History {
    let history = this.cache.get(acked);
    if (history === undefined) {
      history = this.build(acked);
      this.cache.set(acked, history);
    }
    return history;
  }

  /** A fresh history (never cached: the caller may truncate it). */
  build(acked: number): History {
    const history = new History();
    for (const cycle of this.done) {
      issueAndAck(history, cycle, cycle.acked);
      history.truncateTo(cycle.k, cycle.line);
    }
    issueAndAck(history, this.current, acked);
    return history;
  }
}

function issueAndAck(history: History, cycle: CycleRecord, acked: number): void {
  const ids = cycle.batches.map((batch) => history.issue(batch));
  for (let i = 0; i < acked && i < ids.length; i++) history.ack(ids[i]!, cycle.acks[i]?.seqStart);
}
