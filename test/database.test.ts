// The database's write path and its edges: group commit (contiguous sequence numbers in
// acceptance order, every acknowledged batch durable), segment rotation, the directory
// lock (in-process, across processes, stale), and bad input refused with a code and a
// message naming what was wrong, writing nothing.

import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import {
  type Batch,
  Database,
  NodeFileSystem,
  type OpenOptions,
  scanLog,
  WalError,
} from '../src/index.ts';
import { InstrumentedFs } from './support/instrumented-fs.ts';
import { makeTempDir, removeTempDirs, snapshotTree } from './support/temp-dirs.ts';

afterAll(removeTempDirs);

const fs = new NodeFileSystem();
const text = (s: string): Buffer => Buffer.from(s);
const put = (key: string, value: string) =>
  ({ type: 'put', key: text(key), value: text(value) }) as const;

async function rejection(promise: Promise<unknown>): Promise<WalError> {
  const error = await promise.then(
    () => null,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(WalError);
  return error as WalError;
}

function thrown(action: () => unknown): WalError {
  try {
    action();
  } catch (error) {
    expect(error).toBeInstanceOf(WalError);
    return error as WalError;
  }
  throw new Error('expected a WalError to be thrown');
}

describe('group commit', () => {
  it('64 concurrent writers: contiguous sequence numbers in call order, grouped syncs, all durable', async () => {
    const dir = await makeTempDir('group');
    const instrumented = new InstrumentedFs();
    const db = await Database.open(dir, { fs: instrumented });
    const writers = 64;
    const batches: Batch[] = Array.from({ length: writers }, (_, w) =>
      Array.from({ length: 1 + (w % 4) }, (_, j) => put(`w${w}-${j}`, `value ${w}.${j}`)),
    );
    const syncsBefore = instrumented.syncs;
    const results = await Promise.all(batches.map((batch) => db.write(batch)));
    const syncs = instrumented.syncs - syncsBefore;

    let expectedStart = 1;
    results.forEach((result, w) => {
      expect(result, `writer ${w}`).toEqual({ seqStart: expectedStart, count: batches[w]!.length });
      expectedStart += batches[w]!.length;
    });
    expect(db.lastSeq).toBe(expectedStart - 1);
    expect(syncs).toBeGreaterThanOrEqual(1);
    expect(syncs).toBeLessThan(writers); // batches shared an O_DSYNC write
    await db.close();

    const reopened = await Database.open(dir, { recovery: 'strict' });
    try {
      expect(reopened.lastSeq).toBe(expectedStart - 1);
      for (const batch of batches) {
        for (const op of batch)
          expect(reopened.get(op.key)?.toString()).toBe(
            op.type === 'put' ? op.value.toString() : undefined,
          );
      }
      // Batch-atomic snapshots: at the seq just before writer 10's batch, none of it is visible.
      expect(reopened.get(text('w10-0'), { at: results[10]!.seqStart - 1 })).toBeUndefined();
      expect(reopened.get(text('w10-1'), { at: results[10]!.seqStart })).toBeUndefined(); // mid-batch: rounded down
      expect(reopened.get(text('w10-2'), { at: results[10]!.seqStart + 2 })?.toString()).toBe(
        'value 10.2',
      );
    } finally {
      await reopened.close();
    }
    const scan = await scanLog(fs, dir);
    expect(scan).toMatchObject({ status: 'clean', records: writers, lastSeq: expectedStart - 1 });
  });

  it('a failed sync rejects the group and every later write, applies nothing, and recovery reopens', async () => {
    const dir = await makeTempDir('fail-closed');
    const instrumented = new InstrumentedFs();
    const db = await Database.open(dir, { fs: instrumented });
    await db.write([put('before', '1')]);
    instrumented.failSyncs = true;
    const failed = await Promise.allSettled([db.write([put('a', '1')]), db.write([put('b', '2')])]);
    expect(failed.map((r) => r.status)).toEqual(['rejected', 'rejected']);
    instrumented.failSyncs = false;
    const later = await rejection(db.write([put('c', '3')]));
    expect(later.code).toBe('IO');
    expect(later.message).toContain('EIO');
    expect(db.get(text('a'))).toBeUndefined();
    expect(db.lastSeq).toBe(1);
    await db.close();

    const reopened = await Database.open(dir);
    try {
      expect(reopened.get(text('before'))?.toString()).toBe('1');
      expect(reopened.get(text('c'))).toBeUndefined();
      const next = await reopened.write([put('d', '4')]);
      expect(next.seqStart).toBe(reopened.lastSeq);
    } finally {
      await reopened.close();
    }
  });

  it('refuses writes past queueBatchesMax with BUSY, and the accepted ones still land', async () => {
    const dir = await makeTempDir('busy');
    const db = await Database.open(dir, { queueBatchesMax: 1 });
    try {
      // The first write is taken by the writer at once; the second waits; the third finds the queue full.
      const writes = [
        db.write([put('a', '1')]),
        db.write([put('b', '2')]),
        db.write([put('c', '3')]),
      ];
      const settled = await Promise.allSettled(writes);
      expect(settled[0]).toMatchObject({ status: 'fulfilled', value: { seqStart: 1, count: 1 } });
      expect(settled[1]).toMatchObject({ status: 'fulfilled', value: { seqStart: 2, count: 1 } });
      expect(settled[2]).toMatchObject({ status: 'rejected', reason: { code: 'BUSY' } });
      expect((settled[2] as PromiseRejectedResult).reason.message).toContain('queueBatchesMax');
    } finally {
      await db.close();
    }
  });

  it('a batch changed by its caller after write() is written as it was at the call', async () => {
    const dir = await makeTempDir('mutated');
    const db = await Database.open(dir);
    try {
      const first = db.write([put('a', '1')]); // taken by the writer at once
      const ops: { type: 'put'; key: Buffer; value: Buffer }[] = [put('b', '2')];
      const second = db.write(ops); // queued behind the first, encoded later
      ops.push(put('c', '3'));
      ops[0]!.value = text('a longer value than before');
      expect(await first).toEqual({ seqStart: 1, count: 1 });
      expect(await second).toEqual({ seqStart: 2, count: 1 });
      expect(db.get(text('b'))?.toString()).toBe('2');
      expect(db.get(text('c'))).toBeUndefined();
    } finally {
      await db.close();
    }
  });

  it('an open scan keeps its snapshot while later writes land', async () => {
    const dir = await makeTempDir('scan-snapshot');
    const db = await Database.open(dir);
    try {
      await db.write([put('b', '1'), put('d', '1'), put('f', '1')]);
      const iterator = db.scan();
      expect(iterator.next().value?.key.toString()).toBe('b');
      await db.write([
        put('a', '2'),
        put('c', '2'),
        put('d', '2'),
        { type: 'del', key: text('f') },
        put('g', '2'),
      ]);
      const rest = Array.from(iterator, (e) => `${e.key.toString()}=${e.value.toString()}`);
      expect(rest).toEqual(['d=1', 'f=1']);
      expect(Array.from(db.scan(), (e) => e.key.toString())).toEqual(['a', 'b', 'c', 'd', 'g']);
    } finally {
      await db.close();
    }
  });

  it('close waits for queued writes', async () => {
    const dir = await makeTempDir('close-waits');
    const db = await Database.open(dir);
    const writes = Array.from({ length: 10 }, (_, i) => db.write([put(`k${i}`, `v${i}`)]));
    await db.close();
    expect((await Promise.all(writes)).map((r) => r.seqStart)).toEqual([
      1, 2, 3, 4, 5, 6, 7, 8, 9, 10,
    ]);
    expect((await scanLog(fs, dir)).lastSeq).toBe(10);
  });
});

describe('segment rotation', () => {
  it('a small segmentBytesMax spreads the log over several segments, each within the limit, intact after reopen', async () => {
    const dir = await makeTempDir('rotation');
    const segmentBytesMax = 256;
    const db = await Database.open(dir, { segmentBytesMax });
    const count = 40;
    for (let i = 0; i < count; i++) await db.write([put(`r${i}`, 'x'.repeat(20 + (i % 7)))]);
    // Then a burst of concurrent writes: a group may rotate too.
    await Promise.all(Array.from({ length: 20 }, (_, i) => db.write([put(`c${i}`, `burst ${i}`)])));
    await db.close();

    const scan = await scanLog(fs, dir);
    expect(scan.status).toBe('clean');
    expect(scan.records).toBe(count + 20);
    expect(scan.segments.length).toBeGreaterThanOrEqual(5);
    scan.segments.forEach((segment, i) => expect(segment.number).toBe(i + 1));
    // Sequential single records never push a segment past the limit.
    for (const segment of scan.segments.slice(0, 5))
      expect(segment.bytes).toBeLessThanOrEqual(segmentBytesMax);

    const reopened = await Database.open(dir, { recovery: 'strict', segmentBytesMax });
    try {
      for (let i = 0; i < count; i++)
        expect(reopened.get(text(`r${i}`))?.toString()).toBe('x'.repeat(20 + (i % 7)));
      for (let i = 0; i < 20; i++)
        expect(reopened.get(text(`c${i}`))?.toString()).toBe(`burst ${i}`);
      expect(await reopened.write([put('last', '!')])).toEqual({ seqStart: count + 21, count: 1 });
    } finally {
      await reopened.close();
    }
  });
});

describe('the directory lock', () => {
  const holder = fileURLToPath(new URL('./support/hold-lock.ts', import.meta.url));
  const projectRoot = fileURLToPath(new URL('..', import.meta.url));

  /** Starts a process that opens `dir` for writing; resolves once it holds the lock. */
  async function startHolder(dir: string): Promise<ChildProcess> {
    const child = spawn(process.execPath, ['--import', 'tsx', holder, dir], {
      cwd: projectRoot,
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    child.stderr!.on('data', (chunk: Buffer) => (err += chunk.toString()));
    await new Promise<void>((resolve, reject) => {
      child.stdout!.on('data', (chunk: Buffer) => {
        out += chunk.toString();
        if (out.includes('\n')) resolve();
      });
      child.once('exit', (code) => reject(new Error(`lock holder exited with ${code}: ${err}`)));
    });
    expect(out).toBe(`open ${child.pid}\n`);
    return child;
  }

  it('a second writable open in the same process fails LOCKED; a read-only open does not', async () => {
    const dir = await makeTempDir('lock-in-process');
    const db = await Database.open(dir);
    try {
      const error = await rejection(Database.open(dir));
      expect(error.code).toBe('LOCKED');
      expect(error.message).toContain(dir);
      expect(error.message).toContain(String(process.pid));
      const reader = await Database.open(dir, { readOnly: true });
      await reader.close();
    } finally {
      await db.close();
    }
    await (await Database.open(dir)).close(); // released by close
  });

  it('of two concurrent writable opens in one process, exactly one succeeds', async () => {
    const dir = await makeTempDir('lock-race');
    const settled = await Promise.allSettled([
      Database.open(dir),
      Database.open(dir),
      Database.open(dir),
    ]);
    const opened = settled.filter(
      (r): r is PromiseFulfilledResult<Database> => r.status === 'fulfilled',
    );
    expect(opened.length).toBe(1);
    for (const r of settled)
      if (r.status === 'rejected') expect(r.reason).toMatchObject({ code: 'LOCKED' });
    await opened[0]!.value.close();
  });

  it('a writable open fails LOCKED while another process holds the directory; a killed holder leaves a stale lock that is taken over', async () => {
    const dir = await makeTempDir('lock-process');
    const child = await startHolder(dir);
    try {
      const error = await rejection(Database.open(dir));
      expect(error.code).toBe('LOCKED');
      expect(error.message).toContain(String(child.pid));
    } finally {
      const exited = once(child, 'exit');
      child.kill('SIGKILL');
      await exited;
    }
    expect((await readFile(join(dir, 'LOCK'), 'utf8')).trim()).toBe(String(child.pid)); // left behind by the kill
    const db = await Database.open(dir);
    try {
      expect((await readFile(join(dir, 'LOCK'), 'utf8')).trim()).toBe(String(process.pid));
      await db.write([put('k', 'v')]);
    } finally {
      await db.close();
    }
  });

  it('a holder that closes releases the lock for other processes', async () => {
    const dir = await makeTempDir('lock-release');
    const child = await startHolder(dir);
    const exited = once(child, 'exit');
    child.stdin!.end();
    expect((await exited)[0]).toBe(0);
    await (await Database.open(dir)).close();
  });

  it('a LOCK file naming a dead pid opens normally', async () => {
    const dir = await makeTempDir('lock-dead');
    const gone = spawn(process.execPath, ['-e', '']);
    await once(gone, 'exit');
    await writeFile(join(dir, 'LOCK'), `${gone.pid}\n`);
    const db = await Database.open(dir);
    await db.close();
  });
});

describe('bad input', () => {
  async function openTemp(options?: OpenOptions): Promise<{ dir: string; db: Database }> {
    const dir = await makeTempDir('bad-input');
    return { dir, db: await Database.open(dir, options) };
  }

  const badBatches: [string, unknown, RegExp][] = [
    [
      'a non-array batch (object)',
      { type: 'put', key: text('k'), value: text('v') },
      /must be an array.*got object/,
    ],
    ['a non-array batch (null)', null, /must be an array.*got null/],
    ['a non-array batch (string)', 'put k v', /must be an array.*got a string/],
    ['an empty batch', [], /at least one operation/],
    ['a null operation', [put('k', 'v'), null], /batch\[1\] must be an operation object, got null/],
    [
      'a bad op type',
      [{ type: 'upsert', key: text('k'), value: text('v') }],
      /batch\[0\]\.type must be 'put' or 'del', got a string/,
    ],
    ['a missing op type', [{ key: text('k'), value: text('v') }], /batch\[0\]\.type/],
    [
      'a string key',
      [{ type: 'put', key: 'k', value: text('v') }],
      /batch\[0\]\.key must be a Uint8Array or Buffer, got a string/,
    ],
    [
      'a number key',
      [put('a', '1'), { type: 'del', key: 7 }],
      /batch\[1\]\.key must be a Uint8Array or Buffer, got number/,
    ],
    [
      'an array key',
      [{ type: 'put', key: [1, 2], value: text('v') }],
      /batch\[0\]\.key .*got an array/,
    ],
    [
      'a string value',
      [{ type: 'put', key: text('k'), value: 'v' }],
      /batch\[0\]\.value must be a Uint8Array or Buffer, got a string/,
    ],
    ['a missing value', [{ type: 'put', key: text('k') }], /batch\[0\]\.value .*got undefined/],
    [
      'a del carrying a value',
      [{ type: 'del', key: text('k'), value: text('v') }],
      /batch\[0\] is a 'del' and must not carry a value/,
    ],
  ];

  it.each(badBatches)(
    'rejects %s with INVALID_ARGUMENT naming it, writing nothing',
    async (_name, batch, message) => {
      const { dir, db } = await openTemp();
      try {
        await db.write([put('first', '1')]);
        const before = await snapshotTree(dir);
        const error = await rejection(db.write(batch as Batch));
        expect(error.code).toBe('INVALID_ARGUMENT');
        expect(error.message).toMatch(message);
        expect(await snapshotTree(dir)).toEqual(before);
        expect(db.lastSeq).toBe(1);
        expect(await db.write([put('second', '2')])).toEqual({ seqStart: 2, count: 1 });
      } finally {
        await db.close();
      }
    },
  );

  it('rejects a batch over batchBytesMax with BATCH_TOO_LARGE, writing nothing', async () => {
    const { dir, db } = await openTemp({ batchBytesMax: 100 });
    try {
      const before = await snapshotTree(dir);
      const error = await rejection(db.write([put('k', 'v'.repeat(100))]));
      expect(error.code).toBe('BATCH_TOO_LARGE');
      expect(error.message).toMatch(/encodes to 134 bytes, over batchBytesMax \(100\)/);
      expect(await snapshotTree(dir)).toEqual(before);
      expect(await db.write([put('k', 'v'.repeat(100 - 24 - 9 - 1))])).toEqual({
        seqStart: 1,
        count: 1,
      }); // exactly at the limit
    } finally {
      await db.close();
    }
  });

  it('refuses writes and reads after close with CLOSED; close is idempotent', async () => {
    const { dir, db } = await openTemp();
    await db.close();
    await db.close();
    const error = await rejection(db.write([put('k', 'v')]));
    expect(error.code).toBe('CLOSED');
    expect(error.message).toContain(dir);
    expect(thrown(() => db.get(text('k'))).code).toBe('CLOSED');
    expect(thrown(() => db.scan()).code).toBe('CLOSED');
  });

  it('refuses writes on a read-only open with READ_ONLY', async () => {
    const dir = await makeTempDir('read-only');
    const db = await Database.open(dir, { readOnly: true });
    try {
      const error = await rejection(db.write([put('k', 'v')]));
      expect(error.code).toBe('READ_ONLY');
      expect(error.message).toContain(dir);
    } finally {
      await db.close();
    }
    expect(await snapshotTree(dir)).toEqual({});
  });

  it('a path that is a file: NOT_A_DIRECTORY, writable or read-only', async () => {
    const file = join(await makeTempDir('file-path'), 'plain-file');
    await writeFile(file, 'not a database');
    for (const readOnly of [false, true]) {
      const error = await rejection(Database.open(file, { readOnly }));
      expect(error.code).toBe('NOT_A_DIRECTORY');
      expect(error.message).toContain(file);
    }
    expect(await readFile(file, 'utf8')).toBe('not a database');
  });

  it('a read-only open of a missing directory: NOT_FOUND, and nothing is created', async () => {
    const parent = await makeTempDir('missing');
    const dir = join(parent, 'no-such-db');
    const error = await rejection(Database.open(dir, { readOnly: true }));
    expect(error.code).toBe('NOT_FOUND');
    expect(error.message).toContain(dir);
    expect(await fs.stat(dir)).toBeNull();
    // A writable open creates it, parents included.
    const nested = join(parent, 'a', 'b');
    await (await Database.open(nested)).close();
    expect(await fs.stat(nested)).toMatchObject({ isDirectory: true });
  });

  const badOptions: [string, unknown, RegExp][] = [
    ['null options', null, /open options must be an object/],
    ['string options', 'strict', /open options must be an object/],
    [
      'an unknown recovery mode',
      { recovery: 'lenient' },
      /options\.recovery must be one of strict, tolerate-tail, point-in-time, got lenient/,
    ],
    [
      'segmentBytesMax below its minimum',
      { segmentBytesMax: 10 },
      /options\.segmentBytesMax must be an integer from 64/,
    ],
    [
      'a fractional segmentBytesMax',
      { segmentBytesMax: 1000.5 },
      /options\.segmentBytesMax .*got 1000\.5/,
    ],
    ['groupBytesMax 0', { groupBytesMax: 0 }, /options\.groupBytesMax/],
    ['a string batchBytesMax', { batchBytesMax: '1mb' }, /options\.batchBytesMax .*got 1mb/],
    ['a negative queueBatchesMax', { queueBatchesMax: -1 }, /options\.queueBatchesMax/],
    ['NaN queueBatchesMax', { queueBatchesMax: Number.NaN }, /options\.queueBatchesMax .*got NaN/],
  ];

  it.each(badOptions)(
    'refuses %s with INVALID_ARGUMENT, creating nothing',
    async (_name, options, message) => {
      const parent = await makeTempDir('bad-options');
      const dir = join(parent, 'db');
      const error = await rejection(Database.open(dir, options as OpenOptions));
      expect(error.code).toBe('INVALID_ARGUMENT');
      expect(error.message).toMatch(message);
      expect(await fs.stat(dir)).toBeNull();
    },
  );

  it('refuses an empty or non-string directory with INVALID_ARGUMENT', async () => {
    expect((await rejection(Database.open(''))).code).toBe('INVALID_ARGUMENT');
    expect((await rejection(Database.open(42 as unknown as string))).message).toMatch(
      /non-empty string, got number/,
    );
  });

  it('refuses bad read arguments with INVALID_ARGUMENT naming them', async () => {
    const { db } = await openTemp();
    try {
      await db.write([put('k', 'v')]);
      expect(thrown(() => db.get('k' as unknown as Uint8Array)).message).toMatch(
        /key must be a Uint8Array/,
      );
      expect(thrown(() => db.get(text('k'), { at: -1 })).message).toMatch(/'at'/);
      expect(thrown(() => db.get(text('k'), { at: 1.5 })).code).toBe('INVALID_ARGUMENT');
      expect(thrown(() => db.scan({ gte: 'a' as unknown as Uint8Array })).message).toMatch(/gte/);
      expect(thrown(() => db.scan({ gte: text('a'), gt: text('b') })).message).toMatch(/gte.*gt/);
      expect(thrown(() => db.scan({ limit: -1 })).message).toMatch(/limit/);
      expect(thrown(() => db.scan({ at: Number.NaN })).code).toBe('INVALID_ARGUMENT');
      expect(thrown(() => db.scan(null as unknown as undefined)).message).toMatch(
        /scan options must be an object/,
      );
      expect(thrown(() => db.get(text('k'), null as unknown as undefined)).message).toMatch(
        /get options must be an object/,
      );
    } finally {
      await db.close();
    }
  });
});
