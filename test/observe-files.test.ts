// The oracle's views of the files (faults/judge/observe.ts) and its byte helpers
// (model/bytes.ts): the files an open started from keep their bytes whatever the engine
// writes afterwards, although files equal to their durable bytes are not copied; the short
// comparisons agree with Buffer.compare.

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { dirFiles, dirFilesNow, filesNow } from '../faults/disk/db-files.ts';
import { SimFs } from '../faults/disk/sim-fs.ts';
import { bytesEqual, compareBytes } from '../model/bytes.ts';

const SEED = Number(process.env.WALCHECK_SEED ?? 20_261_127);

async function fileIn(fs: SimFs, path: string, data: Uint8Array, sync: boolean): Promise<void> {
  const handle = await fs.open(path, 'create');
  await handle.write(data, 0);
  if (sync) await handle.datasync();
  await handle.close();
  if (sync) await fs.syncDir('/db');
}

describe('the files an open starts from', () => {
  it('keep their bytes after later writes, and durable files are the durable view itself', async () => {
    const fs = new SimFs({ trace: false });
    await fs.mkdir('/db');
    await fs.syncDir('/');
    await fileIn(fs, '/db/00000000000000000001.wal', new Uint8Array(300).fill(7), true);
    await fileIn(fs, '/db/00000000000000000002.wal', Uint8Array.of(1, 2, 3), false);
    const before = dirFiles(fs);
    const durable = fs.durableView().get('/db/00000000000000000001.wal')!;
    expect(before.get('/db/00000000000000000001.wal')).toBe(durable); // not copied
    expect(before.get('/db/00000000000000000002.wal')).toEqual(Uint8Array.of(1, 2, 3));

    const one = await fs.open('/db/00000000000000000001.wal', 'write');
    await one.write(Uint8Array.of(9, 9), 0);
    await one.truncate(10);
    await one.close();
    const two = await fs.open('/db/00000000000000000002.wal', 'write');
    await two.write(Uint8Array.of(8), 1);
    await two.close();

    expect(before.get('/db/00000000000000000001.wal')).toEqual(new Uint8Array(300).fill(7));
    expect(before.get('/db/00000000000000000002.wal')).toEqual(Uint8Array.of(1, 2, 3));
    const now = dirFilesNow(fs);
    expect([...now.get('/db/00000000000000000001.wal')!]).toEqual([9, 9, 7, 7, 7, 7, 7, 7, 7, 7]);
    expect(now.get('/db/00000000000000000002.wal')).toEqual(Uint8Array.of(1, 8, 3));
    expect([...filesNow(fs).segments.keys()]).toEqual([
      '00000000000000000001.wal',
      '00000000000000000002.wal',
    ]);
  });
});

describe(`bytesEqual and compareBytes agree with Buffer.compare (seed ${SEED})`, () => {
  it('on short and long byte strings, prefixes and equal ones', () => {
    console.log(`observe-files.test bytes property seed ${SEED}`);
    const bytes = fc.oneof(
      fc.uint8Array({ maxLength: 3 }),
      fc.uint8Array({ minLength: 30, maxLength: 40 }),
      fc.uint8Array({ maxLength: 80 }),
    );
    const pair = fc.oneof(
      fc.tuple(bytes, bytes),
      bytes.map((a) => [a, Uint8Array.from(a)] as const),
      fc.tuple(bytes, fc.nat()).map(([a, n]) => [a, a.subarray(0, n % (a.length + 1))] as const),
    );
    fc.assert(
      fc.property(pair, ([a, b]) => {
        const expected = Buffer.compare(a, b);
        expect(compareBytes(a, b)).toBe(expected);
        expect(compareBytes(b, a)).toBe(Buffer.compare(b, a));
        expect(bytesEqual(a, b)).toBe(expected === 0);
      }),
      { seed: SEED, numRuns: 500 },
    );
  });
});
