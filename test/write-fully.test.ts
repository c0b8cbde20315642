// writeFully (src/fs/write-fully.ts): every byte written however short each write is, an error
// when a write makes no progress, and no write at all for no bytes.

import { describe, expect, it } from 'vitest';
import { writeFully } from '../src/fs/write-fully.ts';

/** A handle whose writes take at most `takes[i]` bytes (the last entry repeats); records each call. */
function handle(takes: number[]): {
  write(data: Uint8Array, position: number): Promise<number>;
  calls: [number, number[]][];
} {
  const calls: [number, number[]][] = [];
  return {
    calls,
    write(data, position) {
      const take = takes[Math.min(calls.length, takes.length - 1)]!;
      calls.push([position, [...data.subarray(0, take)]]);
      return Promise.resolve(Math.min(take, data.length));
    },
  };
}

describe('writeFully', () => {
  it('one write when it takes everything', async () => {
    const h = handle([3]);
    await writeFully(h, Uint8Array.from([1, 2, 3]), 10);
    expect(h.calls).toEqual([[10, [1, 2, 3]]]);
  });

  it('continues after short writes, each after the bytes already down', async () => {
    const h = handle([1, 2]);
    await writeFully(h, Uint8Array.from([1, 2, 3, 4, 5]), 10);
    expect(h.calls).toEqual([
      [10, [1]],
      [11, [2, 3]],
      [13, [4, 5]],
    ]);
  });

  it('a write that makes no progress, first or later, is an IO error', async () => {
    const first = writeFully(handle([0]), Uint8Array.from([1]), 7);
    await expect(first).rejects.toMatchObject({ code: 'IO' });
    const later = writeFully(handle([2, 0]), Uint8Array.from([1, 2, 3]), 7);
    await expect(later).rejects.toMatchObject({ code: 'IO' });
  });

  it('no bytes, no write', async () => {
    const h = handle([0]);
    await writeFully(h, new Uint8Array(0), 0);
    expect(h.calls).toEqual([]);
  });
});
