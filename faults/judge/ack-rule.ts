// Rule 1 at each acknowledgement, as the engine's format allows (the rest of the judge is
// pure: model/judge.ts, whose judgeFirstAck runners call first at an epoch's first ack). An engine writing walcheck's WAL is judged by decoding the durable
// log (checkAckDurable, synchronous); any other engine by opening it on a copy of the durable
// image taken at the moment of the acknowledgement and reading back what it recovers. The
// copy is taken before anything else runs, so later writes cannot hide a missing sync.

import { checkAckDurable } from '../../model/check-ack.ts';
import type { BatchId, History } from '../../model/history.ts';
import { checkAckRecovered, type RecoveredCopy } from '../../model/judge.ts';
import { type OpenFailure, openFailureOf } from '../../model/open-failure.ts';
import type { Entry } from '../../model/prefix-model.ts';
import type { Verdict } from '../../model/verdict.ts';
import { writesWalcheckWal } from '../engine/engine-under-test.ts';
import type {
  CrashTestDatabase,
  CrashTestEngine,
  CrashTestOpenOptions,
} from '../engine/engine-interface.ts';
import type { SimFs } from '../disk/sim-fs.ts';

/** Rule 1 for one acknowledged batch on the filesystem it was written to. */
export type AckRule = (history: History, id: BatchId, fs: SimFs) => Verdict | Promise<Verdict>;

/** Open options besides the filesystem (size hints) for the copies the recovery rule opens. */
type CopyOpenOptions = Omit<CrashTestOpenOptions, 'fs' | 'readOnly' | 'recovery'>;

export function ackRuleFor(engine: CrashTestEngine, dir: string, hints: CopyOpenOptions): AckRule {
  if (writesWalcheckWal(engine))
    return (history, id, fs) => checkAckDurable(history, id, fs.durableView(), dir);
  return (history, id, fs) => {
    const copy = fs.crashImage({ kind: 'lose-unsynced' }, { trace: false });
    return recoverCopy(engine, dir, copy, hints).then((recovered) =>
      checkAckRecovered(history, id, recovered),
    );
  };
}

/** A full scan (and lastSeq) of what the engine recovers from `copy`, or its failure to open. */
export async function recoverCopy(
  engine: CrashTestEngine,
  dir: string,
  copy: SimFs,
  hints: CopyOpenOptions,
): Promise<RecoveredCopy | OpenFailure> {
  try {
    const db = await engine.open(dir, { ...hints, fs: copy });
    const entries: Entry[] = [];
    for (const { key, value } of db.scan()) entries.push([key, value]);
    const lastSeq = db.lastSeq;
    await db.close();
    return { entries, lastSeq };
  } catch (error) {
    return openFailureOf(error);
  }
}

/**
 * The seqStart a write returned, as the oracle judges it (rules 5 and 7): only from an engine
 * that reports lastSeq. A black box's recovered prefix is inferred from its state, which
 * cannot tell apart batches that change nothing, so its numbering cannot be held to it.
 */
export function judgedSeqStart(
  db: CrashTestDatabase,
  result: { readonly seqStart: number } | void,
): number | undefined {
  return db.lastSeq === undefined ? undefined : result?.seqStart;
}
