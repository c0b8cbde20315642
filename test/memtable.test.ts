import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { WalError } from '../src/errors.ts';
import { KIND_DELETE, KIND_PUT, Memtable } from '../src/memtable/memtable.ts';
import type { Entry, ScanOptions } from '../src/memtable/memtable.ts';
import { HEIGHT_MAX, SkipListLevels } from '../src/memtable/skiplist-levels.ts';
import { VersionColumns } from '../src/memtable/version-columns.ts';

const SEED = Number(process.env.WALCHECK_SEED ?? 20240611);

// ---------------------------------------------------------------------------------------------
// A naive model: every version in an array; reads filter and sort it.

interface ModelVersion {
  key: Buffer;
  value: Buffer | undefined; // undefined: a tombstone
  seq: number;
}

class Model {
  readonly versions: ModelVersion[] = [];

  get lastSeq(): number {
    return this.versions.length === 0 ? 0 : this.versions[this.versions.length - 1]!.seq;
  }

  add(key: Buffer, value: Buffer | undefined, seq: number): void {
    this.versions.push({ key, value, seq });
  }

  get(key: Uint8Array, at = this.lastSeq): Buffer | undefined {
    let newest: ModelVersion | undefined;
    for (const v of this.versions) {
      if (
        v.seq <= at &&
        Buffer.compare(v.key, key) === 0 &&
        (newest === undefined || v.seq > newest.seq)
      )
        newest = v;
    }
    return newest?.value;
  }

  scan(options: ScanOptions = {}): [string, string][] {
    const at = options.at ?? this.lastSeq;
    const keys = [...new Map(this.versions.map((v) => [v.key.toString('hex'), v.key])).values()];
    keys.sort(Buffer.compare);
    const inRange = keys.filter(
      (k) =>
        (options.gte === undefined || Buffer.compare(k, options.gte) >= 0) &&
        (options.gt === undefined || Buffer.compare(k, options.gt) > 0) &&
        (options.lte === undefined || Buffer.compare(k, options.lte) <= 0) &&
        (options.lt === undefined || Buffer.compare(k, options.lt) < 0),
    );
    const live: [string, string][] = [];
    for (const k of inRange) {
      const value = this.get(k, at);
      if (value !== undefined) live.push([k.toString('hex'), value.toString('hex')]);
    }
    if (options.reverse === true) live.reverse();
    return live.slice(0, options.limit ?? Infinity);
  }
}

// ---------------------------------------------------------------------------------------------
// Chunks: keys and values are handed over inside larger buffers, at nonzero offsets, sometimes
// several versions in one chunk, sometimes subarrays of one shared slab.

type Place = (
  key: Uint8Array,
  value: Uint8Array,
) => { chunk: Buffer; keyOffset: number; valueOffset: number };

function makePlacer(random: () => number): Place {
  let slab = Buffer.alloc(512);
  let used = 0;
  return (key, value) => {
    const gap = Math.floor(random() * 3);
    const size = gap + key.length + value.length + 2;
    const style = random();
    if (style < 0.3) {
      // A fresh chunk of its own, junk around the bytes.
      const chunk = Buffer.alloc(size, 0xee);
      chunk.set(key, gap);
      chunk.set(value, gap + key.length + 1);
      return { chunk, keyOffset: gap, valueOffset: gap + key.length + 1 };
    }
    if (used + size > slab.length) {
      slab = Buffer.alloc(Math.max(512, size), 0xee);
      used = 0;
    }
    const start = used + gap;
    slab.set(key, start);
    slab.set(value, start + key.length + 1);
    used += size;
    if (style < 0.6) return { chunk: slab, keyOffset: start, valueOffset: start + key.length + 1 };
    // A subarray view of the slab, as a record cut out of a segment read.
    const view = slab.subarray(start - gap, start - gap + size);
    return { chunk: view, keyOffset: gap, valueOffset: gap + key.length + 1 };
  };
}

function xorshift(seed: number): () => number {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    return x / 2 ** 32;
  };
}

/** A memtable and its model, written in step. */
class Pair {
  readonly memtable = new Memtable();
  readonly model = new Model();
  private seq = 0;
  private readonly place: Place;

  constructor(seed = 1) {
    this.place = makePlacer(xorshift(seed));
  }

  put(key: Uint8Array | string, value: Uint8Array | string, bulk = false): void {
    this.write(toBytes(key), toBytes(value), KIND_PUT, bulk);
  }

  del(key: Uint8Array | string, bulk = false): void {
    this.write(toBytes(key), undefined, KIND_DELETE, bulk);
  }

  private write(key: Buffer, value: Buffer | undefined, kind: 0 | 1, bulk: boolean): void {
    const seq = ++this.seq;
    const bytes = value ?? Buffer.alloc(0);
    const { chunk, keyOffset, valueOffset } = this.place(key, bytes);
    const add = bulk ? this.memtable.bulkAppend : this.memtable.insert;
    add.call(this.memtable, chunk, keyOffset, key.length, valueOffset, bytes.length, kind, seq);
    this.model.add(Buffer.from(key), value === undefined ? undefined : Buffer.from(value), seq);
  }

  expectSame(options?: ScanOptions): void {
    expect(entries(this.memtable.scan(options))).toEqual(this.model.scan(options));
  }

  /** Full scans both ways and a get of every key, at every `step`-th snapshot and the latest. */
  expectAllSnapshots(step = 1): void {
    const keys = [...new Set(this.model.versions.map((v) => v.key.toString('hex')))].map((h) =>
      Buffer.from(h, 'hex'),
    );
    const snapshots = new Set<number>();
    for (let at = 0; at <= this.model.lastSeq; at += step) snapshots.add(at);
    snapshots.add(this.model.lastSeq);
    snapshots.add(this.model.lastSeq + 1);
    for (const at of snapshots) {
      this.expectSame({ at });
      this.expectSame({ at, reverse: true });
      for (const key of keys)
        expect(hex(this.memtable.get(key, at))).toEqual(hex(this.model.get(key, at)));
    }
  }
}

function toBytes(data: Uint8Array | string): Buffer {
  return typeof data === 'string' ? Buffer.from(data, 'latin1') : Buffer.from(data);
}

function hex(value: Buffer | undefined): string | undefined {
  return value?.toString('hex');
}

function entries(iterator: Iterable<Entry>): [string, string][] {
  return [...iterator].map((e) => [e.key.toString('hex'), e.value.toString('hex')]);
}

function keysOf(iterator: Iterable<Entry>): string[] {
  return [...iterator].map((e) => e.key.toString('latin1'));
}

function expectInvalid(run: () => unknown, name: string): void {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(WalError);
    expect((error as WalError).code).toBe('INVALID_ARGUMENT');
    expect((error as WalError).message).toContain(name);
    return;
  }
  throw new Error(`expected INVALID_ARGUMENT naming ${name}`);
}

// ---------------------------------------------------------------------------------------------

describe('memtable: order and versions', () => {
  it('scans keys ascending whatever the insert order, newest version winning', () => {
    const p = new Pair();
    for (const k of ['m', 'c', 'x', 'a', 'c', 'q', 'a']) p.put(k, `${k}@${p.model.lastSeq + 1}`);
    expect(keysOf(p.memtable.scan())).toEqual(['a', 'c', 'm', 'q', 'x']);
    expect(p.memtable.get(Buffer.from('c'))?.toString()).toBe('c@5');
    expect(p.memtable.get(Buffer.from('a'))?.toString()).toBe('a@7');
    expect(p.memtable.versionCount).toBe(7);
    expect(p.memtable.lastSeq).toBe(7);
    p.expectAllSnapshots();
  });

  it('hides older versions behind a tombstone, and a later put shows again', () => {
    const p = new Pair();
    p.put('k', 'v1'); // 1
    p.put('j', 'j1'); // 2
    p.del('k'); // 3
    expect(p.memtable.get(Buffer.from('k'))).toBeUndefined();
    expect(keysOf(p.memtable.scan())).toEqual(['j']);
    p.put('k', 'v2'); // 4
    expect(p.memtable.get(Buffer.from('k'))?.toString()).toBe('v2');
    expect(p.memtable.get(Buffer.from('k'), 1)?.toString()).toBe('v1');
    expect(p.memtable.get(Buffer.from('k'), 3)).toBeUndefined();
    expect(p.memtable.get(Buffer.from('k'), 0)).toBeUndefined();
    expect(p.memtable.get(Buffer.from('absent'))).toBeUndefined();
    p.del('never-written'); // a tombstone for a key that never had a value
    expect(p.memtable.get(Buffer.from('never-written'))).toBeUndefined();
    p.expectAllSnapshots();
  });

  it('reads every snapshot of a key with many versions (past the walk, into seeks)', () => {
    const p = new Pair();
    p.put('a', 'first');
    for (let i = 0; i < 60; i++) {
      if (i % 7 === 3) p.del('hot');
      else p.put('hot', `v${i}`);
      if (i % 10 === 0) p.put(`z${i}`, 'other');
    }
    p.put('b', 'last');
    p.expectAllSnapshots();
    for (let at = 0; at <= p.model.lastSeq; at += 5) {
      p.expectSame({ at, gte: Buffer.from('hot'), limit: 2 });
      p.expectSame({ at, lte: Buffer.from('hot'), reverse: true, limit: 2 });
    }
  });

  it('an empty memtable reads nothing', () => {
    const memtable = new Memtable();
    expect(memtable.get(Buffer.alloc(0))).toBeUndefined();
    expect([...memtable.scan()]).toEqual([]);
    expect([...memtable.scan({ reverse: true })]).toEqual([]);
    expect(memtable.versionCount).toBe(0);
    expect(memtable.lastSeq).toBe(0);
  });

  it('returns views of the chunk, not copies', () => {
    const memtable = new Memtable();
    const chunk = Buffer.from('..key=value..');
    memtable.insert(chunk, 2, 3, 6, 5, KIND_PUT, 1);
    const value = memtable.get(Buffer.from('key'))!;
    expect(value.toString()).toBe('value');
    expect(value.buffer).toBe(chunk.buffer);
    const [entry] = [...memtable.scan()];
    expect(entry!.key.buffer).toBe(chunk.buffer);
    expect(entry!.key.byteOffset).toBe(chunk.byteOffset + 2);
  });
});

describe('memtable: key bytes', () => {
  it('handles empty keys and empty values', () => {
    const p = new Pair();
    p.put('', 'empty key');
    p.put('a', '');
    p.put('b', 'x');
    expect(p.memtable.get(Buffer.alloc(0))?.toString()).toBe('empty key');
    expect(p.memtable.get(Buffer.from('a'))?.length).toBe(0);
    expect(keysOf(p.memtable.scan())).toEqual(['', 'a', 'b']);
    expect(keysOf(p.memtable.scan({ gt: Buffer.alloc(0) }))).toEqual(['a', 'b']);
    expect(keysOf(p.memtable.scan({ lte: Buffer.alloc(0) }))).toEqual(['']);
    expect(keysOf(p.memtable.scan({ lt: Buffer.alloc(0) }))).toEqual([]);
    p.put('', '');
    expect(p.memtable.get(Buffer.alloc(0))?.length).toBe(0);
    p.del('');
    expect(p.memtable.get(Buffer.alloc(0))).toBeUndefined();
    p.expectAllSnapshots();
  });

  it('sorts a key that is a prefix of another first', () => {
    const p = new Pair();
    const keys = [
      'ab',
      'a\x00',
      'abc',
      'a',
      'a\xff',
      'a\x00\x00',
      'abcd',
      'abcde',
      'abcd\x00',
      'b',
      '',
    ];
    for (const k of keys) p.put(k, k);
    expect(keysOf(p.memtable.scan())).toEqual([
      '',
      'a',
      'a\x00',
      'a\x00\x00',
      'ab',
      'abc',
      'abcd',
      'abcd\x00',
      'abcde',
      'a\xff',
      'b',
    ]);
    p.expectAllSnapshots();
  });

  it('orders binary keys as unsigned bytes, 0x00 and 0xff included', () => {
    const p = new Pair();
    const keys = [
      [0xff],
      [0x00],
      [],
      [0x7f],
      [0x80],
      [0xff, 0xff],
      [0x00, 0x00],
      [0x00, 0xff],
      [0xff, 0x00, 0x00, 0x00, 0x01],
    ];
    for (const k of keys) p.put(Uint8Array.from(k), Uint8Array.from([k.length]));
    const expected = [...keys]
      .map((k) => Buffer.from(k))
      .sort(Buffer.compare)
      .map((k) => k.toString('hex'));
    expect([...p.memtable.scan()].map((e) => e.key.toString('hex'))).toEqual(expected);
    expect(p.memtable.get(Uint8Array.from([0xff, 0xff]))?.[0]).toBe(2);
    expect(p.memtable.get(Uint8Array.from([0xff, 0xff, 0xff]))).toBeUndefined();
    p.expectSame({ gte: Uint8Array.from([0x00]), lt: Uint8Array.from([0xff]) });
    p.expectSame({
      gt: Uint8Array.from([0x7f]),
      lte: Uint8Array.from([0xff, 0x00]),
      reverse: true,
    });
    p.expectAllSnapshots();
  });

  it('compares long keys that share a long prefix', () => {
    const p = new Pair();
    const stem = 'x'.repeat(100);
    for (const tail of ['b', 'a', '', 'ab', '\x00', 'c'.repeat(60), 'c'.repeat(59)])
      p.put(stem + tail, tail);
    p.put('x'.repeat(99), 'short');
    p.expectAllSnapshots();
    p.expectSame({ gt: Buffer.from(stem), lt: Buffer.from(stem + 'b') });
  });
});

describe('memtable: scan bounds, reverse, limit', () => {
  const p = new Pair();
  for (const k of ['b', 'd', 'f', 'h']) p.put(k, k.toUpperCase());
  p.del('f');
  p.put('d', 'D2');
  const probes = ['', 'a', 'b', 'c', 'd', 'e', 'f', 'h', 'i', 'd\x00'];

  it('matches the model for every combination of lower bound, upper bound and direction', () => {
    let checked = 0;
    for (const lowerName of [undefined, 'gte', 'gt'] as const) {
      for (const upperName of [undefined, 'lte', 'lt'] as const) {
        for (const lower of lowerName === undefined ? [undefined] : probes) {
          for (const upper of upperName === undefined ? [undefined] : probes) {
            for (const reverse of [false, true]) {
              const options: ScanOptions = { reverse };
              if (lowerName !== undefined) options[lowerName] = Buffer.from(lower!, 'latin1');
              if (upperName !== undefined) options[upperName] = Buffer.from(upper!, 'latin1');
              p.expectSame(options);
              p.expectSame({ ...options, at: 3 });
              checked++;
            }
          }
        }
      }
    }
    expect(checked).toBe(2 * (1 + 2 * probes.length) ** 2);
  });

  it('empty and inverted ranges yield nothing', () => {
    expect(keysOf(p.memtable.scan({ gte: Buffer.from('e'), lte: Buffer.from('c') }))).toEqual([]);
    expect(keysOf(p.memtable.scan({ gt: Buffer.from('d'), lt: Buffer.from('d') }))).toEqual([]);
    expect(
      keysOf(p.memtable.scan({ gt: Buffer.from('d'), lt: Buffer.from('e'), reverse: true })),
    ).toEqual([]);
    expect(keysOf(p.memtable.scan({ gte: Buffer.from('d'), lte: Buffer.from('d') }))).toEqual([
      'd',
    ]);
  });

  it('limit stops the scan, forward and reverse', () => {
    expect(keysOf(p.memtable.scan({ limit: 0 }))).toEqual([]);
    expect(keysOf(p.memtable.scan({ limit: 1 }))).toEqual(['b']);
    expect(keysOf(p.memtable.scan({ limit: 2, reverse: true }))).toEqual(['h', 'd']);
    expect(keysOf(p.memtable.scan({ limit: 3 }))).toEqual(['b', 'd', 'h']);
    expect(keysOf(p.memtable.scan({ limit: 100, reverse: true }))).toEqual(['h', 'd', 'b']);
    expect(keysOf(p.memtable.scan({ limit: 1, gt: Buffer.from('b') }))).toEqual(['d']);
  });

  it('reads at a snapshot', () => {
    expect(entries(p.memtable.scan({ at: 0 }))).toEqual([]);
    expect(keysOf(p.memtable.scan({ at: 4 }))).toEqual(['b', 'd', 'f', 'h']);
    expect(keysOf(p.memtable.scan({ at: 5, reverse: true }))).toEqual(['h', 'd', 'b']);
    expect(p.memtable.get(Buffer.from('d'), 5)?.toString()).toBe('D');
    expect(p.memtable.get(Buffer.from('d'), 6)?.toString()).toBe('D2');
    expect(p.memtable.get(Buffer.from('d'), 1000)?.toString()).toBe('D2');
  });

  it('an open scan keeps its snapshot while inserts go on', () => {
    const q = new Pair();
    for (let i = 0; i < 50; i++) q.put(`k${String(i).padStart(3, '0')}`, 'old');
    const before = q.model.scan();
    const beforeReverse = q.model.scan({ reverse: true });
    const forward = q.memtable.scan();
    const backward = q.memtable.scan({ reverse: true });
    const seen: [string, string][] = [];
    const seenReverse: [string, string][] = [];
    for (let i = 0; ; i++) {
      const a = forward.next();
      const b = backward.next();
      if (a.done === true && b.done === true) break;
      if (a.done !== true) seen.push([a.value.key.toString('hex'), a.value.value.toString('hex')]);
      if (b.done !== true)
        seenReverse.push([b.value.key.toString('hex'), b.value.value.toString('hex')]);
      // Enough inserts to grow every column several times over.
      for (let j = 0; j < 60; j++) {
        const k = `k${String((i * 7 + j) % 120).padStart(3, '0')}`;
        if (j % 5 === 0) q.del(k);
        else q.put(k, `new${i}`);
      }
    }
    expect(seen).toEqual(before);
    expect(seenReverse).toEqual(beforeReverse);
    q.expectSame();
  });

  it('a scan at a snapshot past the latest stays at the latest of its opening', () => {
    const q = new Pair();
    q.put('a', '1');
    q.put('c', '3');
    const future = q.memtable.scan({ at: 1000 });
    expect(future.next().value?.key.toString()).toBe('a');
    q.put('b', '2');
    q.del('c');
    expect(keysOf(future)).toEqual(['c']);
    expect(keysOf(q.memtable.scan({ at: 1000 }))).toEqual(['a', 'b']);
  });
});

describe('memtable: bulk load', () => {
  function bulkVersusInsert(
    writes: [string | Uint8Array, string | undefined][],
    seed: number,
  ): void {
    const bulk = new Pair(seed);
    const inserted = new Pair(seed);
    for (const [key, value] of writes) {
      if (value === undefined) {
        bulk.del(key, true);
        inserted.del(key);
      } else {
        bulk.put(key, value, true);
        inserted.put(key, value);
      }
    }
    bulk.memtable.finishBulk();
    expect(bulk.memtable.versionCount).toBe(writes.length);
    expect(bulk.memtable.lastSeq).toBe(writes.length);
    expect(entries(bulk.memtable.scan())).toEqual(entries(inserted.memtable.scan()));
    const step = Math.max(1, Math.floor(writes.length / 30));
    bulk.expectAllSnapshots(step);
    // Inserts continue after a bulk load.
    bulk.put('after', 'bulk');
    bulk.del(writes[0]?.[0] ?? 'x');
    bulk.expectAllSnapshots(step);
  }

  it('equals the same versions inserted one by one', () => {
    const random = xorshift(SEED);
    const writes: [string, string | undefined][] = [];
    for (let i = 0; i < 300; i++) {
      const key = String.fromCharCode(
        ...Array.from(
          { length: Math.floor(random() * 6) },
          () => [0, 1, 0x61, 0x62, 0xff][Math.floor(random() * 5)]!,
        ),
      );
      writes.push([key, random() < 0.2 ? undefined : `v${i}`]);
    }
    bulkVersusInsert(writes, 7);
  });

  it('sorts keys that tie on many 4-byte digits, and keys that differ only in length', () => {
    const writes: [string, string | undefined][] = [];
    const random = xorshift(SEED + 1);
    for (let i = 0; i < 400; i++) {
      const tail = String(Math.floor(random() * 50)).padStart(2, '0');
      writes.push([`user:account:${tail}`, `v${i}`]); // ties at depth 4, 8, 12
      writes.push([
        'a' + '\x00'.repeat(Math.floor(random() * 9)),
        i % 9 === 0 ? undefined : `z${i}`,
      ]); // lengths only
      if (i % 3 === 0) writes.push(['same-key-many-versions', `s${i}`]);
    }
    bulkVersusInsert(writes, 8);
  });

  it('handles a large run (wide radix digits) of random binary keys', () => {
    const random = xorshift(SEED + 2);
    const memtable = new Memtable();
    const expected = new Map<string, string>();
    const count = 40_000;
    const chunk = Buffer.alloc(count * 8);
    for (let i = 0; i < count; i++) {
      for (let b = 0; b < 8; b++) chunk[i * 8 + b] = Math.floor(random() * 256);
      if (i % 100 === 0) chunk[i * 8 + 3] = 0; // some ties on the first 4 bytes
      const keyLength = 3 + (i % 3); // 3..5 bytes, value the rest of the 8
      memtable.bulkAppend(
        chunk,
        i * 8,
        keyLength,
        i * 8 + keyLength,
        8 - keyLength,
        KIND_PUT,
        i + 1,
      );
      expected.set(
        chunk.toString('hex', i * 8, i * 8 + keyLength),
        chunk.toString('hex', i * 8 + keyLength, i * 8 + 8),
      );
    }
    memtable.finishBulk();
    const want = [...expected].sort(([a], [b]) =>
      Buffer.compare(Buffer.from(a, 'hex'), Buffer.from(b, 'hex')),
    );
    expect(entries(memtable.scan())).toEqual(want);
    expect(entries(memtable.scan({ reverse: true }))).toEqual([...want].reverse());
  });

  it('finishBulk on nothing is a no-op, and inserts may follow', () => {
    const memtable = new Memtable();
    memtable.finishBulk();
    memtable.insert(Buffer.from('kv'), 0, 1, 1, 1, KIND_PUT, 1);
    expect(memtable.get(Buffer.from('k'))?.toString()).toBe('v');
  });
});

describe('memtable: misuse', () => {
  it('rejects bad options with INVALID_ARGUMENT naming the option', () => {
    const memtable = new Memtable();
    memtable.insert(Buffer.from('kv'), 0, 1, 1, 1, KIND_PUT, 1);
    for (const limit of [-1, 1.5, Number.NaN, Infinity, '3'])
      expectInvalid(() => memtable.scan({ limit: limit as number }), 'limit');
    for (const at of [-1, 0.5, Number.NaN, 2 ** 53, '1'])
      expectInvalid(() => memtable.scan({ at: at as number }), 'at');
    for (const at of [-1, 0.5, 2 ** 53])
      expectInvalid(() => memtable.get(Buffer.from('k'), at), 'at');
    expectInvalid(() => memtable.scan({ reverse: 'yes' as unknown as boolean }), 'reverse');
    expectInvalid(() => memtable.scan({ gte: 'a' as unknown as Uint8Array }), 'gte');
    expectInvalid(() => memtable.scan({ lt: [1] as unknown as Uint8Array }), 'lt');
    expectInvalid(() => memtable.scan({ gt: Buffer.from('a'), gte: Buffer.from('a') }), 'gt');
    expectInvalid(() => memtable.scan({ lt: Buffer.from('a'), lte: Buffer.from('a') }), 'lte');
    expectInvalid(() => memtable.scan(null as unknown as ScanOptions), 'options');
    expectInvalid(() => memtable.get('k' as unknown as Uint8Array), 'key');
  });

  it('asserts seq order and the bulk protocol', () => {
    const memtable = new Memtable();
    const chunk = Buffer.from('kv');
    memtable.insert(chunk, 0, 1, 1, 1, KIND_PUT, 5);
    expect(() => memtable.insert(chunk, 0, 1, 1, 1, KIND_PUT, 5)).toThrow(/invariant/);
    expect(() => memtable.insert(chunk, 0, 1, 1, 1, KIND_PUT, 4)).toThrow(/invariant/);
    expect(() => memtable.insert(chunk, 0, 1, 1, 1, KIND_PUT, 2 ** 53)).toThrow(/invariant/);
    expect(() => memtable.insert(chunk, 0, 1, 1, 2, KIND_PUT, 6)).toThrow(/invariant/); // past the chunk
    expect(() => memtable.insert(chunk, 0, 1, 1, 1, KIND_DELETE, 6)).toThrow(/invariant/); // tombstone with a value
    expect(() => memtable.bulkAppend(chunk, 0, 1, 1, 1, KIND_PUT, 6)).toThrow(/invariant/);
    expect(() => memtable.finishBulk()).toThrow(/invariant/);

    const bulk = new Memtable();
    bulk.bulkAppend(chunk, 0, 1, 1, 1, KIND_PUT, 1);
    expect(() => bulk.get(Buffer.from('k'))).toThrow(/invariant/);
    expect(() => bulk.scan()).toThrow(/invariant/);
    expect(() => bulk.insert(chunk, 0, 1, 1, 1, KIND_PUT, 2)).toThrow(/invariant/);
    expect(() => bulk.bulkAppend(chunk, 0, 1, 1, 1, KIND_PUT, 1)).toThrow(/invariant/);
    bulk.finishBulk();
    expect(bulk.get(Buffer.from('k'))?.toString()).toBe('v');
    expect(bulk.versionCount).toBe(1);
  });
});

describe('memtable: building blocks', () => {
  it("skip-list heights: a seed that folds to xorshift's fixed point 0 still draws varied heights", () => {
    // imul(0x242c9185, 0x9e3779b1) ^ 0x6d2b79f5 === 0: the state falls back to the one seed 0 gets.
    const heights = (seed: number): number[] => {
      const levels = new SkipListLevels(seed);
      return Array.from({ length: 4000 }, () => levels.nextHeight());
    };
    const folded = heights(0x242c9185);
    expect(folded).toEqual(heights(0));
    expect(folded).not.toEqual(heights(1));
    const ones = folded.filter((h) => h === 1).length;
    expect(ones).toBeGreaterThan(2800); // 3/4 expected, not stuck at HEIGHT_MAX
    expect(ones).toBeLessThan(3200);
    expect(Math.max(...folded)).toBeLessThanOrEqual(HEIGHT_MAX);
    expect(Math.min(...folded)).toBe(1);
  });

  it('compareVersions: key ascending (prefix first, then bytes, then length), then seq descending', () => {
    // Bulk sorting only ever compares versions whose first 4 bytes tie; the order must hold for any pair.
    const v = new VersionColumns();
    const chunk = Buffer.from('a' + 'b' + 'abcdX' + 'abcdY' + 'abcd');
    const add = (offset: number, length: number, seq: number) =>
      v.append(chunk, offset, length, 0, 0, KIND_PUT, seq);
    const a = add(0, 1, 1);
    const b = add(1, 1, 2);
    const x = add(2, 5, 3);
    const y = add(7, 5, 4);
    const abcd = add(12, 4, 5);
    const aNewer = add(0, 1, 6);
    const sign = (p: number, q: number) => Math.sign(v.compareVersions(p, q));
    expect([sign(a, b), sign(b, a)]).toEqual([-1, 1]); // prefixes differ
    expect([sign(x, y), sign(y, x)]).toEqual([-1, 1]); // prefixes tie, byte 5 differs
    expect([sign(abcd, x), sign(x, abcd)]).toEqual([-1, 1]); // a prefix of the other sorts first
    expect([sign(aNewer, a), sign(a, aNewer)]).toEqual([-1, 1]); // same key: the newer first
    expect(sign(x, x)).toBe(0);
  });
});

// ---------------------------------------------------------------------------------------------
// Property: random operation sequences against the model.

const ALPHABET = [0x00, 0x01, 0x61, 0x62, 0xfe, 0xff];
const keyArb = fc
  .array(fc.constantFrom(...ALPHABET), { maxLength: 5 })
  .map((bytes) => Uint8Array.from(bytes));
const valueArb = fc.uint8Array({ maxLength: 4 });
const atArb = fc.option(fc.double({ min: 0, max: 1.2, noNaN: true }), { nil: undefined }); // fraction of lastSeq

const writeArb = fc.oneof(
  {
    weight: 4,
    arbitrary: fc.record({ type: fc.constant('put' as const), key: keyArb, value: valueArb }),
  },
  { weight: 1, arbitrary: fc.record({ type: fc.constant('del' as const), key: keyArb }) },
);
const readArb = fc.oneof(
  fc.record({ type: fc.constant('get' as const), key: keyArb, at: atArb }),
  fc.record({
    type: fc.constant('scan' as const),
    lower: fc.option(fc.record({ key: keyArb, inclusive: fc.boolean() }), { nil: undefined }),
    upper: fc.option(fc.record({ key: keyArb, inclusive: fc.boolean() }), { nil: undefined }),
    reverse: fc.boolean(),
    limit: fc.option(fc.nat(6), { nil: undefined }),
    at: atArb,
    writeMidway: fc.option(fc.record({ key: keyArb, value: valueArb }), { nil: undefined }),
  }),
);
const scenarioArb = fc.record({
  bulk: fc.array(writeArb, { maxLength: 120 }),
  ops: fc.array(fc.oneof(writeArb, readArb), { maxLength: 60 }),
  placerSeed: fc.integer({ min: 1, max: 2 ** 31 }),
});

type Scenario = typeof scenarioArb extends fc.Arbitrary<infer T> ? T : never;

function runScenario({ bulk, ops, placerSeed }: Scenario): void {
  const p = new Pair(placerSeed);
  for (const op of bulk) {
    if (op.type === 'put') p.put(op.key, op.value, true);
    else p.del(op.key, true);
  }
  p.memtable.finishBulk();
  const snapshot = (fraction: number | undefined) =>
    fraction === undefined ? undefined : Math.floor(fraction * p.model.lastSeq);
  for (const op of ops) {
    if (op.type === 'put') {
      p.put(op.key, op.value);
    } else if (op.type === 'del') {
      p.del(op.key);
    } else if (op.type === 'get') {
      const at = snapshot(op.at);
      expect(hex(p.memtable.get(op.key, at))).toEqual(hex(p.model.get(op.key, at)));
    } else {
      const options: ScanOptions = { reverse: op.reverse, limit: op.limit, at: snapshot(op.at) };
      if (op.lower !== undefined) options[op.lower.inclusive ? 'gte' : 'gt'] = op.lower.key;
      if (op.upper !== undefined) options[op.upper.inclusive ? 'lte' : 'lt'] = op.upper.key;
      const expected = p.model.scan(options);
      const iterator = p.memtable.scan(options);
      const got: [string, string][] = [];
      for (const entry of iterator) {
        got.push([entry.key.toString('hex'), entry.value.toString('hex')]);
        // A write while the scan is open must not show in it.
        if (got.length === 1 && op.writeMidway !== undefined)
          p.put(op.writeMidway.key, op.writeMidway.value);
      }
      expect(got).toEqual(expected);
    }
  }
  p.expectAllSnapshots();
}

describe('memtable: property against a naive model', () => {
  it(`random operation sequences (seed ${SEED}, WALCHECK_SEED to change)`, () => {
    console.log(`memtable property seed: ${SEED}`);
    fc.assert(fc.property(scenarioArb, runScenario), { seed: SEED, numRuns: 600 });
  });
});
