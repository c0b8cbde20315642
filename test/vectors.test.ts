// The golden vectors (test/vectors, written by an independent implementation of src/wal/wal-format.md):
// checking each gives exactly its expected.json, a read-only open recovers exactly its state
// and touches no byte, and a writable open of the torn one cuts the tail into quarantine/.

import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { Database, NodeFileSystem, scanLog } from '../src/index.ts';
import { makeTempDir, removeTempDirs, snapshotTree } from './support/temp-dirs.ts';
import {
  copyVector,
  entriesHex,
  expectedEntries,
  listVectorNames,
  readExpectation,
} from './support/vectors.ts';

const fs = new NodeFileSystem();
const names = await listVectorNames();

afterAll(removeTempDirs);

async function vectorCopy(name: string): Promise<string> {
  const dir = await makeTempDir(`vector-${name}`);
  await copyVector(name, dir);
  return dir;
}

it('finds the golden vectors', () => {
  expect(names).toEqual(
    expect.arrayContaining([
      'binary',
      'empty',
      'mixed',
      'multi-segment',
      'single-put',
      'torn-tail',
    ]),
  );
});

describe.each(names)('vector %s', (name) => {
  it('scanLog gives status, records, lastSeq and firstInvalid of expected.json', async () => {
    const expected = await readExpectation(name);
    const dir = await vectorCopy(name);
    const scan = await scanLog(fs, dir);
    expect(scan.status).toBe(expected.status);
    expect(scan.records).toBe(expected.records);
    expect(scan.lastSeq).toBe(expected.lastSeq);
    const firstInvalid = scan.firstInvalid && {
      segment: scan.firstInvalid.segment,
      offset: scan.firstInvalid.offset,
      reason: scan.firstInvalid.reason,
    };
    expect(firstInvalid).toEqual(expected.firstInvalid);
  });

  it('a read-only open recovers the expected state and leaves every byte untouched', async () => {
    const expected = await readExpectation(name);
    const dir = await vectorCopy(name);
    const before = await snapshotTree(dir);
    const db = await Database.open(dir, { readOnly: true });
    try {
      expect(entriesHex(db.scan())).toEqual(expectedEntries(expected.state));
      expect(entriesHex(db.scan({ reverse: true }))).toEqual(
        expectedEntries(expected.state).reverse(),
      );
      for (const [key, value] of Object.entries(expected.state)) {
        expect(db.get(Buffer.from(key, 'hex'))?.toString('hex')).toBe(value);
      }
      expect(db.lastSeq).toBe(expected.lastSeq);
      expect(db.recovery.status).toBe(expected.status);
      expect(db.recovery.records).toBe(expected.records);
      expect(db.recovery.applied).toBe(false);
    } finally {
      await db.close();
    }
    expect(await snapshotTree(dir)).toEqual(before);
  });
});

describe('vector torn-tail, writable open of a copy', () => {
  it('quarantines exactly the cut tail, truncates the segment, and reopens clean', async () => {
    const expected = await readExpectation('torn-tail');
    const invalid = expected.firstInvalid!;
    const dir = await vectorCopy('torn-tail');
    const original = await readFile(join(dir, invalid.segment));

    const db = await Database.open(dir);
    try {
      expect(db.recovery.applied).toBe(true);
      expect(db.recovery.actions).toEqual([
        {
          kind: 'quarantine-tail',
          segment: invalid.segment,
          offset: invalid.offset,
          bytes: original.length - invalid.offset,
          to: `${invalid.segment}.${invalid.offset}.tail`,
        },
      ]);
      expect(entriesHex(db.scan())).toEqual(expectedEntries(expected.state));
    } finally {
      await db.close();
    }

    const segment = await readFile(join(dir, invalid.segment));
    expect(segment.equals(original.subarray(0, invalid.offset))).toBe(true);
    const tail = await readFile(
      join(dir, 'quarantine', `${invalid.segment}.${invalid.offset}.tail`),
    );
    expect(tail.equals(original.subarray(invalid.offset))).toBe(true);

    const scan = await scanLog(fs, dir);
    expect(scan.status).toBe('clean');
    expect(scan.lastSeq).toBe(expected.lastSeq);
    const reopened = await Database.open(dir, { recovery: 'strict' });
    try {
      expect(entriesHex(reopened.scan())).toEqual(expectedEntries(expected.state));
    } finally {
      await reopened.close();
    }
  });
});
