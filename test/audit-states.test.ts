// Crash states of a recorded run (faults/audit/crash-states.ts) from hand-made runs: a crash
// point before and after every operation (and inside an O_DSYNC write), acks counted at each,
// every variant enumerated up to the bound and seeded draws beyond, every token rebuilding
// the same image alone, unreplayable traces refused; the kept-run format round trip; globs.

import { afterAll, describe, expect, it } from 'vitest';
import type { AuditOp, RecordedRun, TracedOp } from '../faults/audit/trace/audit-ops.ts';
import { HistoryRecipe } from '../faults/audit/audit-history.ts';
import { loadCycle, saveCycle } from '../faults/audit/audit-keep.ts';
import {
  crashStates,
  describePoint,
  formatToken,
  hashImage,
  parseToken,
  type PointStates,
  type StateOptions,
  stateOf,
  traceAround,
} from '../faults/audit/crash-states.ts';
import { materialize } from '../faults/audit/materialize.ts';
import { globsMatcher } from '../faults/audit/recorder.ts';
import { HarnessInputError } from '../faults/base/harness-error.ts';
import { makeTempDir, removeTempDirs, snapshotTree } from './support/temp-dirs.ts';

afterAll(removeTempDirs);

const SEED = Number(process.env.WALCHECK_SEED ?? 7);
const text = (s: string): Uint8Array => new TextEncoder().encode(s);

function run(ops: AuditOp[], start: RecordedRun['start'] = []): RecordedRun {
  return {
    start,
    ops: ops.map((op, index): TracedOp => ({ op, index, pid: 1, text: `#${index} ${op.kind}` })),
  };
}

const ALL: StateOptions = {
  cycle: 1,
  seed: SEED,
  outcomes: ['lose-unsynced', 'keep-prefix', 'tear-sectors', 'reorder-metadata'],
  statesPerKind: 64,
};

async function collect(r: RecordedRun, options: StateOptions = ALL): Promise<PointStates[]> {
  const out: PointStates[] = [];
  for await (const point of crashStates(r, options)) out.push(point);
  return out;
}

function images(point: PointStates): Set<string> {
  return new Set(
    point.states.map((s) =>
      JSON.stringify([...s.image].map(([p, d]) => [p, new TextDecoder().decode(d)]).sort()),
    ),
  );
}

/** create log, write "ab", fsync, fsync dir, ack. */
const SYNCED_APPEND: AuditOp[] = [
  { kind: 'create', path: 'log' },
  { kind: 'write', path: 'log', offset: 0, data: text('ab'), durable: false },
  { kind: 'fsync', path: 'log' },
  { kind: 'fsyncDir', path: '' },
  { kind: 'ack', lines: 1 },
];

describe('crash points', () => {
  it('come before and after every operation, with the acks written before each', async () => {
    const points = await collect(run(SYNCED_APPEND));
    expect(points.map((p) => p.point.applied)).toEqual([0, 1, 2, 3, 4, 5]);
    expect(points.map((p) => p.acked)).toEqual([0, 0, 0, 0, 0, 1]);
    // before the dir fsync the name may be lost; after it every outcome keeps "ab"
    expect(images(points[3]!)).toEqual(new Set(['[]', '[["log","ab"]]']));
    expect(images(points[4]!)).toEqual(new Set(['[["log","ab"]]']));
    expect(images(points[5]!)).toEqual(new Set(['[["log","ab"]]']));
  });

  it('unsynced bytes may persist as any prefix, torn or not at all', async () => {
    const points = await collect(run(SYNCED_APPEND.slice(0, 2)));
    const last = images(points[2]!);
    expect(last).toContain('[]'); // the name itself is not durable
    expect(last).toContain('[["log",""]]');
    expect(last).toContain('[["log","a"]]');
    expect(last).toContain('[["log","ab"]]');
  });

  it('an O_DSYNC write adds the point between its bytes and their flush', async () => {
    const r = run([
      { kind: 'create', path: 'log' },
      { kind: 'fsyncDir', path: '' },
      { kind: 'write', path: 'log', offset: 0, data: text('xy'), durable: true },
      { kind: 'ack', lines: 2 },
    ]);
    const points = await collect(r);
    expect(points.map((p) => [p.point.applied, p.point.midWrite])).toEqual([
      [0, false],
      [1, false],
      [2, false],
      [2, true],
      [3, false],
      [4, false],
    ]);
    expect(images(points[3]!)).toContain('[["log",""]]');
    expect(images(points[3]!)).toContain('[["log","xy"]]');
    expect(images(points[4]!)).toEqual(new Set(['[["log","xy"]]']));
    expect(points[5]!.acked).toBe(2);
    expect(describePoint(r, points[3]!.point)).toBe('during #2 write (written, not yet flushed)');
    expect(describePoint(r, points[2]!.point)).toBe('before #2 write (2 of 4 operations done)');
    expect(describePoint(r, points[5]!.point)).toBe('after the last of 4 operations');
    expect(traceAround(r, points[3]!.point).join('\n')).toContain('its O_DSYNC flush did not');
    expect(traceAround(r, points[5]!.point).at(-1)).toContain('after the last');
  });

  it('replays every directory operation and starts from durable start entries', async () => {
    const r = run(
      [
        { kind: 'mkdir', path: 'd' },
        { kind: 'create', path: 'd/f' },
        { kind: 'truncate', path: 'd/f', size: 3 },
        { kind: 'link', from: 'd/f', to: 'g' },
        { kind: 'rename', from: 'old', to: 'new' },
        { kind: 'unlink', path: 'g' },
        { kind: 'rmdir', path: 'empty' },
        { kind: 'fsync', path: 'd' }, // an fsync of a directory syncs its entries
        { kind: 'syncAll' },
      ],
      [
        { kind: 'file', path: 'old', data: text('o') },
        { kind: 'dir', path: 'empty' },
      ],
    );
    const points = await collect(r);
    expect(images(points[0]!)).toEqual(new Set(['[["empty/",""],["old","o"]]']));
    expect(images(points.at(-1)!)).toEqual(
      new Set(['[["d/",""],["d/f","\\u0000\\u0000\\u0000"],["new","o"]]']),
    );
  });

  it('refuses an operation the model cannot replay, naming it', async () => {
    const r = run([{ kind: 'write', path: 'missing', offset: 0, data: text('x'), durable: false }]);
    const error = await collect(r).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(HarnessInputError);
    expect((error as HarnessInputError).code).toBe('UNMODELED');
    expect((error as Error).message).toContain('cannot replay #0 write');
  });
});

describe('state tokens', () => {
  it('round-trip and reject anything else', () => {
    const id = parseToken('3:41w:keep-prefix:r12');
    expect(id).toEqual({
      cycle: 3,
      point: { applied: 41, midWrite: true },
      kind: 'keep-prefix',
      mode: 'r',
      n: 12,
    });
    expect(formatToken(id)).toBe('3:41w:keep-prefix:r12');
    for (const bad of ['', '1:2:bit-flip:e0', '1:2:keep-prefix', 'x:1:keep-prefix:e0'])
      expect(() => parseToken(bad)).toThrow(HarnessInputError);
  });

  it('rebuild exactly the image of every state, enumerated or drawn', async () => {
    const r = run([
      { kind: 'create', path: 'a' },
      { kind: 'write', path: 'a', offset: 0, data: new Uint8Array(1500).fill(7), durable: false },
      { kind: 'create', path: 'b' },
      { kind: 'write', path: 'b', offset: 0, data: text('hello'), durable: true },
      { kind: 'rename', from: 'b', to: 'c' },
      { kind: 'ack', lines: 1 },
    ]);
    const options = { ...ALL, statesPerKind: 5 };
    const points = await collect(r, options);
    const modes = new Set(points.flatMap((p) => p.states.map((s) => s.id.mode)));
    expect(modes).toEqual(new Set(['e', 'r'])); // small counts enumerated, large ones drawn
    for (const point of points)
      for (const state of point.states) {
        const again = await stateOf(r, parseToken(formatToken(state.id)), SEED);
        expect(again.hash, formatToken(state.id)).toBe(state.hash);
        expect(again.acked).toBe(point.acked);
      }
  });

  it('refuse a crash point or variant the run does not have', async () => {
    const r = run(SYNCED_APPEND);
    await expect(stateOf(r, parseToken('1:9:lose-unsynced:e0'), SEED)).rejects.toThrow(
      /no such crash point/,
    );
    await expect(stateOf(r, parseToken('1:1w:lose-unsynced:e0'), SEED)).rejects.toThrow(
      /durable write/,
    );
    await expect(stateOf(r, parseToken('1:2:lose-unsynced:e1'), SEED)).rejects.toThrow(
      /only 1 lose-unsynced variants/,
    );
  });
});

describe('kept runs and images', () => {
  it('save and load a cycle with every byte, and materialize an image', async () => {
    const dir = await makeTempDir('audit-keep');
    const r = run(SYNCED_APPEND, [
      { kind: 'file', path: 'x/y', data: Uint8Array.of(0, 255, 1) },
      { kind: 'dir', path: 'x' },
    ]);
    await saveCycle(
      dir,
      { cycle: 2, seed: 5, engine: 'e', lines: ['[]'], acks: [{ seqStart: 1 }], run: r },
      'trace',
    );
    const back = await loadCycle(dir, 2);
    expect(back).toEqual({
      cycle: 2,
      seed: 5,
      engine: 'e',
      lines: ['[]'],
      acks: [{ seqStart: 1 }],
      run: r,
    });
    await expect(loadCycle(dir, 3)).rejects.toThrow(/cannot read/);
    const out = await makeTempDir('audit-image');
    const image = new Map([
      ['a/b', text('z')],
      ['c', text('')],
    ]);
    await materialize(image, out);
    expect(await snapshotTree(out)).toEqual({ 'a/': 'dir', 'a/b': '7a', c: '' });
    await expect(materialize(image, out)).rejects.toThrow(/not empty/);
    expect(hashImage(image)).not.toBe(hashImage(new Map([['a/b', text('z')]])));
  });
});

describe('history recipe', () => {
  it('keeps the prefix an earlier cycle recovered and acks this cycle as far as asked', () => {
    const put = (v: number) => [
      { type: 'put' as const, key: Uint8Array.of(1), value: Uint8Array.of(v) },
    ];
    const recipe = new HistoryRecipe(
      [
        {
          batches: [put(1), put(2)],
          acks: [{ seqStart: 1 }, { seqStart: 2 }],
          acked: 2,
          k: 1,
          line: 'main',
        },
      ],
      { batches: [put(3)], acks: [{ seqStart: 2 }] },
    );
    expect(recipe.at(0).lines()[0]).toMatchObject({ kMin: 1, kMax: 2 });
    expect(recipe.at(1).lines()[0]).toMatchObject({ kMin: 2, kMax: 2 });
    expect(recipe.at(1)).toBe(recipe.at(1));
    expect(recipe.build(1)).not.toBe(recipe.at(1));
  });
});

describe('--ignore globs', () => {
  it('match a name anywhere without a slash, a path with one', () => {
    expect(globsMatcher([])).toBeNull();
    const m = globsMatcher(['*-shm', 'tmp/**', 'a?c'])!;
    expect(m('kv.sqlite-shm')).toBe(true);
    expect(m('sub/kv.sqlite-shm')).toBe(true);
    expect(m('kv.sqlite-wal')).toBe(false);
    expect(m('tmp/x/y')).toBe(true);
    expect(m('abc')).toBe(true);
    expect(m('a.c.d')).toBe(false);
  });
});
