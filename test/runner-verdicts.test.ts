// The verdicts the simulated runners used to word themselves, now model/ functions (issue 16
// item 2): each passes what it must and names the rule and the same text on a violation; and
// the one liveness helper the campaign and the explorer await every step through.

import { describe, expect, it } from 'vitest';
import { encodeRecord, recordBytes } from '../src/wal/record-encoder.ts';
import { segmentName } from '../src/wal/format.ts';
import { checkRefusedWrite } from '../model/check-continuation.ts';
import {
  checkNotCreated,
  checkQuarantineKept,
  checkSetAsideSince,
} from '../model/check-quarantine.ts';
import { checkGetAgrees, checkLatestRead } from '../model/check-reads.ts';
import { checkRefusalNamesInvalid } from '../model/check-refusal.ts';
import { History } from '../model/history.ts';
import { errorMessage } from '../model/open-failure.ts';
import type { Entry } from '../model/prefix-model.ts';
import type { Verdict } from '../model/verdict.ts';
import { decodeLog } from '../model/wal-decode.ts';
import { BoundedFs } from '../faults/disk/bounded-fs.ts';
import { SimFs } from '../faults/disk/sim-fs.ts';
import { settleJudged } from '../faults/judge/liveness.ts';

const k = (s: string): Uint8Array => Buffer.from(s);
const put = (key: string, value: string) =>
  ({ type: 'put', key: k(key), value: k(value) }) as const;

function expectViolation(verdict: Verdict, rule: number, message: string | RegExp): void {
  expect(verdict).toMatchObject({ ok: false, rule });
  if (!verdict.ok) expect(verdict.message).toMatch(message);
}

describe('checkGetAgrees (rules 2 and 4)', () => {
  const entries: Entry[] = [
    [k('a'), k('1')],
    [k('b'), k('2')],
  ];

  it('passes a get that shows the scanned value, or nothing for a key the scan lacks', () => {
    expect(checkGetAgrees(k('a'), k('1'), entries, undefined).ok).toBe(true);
    expect(checkGetAgrees(k('c'), undefined, entries, 3).ok).toBe(true);
  });

  it('is rule 2 at the latest state, rule 4 at a snapshot', () => {
    expectViolation(
      checkGetAgrees(k('a'), k('9'), entries, undefined),
      2,
      'get("a") disagrees with the full scan',
    );
    expectViolation(
      checkGetAgrees(k('b'), undefined, entries, 4),
      4,
      'get("b", { at: 4 }) disagrees with the scan at snapshot 4',
    );
  });
});

describe('checkLatestRead (rule 4)', () => {
  it('passes the model after every batch, and names a read that is not it', () => {
    const history = new History();
    history.ack(history.issue([put('a', '1')]));
    expect(checkLatestRead(history, [[k('a'), k('1')]]).ok).toBe(true);
    const verdict = checkLatestRead(history, []);
    expectViolation(verdict, 4, 'a read at the latest state does not show the model after all 1');
    expect(verdict).toMatchObject({ expectedK: [1, 1], found: '0 keys' });
  });
});

describe('checkRefusedWrite (rule 5)', () => {
  it('passes a refusal with a cause, and words one without it once for every runner', () => {
    expect(checkRefusedWrite('IO', 'disk', true).ok).toBe(true);
    expectViolation(
      checkRefusedWrite('IO', 'no, thanks', false),
      5,
      /^the engine refused a write with no injected failure and no crash: IO: no, thanks$/,
    );
    expectViolation(
      checkRefusedWrite('CLOSED', 'closed', false, 'after recovery'),
      5,
      /^the engine refused a write after recovery with no injected failure and no crash: CLOSED: closed$/,
    );
  });

  it('quotes an error by its message (errorMessage), or the error itself without one', () => {
    expect(errorMessage(new Error('no, thanks'))).toBe('no, thanks');
    expect(errorMessage(undefined)).toBe('undefined');
    expect(errorMessage({ code: 'IO' })).toBe('[object Object]');
  });
});

describe('checkRefusalNamesInvalid (rule 2)', () => {
  const batch = [put('a', '1')];
  const record = Buffer.alloc(recordBytes(batch));
  encodeRecord(batch, 1, record, 0);
  const name = segmentName(1);
  const damaged = Buffer.from(record);
  damaged[damaged.length - 1]! ^= 1;
  const invalid = decodeLog(new Map([[name, damaged]])).firstInvalid!;

  it('passes a refusal naming the first invalid record', () => {
    const failure = { code: 'CORRUPT', ...invalid };
    expect(checkRefusalNamesInvalid(failure, new Map([[name, damaged]])).ok).toBe(true);
  });

  it('names a refusal of a valid log, and one naming another place', () => {
    const failure = { code: 'CORRUPT', ...invalid };
    expectViolation(
      checkRefusalNamesInvalid(failure, new Map([[name, record]])),
      2,
      'the open refused a log in which every record is valid',
    );
    expectViolation(
      checkRefusalNamesInvalid({ ...failure, offset: 7 }, new Map([[name, damaged]])),
      2,
      `naming the wrong place: its first invalid record is ${name} offset 0`,
    );
  });
});

describe('rule 8 over the files a runner read', () => {
  const q = new Map([['x', Uint8Array.of(1, 2)]]);

  it('checkQuarantineKept: passes kept files, names a deleted and a changed one', () => {
    expect(checkQuarantineKept(q, new Map([...q, ['y', Uint8Array.of(3)]])).ok).toBe(true);
    expectViolation(checkQuarantineKept(q, new Map()), 8, 'quarantine/x was deleted');
    expectViolation(
      checkQuarantineKept(q, new Map([['x', Uint8Array.of(1)]])),
      8,
      'quarantine/x was changed: nothing may leave quarantine/',
    );
  });

  it('checkSetAsideSince: a cut tail must be in quarantine/, and what was there must stay', () => {
    const before = { segments: new Map([['s', Uint8Array.of(1, 2, 3)]]), quarantined: q };
    const cut = new Map([['s', Uint8Array.of(1)]]);
    const kept = new Map([...q, ['t', Uint8Array.of(2, 3)]]);
    expect(checkSetAsideSince(before, { segments: cut, quarantined: kept }, 2).ok).toBe(true);
    expectViolation(
      checkSetAsideSince(before, { segments: cut, quarantined: q }),
      8,
      'recovery removed its last 2 bytes (from offset 1) of s',
    );
    expectViolation(
      checkSetAsideSince(before, { segments: before.segments, quarantined: new Map() }),
      8,
      'quarantine/x was deleted',
    );
    expectViolation(
      checkSetAsideSince(before, { segments: cut, quarantined: kept }, 5),
      8,
      'the recovery report says 5 bytes were quarantined, but 2 were removed',
    );
  });

  it('checkNotCreated: a read-only open must not create the database directory', () => {
    expect(checkNotCreated('/db', false, false).ok).toBe(true);
    expect(checkNotCreated('/db', true, true).ok).toBe(true);
    expectViolation(
      checkNotCreated('/db', false, true),
      8,
      'the read-only open created /db, although it must change nothing on disk',
    );
  });
});

describe('settleJudged', () => {
  it('returns the value, throws a rejection, and turns a stall into the liveness verdict', async () => {
    const sim = new SimFs({ trace: false });
    const fs = new BoundedFs(sim);
    const history = new History();
    history.issue([put('a', '1')]);
    expect(await settleJudged(fs, sim, Promise.resolve(7), history, 'open')).toEqual({
      settled: true,
      value: 7,
    });
    await expect(
      settleJudged(fs, sim, Promise.reject(new Error('no')), history, 'open'),
    ).rejects.toThrow('no');
    const stalled = await settleJudged(fs, sim, new Promise(() => {}), () => history, 'close');
    expect(stalled.settled).toBe(false);
    if (!stalled.settled) {
      expect(stalled.stalled).toMatchObject({ rule: 5 });
      expect(stalled.stalled?.message).toMatch(/batch id 1 never settled \(close\).*went idle/);
    }
  });

  it('is no finding once the process died, and makes the history only on a stall', async () => {
    const sim = new SimFs({ trace: false });
    const fs = new BoundedFs(sim);
    let made = 0;
    const history = () => {
      made++;
      return new History();
    };
    await settleJudged(fs, sim, Promise.resolve(1), history, 'open');
    expect(made).toBe(0);
    sim.crashNow();
    const dead = await settleJudged(fs, sim, new Promise(() => {}), history, 'open');
    expect(dead).toEqual({ settled: false, stalled: null });
    expect(made).toBe(0);
  });
});
