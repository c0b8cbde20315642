// The judge every runner shares (model/judge.ts) and the open-failure shape
// (model/open-failure.ts), on hand-made histories.

import { describe, expect, it } from 'vitest';
import { History } from '../model/history.ts';
import {
  checkAckRecovered,
  judgeFirstAck,
  judgeRecovery,
  type RecoveredCopy,
} from '../model/judge.ts';
import { describeOpenFailure, errorCode, openFailureOf } from '../model/open-failure.ts';
import type { CrashTestEngine } from '../faults/engine/engine-interface.ts';
import { ackRuleFor, recoverCopy } from '../faults/judge/ack-rule.ts';
import { SimFs } from '../faults/disk/sim-fs.ts';

const b = (text: string): Uint8Array => Buffer.from(text);
const put = (key: string, value: string) => [
  { type: 'put' as const, key: b(key), value: b(value) },
];
const copy = (entries: [string, string][], lastSeq?: number): RecoveredCopy => ({
  entries: entries.map(([k, v]) => [b(k), b(v)] as const),
  lastSeq,
});

function twoAcked(): History {
  const history = new History();
  history.ack(history.issue(put('a', '1')), 1);
  history.ack(history.issue(put('b', '2')), 2);
  return history;
}

describe('openFailureOf and errorCode', () => {
  it('keeps the contract fields of their types and drops the rest', () => {
    const error = Object.assign(new Error('x'), {
      code: 'CORRUPT',
      segment: '1.wal',
      offset: 12,
      reason: 'bad-crc',
    });
    expect(openFailureOf(error)).toEqual({
      code: 'CORRUPT',
      segment: '1.wal',
      offset: 12,
      reason: 'bad-crc',
    });
    expect(openFailureOf(Object.assign(new Error('y'), { code: 7, offset: '3' }))).toEqual({
      code: 'UNKNOWN',
    });
    expect(openFailureOf(null)).toEqual({ code: 'UNKNOWN' });
    expect(errorCode({ code: 'EIO' })).toBe('EIO');
    expect(describeOpenFailure({ code: 'EIO' })).toBe(
      'open failed: EIO (no segment) offset ? (no reason)',
    );
  });
});

describe('judgeRecovery', () => {
  it('moves the history on to the prefix a passing recovery kept, not after a read-only open', () => {
    const history = twoAcked();
    const observed = {
      opened: true as const,
      lastSeq: 2,
      entries: copy([
        ['a', '1'],
        ['b', '2'],
      ]).entries,
    };
    const readOnly = judgeRecovery(history, { box: 'white', observed }, { readOnly: true });
    expect(readOnly).toMatchObject({ ok: true, k: 2 });
    expect(history.epoch).toBe(0);
    expect(judgeRecovery(history, { box: 'white', observed })).toMatchObject({ ok: true, k: 2 });
    expect(history.epoch).toBe(1);
    expect(history.lastSeqAtRecovery).toBe(2);
    expect(judgeFirstAck(history, 3).ok).toBe(true);
    expect(judgeFirstAck(history, 2)).toMatchObject({ ok: false, rule: 5 });
  });

  it('judges a black box by its scan alone, and a missing acknowledged batch breaks rule 2', () => {
    const history = twoAcked();
    const verdict = judgeRecovery(history, {
      box: 'black',
      observed: { opened: true, entries: copy([['a', '1']]).entries },
    });
    expect(verdict).toMatchObject({ ok: false, rule: 2 });
    expect(history.epoch).toBe(0);
  });
});

describe('checkAckRecovered (rule 1 by recovering a copy of the durable image)', () => {
  it('passes when the copy holds every batch up to the acknowledged one', () => {
    const history = twoAcked();
    expect(
      checkAckRecovered(
        history,
        2,
        copy(
          [
            ['a', '1'],
            ['b', '2'],
          ],
          2,
        ),
      ).ok,
    ).toBe(true);
    expect(checkAckRecovered(history, 1, copy([['a', '1']], 1)).ok).toBe(true);
  });

  it('fails rule 1 when the copy lacks the batch, or its lastSeq says it lacks one', () => {
    const history = twoAcked();
    expect(checkAckRecovered(history, 2, copy([['a', '1']], 1))).toMatchObject({ rule: 1 });
    // A delete of a missing key leaves the state as it was: only lastSeq tells k apart.
    history.ack(history.issue([{ type: 'del', key: b('z') }]), 3);
    const state = copy([
      ['a', '1'],
      ['b', '2'],
    ]);
    expect(checkAckRecovered(history, 3, { ...state, lastSeq: 2 })).toMatchObject({ rule: 1 });
    expect(checkAckRecovered(history, 3, { ...state, lastSeq: 3 }).ok).toBe(true);
  });

  it('fails rule 1 when the copy does not open, and rule 7 for an acknowledged failed batch', () => {
    const history = twoAcked();
    const refused = checkAckRecovered(history, 2, { code: 'CORRUPT' });
    expect(refused).toMatchObject({ rule: 1 });
    expect(refused.ok ? '' : refused.found).toContain('open failed: CORRUPT');
    const failed = history.issue(put('c', '3'));
    history.fail(failed, 'IO');
    expect(checkAckRecovered(history, failed, copy([]))).toMatchObject({ rule: 7 });
  });

  it('fails rule 7 when the copy holds a failed batch the engine went on without', () => {
    const history = new History();
    const failed = history.issue(put('x', '9'));
    history.fail(failed, 'IO');
    const acked = history.issue(put('a', '1'));
    history.ack(acked, 1); // supersedes the failed batch: it must never show up
    expect(
      checkAckRecovered(
        history,
        acked,
        copy([
          ['a', '1'],
          ['x', '9'],
        ]),
      ),
    ).toMatchObject({
      rule: 7,
    });
  });
});

describe('rule 1 by recovering a copy (faults/judge/ack-rule.ts)', () => {
  const refusing: CrashTestEngine = {
    name: 'refuses every open',
    open: () => Promise.reject(Object.assign(new Error('damaged'), { code: 'CORRUPT' })),
  };

  it('an engine that cannot open the durable copy at an acknowledgement breaks rule 1', async () => {
    const history = twoAcked();
    const verdict = await ackRuleFor(refusing, '/db', {})(history, 2, new SimFs({ trace: false }));
    expect(verdict).toMatchObject({ ok: false, rule: 1 });
    expect(await recoverCopy(refusing, '/db', new SimFs({ trace: false }), {})).toEqual({
      code: 'CORRUPT',
    });
  });
});
