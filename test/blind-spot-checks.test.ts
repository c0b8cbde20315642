// The checks that closed the harness's blind spots (issue 11), one by one: bounded scans
// against the model, failed batches absent from reads, liveness (operation budget, idle
// engine), a second writable open, the recovery-mode table, structural damage, and the
// refusals the campaign provokes.

import { describe, expect, it } from 'vitest';
import type { Batch } from '../src/batch.ts';
import * as shipped from '../src/index.ts';
import { checkFailedAbsent } from '../model/check-failed-absent.ts';
import { livenessViolation } from '../model/check-liveness.ts';
import { checkSecondOpen } from '../model/check-lifecycle.ts';
import { checkRecoveryMode } from '../model/check-recovery-mode.ts';
import { checkScan, describeBounds, expectedScan } from '../model/check-scans.ts';
import { History } from '../model/history.ts';
import type { Entry } from '../model/prefix-model.ts';
import { decodeLog, segmentFiles } from '../model/wal-decode.ts';
import { BoundedFs } from '../faults/disk/bounded-fs.ts';
import { applyDamage, damageStill } from '../faults/disk/damage-steps.ts';
import { DB_DIR } from '../faults/disk/db-files.ts';
import {
  detachLongest,
  encodedBytes,
  ownCopy,
  refusalExpected,
} from '../faults/campaign/refusal-steps.ts';
import { settleWithin } from '../faults/engine/settle.ts';
import { SimFs } from '../faults/disk/sim-fs.ts';
import { truncateAt } from '../faults/disk/wal-injectors.ts';

const k = (s: string): Uint8Array => Buffer.from(s);
const put = (key: string, value: string) =>
  ({ type: 'put', key: k(key), value: k(value) }) as const;
const del = (key: string) => ({ type: 'del', key: k(key) }) as const;
const keys = (entries: readonly Entry[]): string[] =>
  entries.map(([key]) => Buffer.from(key).toString());

describe('bounded scans against the model', () => {
  const state: Entry[] = ['', 'a', 'b', 'c', 'd'].map((key) => [k(key), k(`v${key}`)]);

  it('applies gt/gte/lt/lte, reverse and limit as the scan options define them', () => {
    expect(keys(expectedScan(state, { gt: k('a'), lt: k('d') }))).toEqual(['b', 'c']);
    expect(keys(expectedScan(state, { gte: k('a'), lte: k('c') }))).toEqual(['a', 'b', 'c']);
    expect(keys(expectedScan(state, { lt: k('c'), reverse: true }))).toEqual(['b', 'a', '']);
    expect(keys(expectedScan(state, { gt: Uint8Array.of(0x61, 0), limit: 2 }))).toEqual(['b', 'c']);
    expect(keys(expectedScan(state, { reverse: true, limit: 0 }))).toEqual([]);
    expect(describeBounds({ gte: k('a'), lt: k('c'), reverse: true, limit: 1 })).toBe(
      '{ gte: "a", lt: "c", reverse: true, limit: 1 }',
    );
  });

  it('passes the exact entries and names the options, the point and both sides otherwise', () => {
    const bounds = { lt: k('c'), reverse: true };
    const want = expectedScan(state, bounds);
    expect(checkScan(state, bounds, want, 'the latest state').ok).toBe(true);
    const wrong = checkScan(state, bounds, [state[3]!, ...want], 'snapshot 4');
    expect(wrong).toMatchObject({ ok: false, rule: 4 });
    if (wrong.ok) return;
    expect(wrong.message).toContain('scan({ lt: "c", reverse: true }) at snapshot 4');
    expect(wrong.found).toContain('4 entries');
    expect(wrong.diff).toContain('expected 3 entries');
  });
});

describe('failed batches are absent from reads (rule 7)', () => {
  function failedHistory(): History {
    const history = new History();
    history.ack(history.issue([put('a', '1')]), 1);
    history.fail(history.issue([put('b', '2')]), 'IO');
    history.fail(history.issue([del('a')]), 'IO');
    return history;
  }

  it('passes reads that show the acknowledged batches alone', () => {
    expect(checkFailedAbsent(failedHistory(), [[k('a'), k('1')]]).ok).toBe(true);
    expect(checkFailedAbsent(new History(), []).ok).toBe(true); // nothing failed
  });

  it('names a read that shows a failed group as applied', () => {
    const verdict = checkFailedAbsent(failedHistory(), [[k('b'), k('2')]]);
    expect(verdict).toMatchObject({ ok: false, rule: 7 });
    if (!verdict.ok)
      expect(verdict.message).toMatch(/batch ids 2 \(IO\), 3 \(IO\).*not be applied/);
    const other = checkFailedAbsent(failedHistory(), []);
    if (!other.ok) expect(other.message).toMatch(/acknowledged batches alone/);
    expect(other.ok).toBe(false);
  });
});

describe('liveness', () => {
  it('is rule 5 with nothing failed, rule 7 after a failed write, naming the pending batches', () => {
    const history = new History();
    history.issue([put('a', '1')]);
    const idle = livenessViolation(history, { what: 'close', spun: false, opsMax: 10 });
    expect(idle).toMatchObject({ rule: 5 });
    expect(idle.message).toMatch(/batch id 1 never settled \(close\).*went idle/);
    history.fail(history.issue([put('b', '2')]), 'IO');
    const spun = livenessViolation(history, { what: 'writes', spun: true, opsMax: 10 });
    expect(spun).toMatchObject({ rule: 7 });
    expect(spun.message).toMatch(/spun through 10 filesystem operations.*batch id 2 failed/);
    const none = livenessViolation(new History(), { what: 'open', spun: false, opsMax: 10 });
    expect(none.message).toMatch(/^open never completed/);
  });

  it('settles what settles, and reports an idle engine and a spinning one, deterministically', async () => {
    const fs = new BoundedFs(new SimFs({ trace: false }));
    expect(await settleWithin(fs, Promise.resolve(7))).toEqual({ settled: true, value: 7 });
    const failed = await settleWithin(fs, Promise.reject(new Error('no')));
    expect(failed).toMatchObject({ settled: true });
    expect(await settleWithin(fs, new Promise(() => {}))).toEqual({ settled: false, spun: false });
    const spin = async (): Promise<never> => {
      for (;;) await fs.stat('/'); // an engine that never stops issuing operations
    };
    fs.allow(50);
    expect(await settleWithin(fs, spin())).toEqual({ settled: false, spun: true });
    expect(fs.opCount).toBeGreaterThanOrEqual(50);
    expect(fs.stalledCalls).toBeGreaterThan(0);
  });

  it('passes every filesystem call through until the budget is spent, then never answers', async () => {
    const sim = new SimFs({ trace: false });
    const fs = new BoundedFs(sim);
    await fs.mkdir('/d');
    const handle = await fs.open('/d/f', 'create');
    expect(await handle.write(k('abc'), 0)).toBe(3);
    await handle.datasync();
    await handle.truncate(2);
    expect(await handle.size()).toBe(2);
    expect(await handle.read(new Uint8Array(2), 0, 2, 0)).toBe(2);
    await handle.close();
    await fs.writeFile('/d/g', k('x'));
    await fs.rename('/d/g', '/d/h');
    expect(await fs.list('/d')).toEqual(['f', 'h']);
    expect([...(await fs.readFile('/d/h'))]).toEqual([...k('x')]);
    await fs.unlink('/d/h');
    await fs.syncDir('/d');
    expect((await fs.stat('/d/f'))?.size).toBe(2);
    const lock = await fs.lock('/d');
    await lock.release();
    fs.allow(0);
    let answered = false;
    void fs.stat('/d').then(() => (answered = true));
    await new Promise((resolve) => setImmediate(resolve));
    expect(answered).toBe(false);
  });
});

describe('a second writable open', () => {
  it('must fail LOCKED; an injected failure excuses another code', () => {
    expect(checkSecondOpen({ opened: false, code: 'LOCKED', injected: false }).ok).toBe(true);
    expect(checkSecondOpen({ opened: false, code: 'IO', injected: true }).ok).toBe(true);
    expect(checkSecondOpen({ opened: false, code: 'IO', injected: false })).toMatchObject({
      rule: 2,
    });
    expect(checkSecondOpen({ opened: true })).toMatchObject({ rule: 2 });
  });
});

/** A log of three segments (a record or two each), written by the engine on a simulated disk. */
async function threeSegments(): Promise<Map<string, Uint8Array>> {
  const fs = new SimFs({ trace: false });
  const db = await shipped.Database.open(DB_DIR, { fs, segmentBytesMax: 64 });
  for (const batch of [[put('a', '1')], [put('b', '2')], [del('a')], [put('c', '3')]] as Batch[])
    await db.write(batch);
  await db.close();
  const segments = segmentFiles(fs.durableView(), DB_DIR);
  expect(segments.size).toBeGreaterThanOrEqual(3);
  return segments;
}

describe('the recovery-mode table (src/wal/wal-format.md section 7)', () => {
  it('judges which mode must refuse, cut, or set later segments aside', async () => {
    const clean = await threeSegments();
    const names = [...clean.keys()];
    const [first, second, last] = [names[0]!, names[1]!, names.at(-1)!];
    const tornLast = new Map(clean).set(last, truncateAt(clean.get(last)!, 1));
    const tornFirst = new Map(clean).set(first, truncateAt(clean.get(first)!, 1));
    const ro = { opened: true, readOnly: true } as const;
    const refused = { opened: false } as const;
    const yes = (v: { ok: boolean }) => v.ok;
    // A clean log: nothing to judge here.
    expect(yes(checkRecoveryMode('strict', clean, ro))).toBe(true);
    // Invalid record in the last segment: strict refuses, the others cut.
    expect(checkRecoveryMode('strict', tornLast, ro)).toMatchObject({ rule: 6 });
    expect(yes(checkRecoveryMode('strict', tornLast, refused))).toBe(true);
    expect(yes(checkRecoveryMode('tolerate-tail', tornLast, ro))).toBe(true);
    expect(checkRecoveryMode('point-in-time', tornLast, refused)).toMatchObject({ rule: 2 });
    // Invalid record in an earlier segment: tolerate-tail refuses, point-in-time cuts.
    expect(checkRecoveryMode('tolerate-tail', tornFirst, ro)).toMatchObject({ rule: 6 });
    expect(yes(checkRecoveryMode('tolerate-tail', tornFirst, refused))).toBe(true);
    expect(checkRecoveryMode('point-in-time', tornFirst, refused)).toMatchObject({ rule: 2 });
    // A writable point-in-time open: first cut at the record, every later segment whole in quarantine/.
    const later = names.slice(1);
    const quarantined = new Map(later.map((name) => [name, clean.get(name)!]));
    const cutFirst = new Map<string, Uint8Array>([[first, new Uint8Array(0)]]);
    const pit = (segments: Map<string, Uint8Array>, q: Map<string, Uint8Array>) =>
      checkRecoveryMode('point-in-time', tornFirst, {
        opened: true,
        readOnly: false,
        segments,
        quarantined: q,
      });
    expect(yes(pit(cutFirst, quarantined))).toBe(true);
    expect(pit(new Map([[first, clean.get(first)!]]), quarantined)).toMatchObject({ rule: 2 });
    const deleted = new Map(quarantined);
    deleted.delete(second);
    expect(pit(cutFirst, deleted)).toMatchObject({ rule: 8 });
    const leftInPlace = new Map(cutFirst).set(second, clean.get(second)!);
    expect(pit(leftInPlace, quarantined)).toMatchObject({ rule: 8 });
  });
});

describe('structural damage between cycles', () => {
  it('tears or flips a record in any segment, names it as rule 6 j, and sees when it is set aside', async () => {
    const segments = await threeSegments();
    const files = new Map([...segments].map(([name, bytes]) => [`${DB_DIR}/${name}`, bytes]));
    const image = SimFs.fromFiles(files);
    const seen = new Set<string>();
    for (let seed = 0; seed < 40; seed++) {
      for (const kind of ['cut', 'field'] as const) {
        const applied = applyDamage(image, { kind, seed }, { trace: false });
        if (applied === null) continue;
        const after = segmentFiles(applied.image.durableView(), DB_DIR);
        const invalid = decodeLog(after).firstInvalid!;
        expect([invalid.segment, invalid.offset]).toEqual([
          applied.context.segment,
          applied.context.offset,
        ]);
        seen.add(`${kind} ${applied.context.segment}`);
        expect(damageStill(applied.context, after)).toBe(applied.context);
        expect(damageStill(applied.context, segments).setAside).toBe(true);
      }
    }
    for (const name of segments.keys()) expect(seen.has(`cut ${name}`)).toBe(true);
    expect([...seen].some((s) => s.startsWith('field'))).toBe(true);
    expect(applyDamage(new SimFs(), { kind: 'cut', seed: 1 }, {})).toBeNull();
  });
});

describe('refusals the campaign provokes', () => {
  const big: Batch = [put('a', 'x'.repeat(700))];

  it('allows exactly the refusals the scenario asked for', () => {
    const base = { segmentBytesMax: 1 << 20, groupBytesMax: 1 << 20, cycles: [] };
    expect(encodedBytes(big)).toBe(24 + 9 + 1 + 700);
    expect(refusalExpected({ ...base, batchBytesMax: 600 }, big, 'BATCH_TOO_LARGE', false)).toBe(
      true,
    );
    expect(refusalExpected(base, big, 'BATCH_TOO_LARGE', false)).toBe(false);
    expect(refusalExpected({ ...base, queueBatchesMax: 2 }, big, 'BUSY', false)).toBe(true);
    expect(refusalExpected(base, big, 'BUSY', false)).toBe(false);
    expect(refusalExpected(base, big, 'INVALID_ARGUMENT', true)).toBe(true);
    expect(refusalExpected(base, big, 'INVALID_ARGUMENT', false)).toBe(false);
    expect(refusalExpected(base, big, 'IO', true)).toBe(false);
  });

  it('changes a copy of the batch after write(), never the scenario’s own bytes', () => {
    const copy = ownCopy([put('k', 'value'), del('d')]);
    detachLongest(copy);
    const [first] = copy;
    expect(first!.type === 'put' && first!.value.byteLength).toBe(0);
    expect(copy[1]!.key.byteLength).toBe(1);
    detachLongest(ownCopy([put('', '')])); // nothing to detach: no error
  });

  it('a queued batch changed after write() is refused alone by the engine, taking no sequence numbers', async () => {
    const db = await shipped.Database.open(DB_DIR, { fs: new SimFs({ trace: false }) });
    const first = db.write([put('a', '1')]);
    const changed = ownCopy([put('b', '22')]);
    const second = db.write(changed);
    detachLongest(changed);
    const third = db.write([put('c', '3')]);
    expect((await first).seqStart).toBe(1);
    await expect(second).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    expect((await third).seqStart).toBe(2);
    await db.close();
  });
});
