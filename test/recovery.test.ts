// Recovery modes (src/wal/wal-format.md section 7) on three kinds of damage to a three-segment log written
// by the engine: a torn tail, corruption in an earlier segment, a missing segment. Open
// failures name segment, offset and reason and change nothing; repairs set the damaged
// bytes aside in quarantine/ and the log goes on; read-only opens only report.

import { readFile, truncate, unlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { SimFs } from '../faults/disk/sim-fs.ts';
import {
  Database,
  NodeFileSystem,
  type RecoveryMode,
  scanLog,
  segmentName,
  WalError,
} from '../src/index.ts';
import { makeTempDir, removeTempDirs, snapshotTree } from './support/temp-dirs.ts';

afterAll(removeTempDirs);

const fs = new NodeFileSystem();
const BATCHES = 9;
const RECORD_BYTES = 24 + 9 + 2 + 2; // one PUT of a 2-byte key and a 2-byte value
const PER_SEGMENT = 3;

const key = (i: number) => Buffer.from(`k${i}`);
const value = (i: number) => Buffer.from(`v${i}`);

/** A log of 9 one-PUT batches (k1=v1 .. k9=v9), 3 per segment, in segments 1..3. */
async function writeLog(label: string): Promise<string> {
  const dir = await makeTempDir(label);
  const db = await Database.open(dir, { segmentBytesMax: RECORD_BYTES * PER_SEGMENT });
  for (let i = 1; i <= BATCHES; i++)
    await db.write([{ type: 'put', key: key(i), value: value(i) }]);
  await db.close();
  const scan = await scanLog(fs, dir);
  expect(scan.segments.map((s) => [s.name, s.bytes])).toEqual(
    [1, 2, 3].map((n) => [segmentName(n), RECORD_BYTES * PER_SEGMENT]),
  );
  return dir;
}

/** Live entries as "key=value" strings, in key order. */
function stateOf(db: Database): string[] {
  return Array.from(db.scan(), (e) => `${e.key.toString()}=${e.value.toString()}`);
}

function stateUpTo(lastSeq: number): string[] {
  return Array.from({ length: lastSeq }, (_, i) => `k${i + 1}=v${i + 1}`).sort();
}

interface Damage {
  name: string;
  /** Damages a freshly written log in `dir`. */
  apply(dir: string): Promise<void>;
  firstInvalid: { segment: string; offset: number; reason: string };
  status: 'torn-tail' | 'corrupt';
  lastSeq: number;
}

const TORN_AT = RECORD_BYTES * 2;
const CORRUPT_AT = RECORD_BYTES;

const tornTail: Damage = {
  name: 'a torn tail (last record of the last segment cut short)',
  apply: (dir) => truncate(join(dir, segmentName(3)), TORN_AT + 30),
  firstInvalid: { segment: segmentName(3), offset: TORN_AT, reason: 'truncated-payload' },
  status: 'torn-tail',
  lastSeq: 8,
};

const earlierCorruption: Damage = {
  name: 'corruption in an earlier segment (a flipped payload bit in segment 1)',
  apply: async (dir) => {
    const path = join(dir, segmentName(1));
    const bytes = await readFile(path);
    bytes[CORRUPT_AT + 30]! ^= 0x04;
    await writeFile(path, bytes);
  },
  firstInvalid: { segment: segmentName(1), offset: CORRUPT_AT, reason: 'checksum-mismatch' },
  status: 'corrupt',
  lastSeq: 1,
};

const missingSegment: Damage = {
  name: 'a missing segment (segment 2 deleted)',
  apply: (dir) => unlink(join(dir, segmentName(2))),
  firstInvalid: { segment: segmentName(3), offset: 0, reason: 'missing-segment' },
  status: 'corrupt',
  lastSeq: 3,
};

async function damagedLog(damage: Damage): Promise<string> {
  const dir = await writeLog('recovery');
  await damage.apply(dir);
  return dir;
}

async function expectOpenRefused(
  dir: string,
  mode: RecoveryMode,
  damage: Damage,
  readOnly: boolean,
): Promise<void> {
  const before = await snapshotTree(dir);
  const error = await Database.open(dir, { recovery: mode, readOnly }).then(
    async (db) => {
      await db.close();
      return null;
    },
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(WalError);
  const { code, message } = error as WalError;
  expect(code).toBe('CORRUPT');
  expect(message).toContain(damage.firstInvalid.segment);
  expect(message).toContain(`offset ${damage.firstInvalid.offset}`);
  expect(message).toContain(damage.firstInvalid.reason);
  expect(message).toContain(mode);
  expect(await snapshotTree(dir)).toEqual(before);
}

describe.each([tornTail, earlierCorruption, missingSegment])('$name', (damage) => {
  it('checking it reports the status and the first invalid record', async () => {
    const scan = await scanLog(fs, await damagedLog(damage));
    expect(scan.status).toBe(damage.status);
    expect(scan.firstInvalid).toMatchObject(damage.firstInvalid);
    expect(scan.lastSeq).toBe(damage.lastSeq);
  });

  it('strict: open fails naming segment, offset and reason, and changes nothing (writable and read-only)', async () => {
    const dir = await damagedLog(damage);
    await expectOpenRefused(dir, 'strict', damage, false);
    await expectOpenRefused(dir, 'strict', damage, true);
  });

  if (damage !== tornTail) {
    it('tolerate-tail: open fails and changes nothing (writable and read-only)', async () => {
      const dir = await damagedLog(damage);
      await expectOpenRefused(dir, 'tolerate-tail', damage, false);
      await expectOpenRefused(dir, 'tolerate-tail', damage, true);
    });
  }
});

/** What a repairing open must leave on disk for each damage. */
interface Repair {
  mode: RecoveryMode;
  damage: Damage;
  /** Segments left in the log, with their sizes. */
  segmentsAfter: [string, number][];
  /** quarantine/ files and which bytes of the damaged log each must hold. */
  quarantined: { name: string; from: string; start: number }[];
}

const repairs: Repair[] = [
  ...(['tolerate-tail', 'point-in-time'] as const).map((mode) => ({
    mode,
    damage: tornTail,
    segmentsAfter: [
      [segmentName(1), RECORD_BYTES * 3],
      [segmentName(2), RECORD_BYTES * 3],
      [segmentName(3), TORN_AT],
    ] as [string, number][],
    quarantined: [
      { name: `${segmentName(3)}.${TORN_AT}.tail`, from: segmentName(3), start: TORN_AT },
    ],
  })),
  {
    mode: 'point-in-time',
    damage: earlierCorruption,
    segmentsAfter: [[segmentName(1), CORRUPT_AT]],
    quarantined: [
      { name: `${segmentName(1)}.${CORRUPT_AT}.tail`, from: segmentName(1), start: CORRUPT_AT },
      { name: segmentName(2), from: segmentName(2), start: 0 },
      { name: segmentName(3), from: segmentName(3), start: 0 },
    ],
  },
  {
    mode: 'point-in-time',
    damage: missingSegment,
    segmentsAfter: [[segmentName(1), RECORD_BYTES * 3]],
    quarantined: [{ name: segmentName(3), from: segmentName(3), start: 0 }],
  },
];

describe.each(repairs)(
  '$mode repairs $damage.name',
  ({ mode, damage, segmentsAfter, quarantined }) => {
    it('a read-only open reports the planned actions with applied=false and touches no byte', async () => {
      const dir = await damagedLog(damage);
      const before = await snapshotTree(dir);
      const db = await Database.open(dir, { recovery: mode, readOnly: true });
      try {
        expect(db.recovery.applied).toBe(false);
        expect(db.recovery.status).toBe(damage.status);
        expect(db.recovery.firstInvalid).toMatchObject(damage.firstInvalid);
        expect(db.recovery.actions.map((a) => a.to).sort()).toEqual(
          quarantined.map((q) => q.name).sort(),
        );
        expect(db.lastSeq).toBe(damage.lastSeq);
        expect(stateOf(db)).toEqual(stateUpTo(damage.lastSeq));
        await expect(
          db.write([{ type: 'put', key: key(0), value: value(0) }]),
        ).rejects.toMatchObject({ code: 'READ_ONLY' });
      } finally {
        await db.close();
      }
      expect(await snapshotTree(dir)).toEqual(before);
    });

    it('a writable open sets the damage aside in quarantine/, then writes continue and survive reopen', async () => {
      const dir = await damagedLog(damage);
      const damaged = await snapshotTree(dir);
      const planned = await Database.open(dir, { recovery: mode, readOnly: true });
      await planned.close();

      const db = await Database.open(dir, { recovery: mode });
      let next: number;
      try {
        expect(db.recovery.applied).toBe(true);
        expect(db.recovery.actions).toEqual(planned.recovery.actions);
        expect(db.lastSeq).toBe(damage.lastSeq);
        expect(stateOf(db)).toEqual(stateUpTo(damage.lastSeq));
        const result = await db.write([
          { type: 'put', key: Buffer.from('after'), value: Buffer.from('repair') },
          { type: 'del', key: key(1) },
        ]);
        expect(result).toEqual({ seqStart: damage.lastSeq + 1, count: 2 });
        next = result.seqStart + result.count;
      } finally {
        await db.close();
      }

      const after = await snapshotTree(dir);
      for (const { name, from, start } of quarantined) {
        expect(after[`quarantine/${name}`], name).toBe(damaged[from]!.slice(start * 2));
      }
      for (const [name, bytes] of segmentsAfter) {
        expect(
          after[name]!.startsWith(damaged[name]!.slice(0, bytes * 2)),
          `${name} keeps its first ${bytes} bytes`,
        ).toBe(true);
      }

      const reopened = await Database.open(dir, { recovery: 'strict' });
      try {
        expect(reopened.recovery.status).toBe('clean');
        expect(reopened.lastSeq).toBe(next - 1);
        const expected = [
          ...stateUpTo(damage.lastSeq).filter((e) => !e.startsWith('k1=')),
          'after=repair',
        ].sort();
        expect(stateOf(reopened)).toEqual(expected);
        expect(reopened.get(key(1), { at: damage.lastSeq })?.toString()).toBe('v1'); // older snapshot still readable
      } finally {
        await reopened.close();
      }
      const scan = await scanLog(fs, dir);
      expect(scan.status).toBe('clean');
      // The segments kept are a prefix of the damaged ones (byte for byte up to the cut);
      // the new batch went into the last of them or a new one after it.
      expect(
        scan.segments.slice(0, segmentsAfter.length - 1).map((s) => [s.name, s.bytes]),
      ).toEqual(segmentsAfter.slice(0, -1));
      expect(scan.segments[segmentsAfter.length - 1]!.name).toBe(segmentsAfter.at(-1)![0]);
    });
  },
);

describe('other repairs and clean edge cases', () => {
  it('point-in-time with the very first record damaged keeps nothing, and the log restarts at seq 1', async () => {
    const dir = await writeLog('first-record');
    const path = join(dir, segmentName(1));
    const bytes = await readFile(path);
    bytes[5]! ^= 0x01; // the length field: the record now runs past the end or fails its CRC
    await writeFile(path, bytes);
    const db = await Database.open(dir, { recovery: 'point-in-time' });
    try {
      expect(db.lastSeq).toBe(0);
      expect(stateOf(db)).toEqual([]);
      expect(await db.write([{ type: 'put', key: key(1), value: value(1) }])).toEqual({
        seqStart: 1,
        count: 1,
      });
    } finally {
      await db.close();
    }
    expect((await scanLog(fs, dir)).lastSeq).toBe(1);
  });

  it('point-in-time on a log whose lowest segment is not 1 moves every segment aside', async () => {
    const dir = await writeLog('no-first');
    await unlink(join(dir, segmentName(1)));
    await expectOpenRefused(
      dir,
      'tolerate-tail',
      {
        ...missingSegment,
        firstInvalid: { segment: segmentName(2), offset: 0, reason: 'missing-segment' },
      },
      false,
    );
    const db = await Database.open(dir, { recovery: 'point-in-time' });
    try {
      expect(db.recovery.actions.map((a) => a.kind)).toEqual([
        'quarantine-segment',
        'quarantine-segment',
      ]);
      expect(db.lastSeq).toBe(0);
      expect(await db.write([{ type: 'put', key: key(1), value: value(1) }])).toEqual({
        seqStart: 1,
        count: 1,
      });
    } finally {
      await db.close();
    }
    const tree = await snapshotTree(dir);
    expect(Object.keys(tree).sort()).toEqual(
      [
        'quarantine/',
        `quarantine/${segmentName(2)}`,
        `quarantine/${segmentName(3)}`,
        segmentName(1),
      ].sort(),
    );
  });

  it('a second torn tail at the same offset gets a quarantine name of its own', async () => {
    const dir = await damagedLog(tornTail);
    const garbage = Buffer.from('torn twice, not the same bytes');
    await (await Database.open(dir)).close();
    await writeFile(
      join(dir, segmentName(3)),
      Buffer.concat([await readFile(join(dir, segmentName(3))), garbage]),
    );
    const db = await Database.open(dir);
    await db.close();
    const name = `${segmentName(3)}.${TORN_AT}.tail`;
    expect(db.recovery.actions).toEqual([
      {
        kind: 'quarantine-tail',
        segment: segmentName(3),
        offset: TORN_AT,
        bytes: garbage.length,
        to: `${name}.1`,
      },
    ]);
    expect((await readFile(join(dir, 'quarantine', `${name}.1`))).equals(garbage)).toBe(true);
    expect((await readFile(join(dir, 'quarantine', name))).length).toBe(30);
  });

  it('a torn tail with every quarantine name for it taken (1,000) fails the open with IO and changes nothing', async () => {
    const name = `${segmentName(1)}.0.tail`;
    const taken = Array.from(
      { length: 1000 },
      (_, n) => [`/db/quarantine/${n === 0 ? name : `${name}.${n}`}`, new Uint8Array(0)] as const,
    );
    // 'not a record' is a truncated-header at offset 0 of the last segment: a torn tail.
    const sim = SimFs.fromFiles([[`/db/${segmentName(1)}`, Buffer.from('not a record')], ...taken]);
    const error = await Database.open('/db', { fs: sim }).then(
      async (db) => {
        await db.close();
        return null;
      },
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(WalError);
    expect(error).toMatchObject({
      code: 'IO',
      message: expect.stringContaining(`no free name in quarantine/ for ${name}`),
    });
    const changing = ['write', 'truncate', 'writeFile', 'rename', 'unlink', 'mkdir'];
    expect(
      sim.trace.filter(
        (e) =>
          !e.path.startsWith('/db/LOCK') && // the writer lock's own files
          (changing.includes(e.op) || (e.op === 'open' && e.path.includes('quarantine'))),
      ),
    ).toEqual([]);
    await sim.unlink(`/db/quarantine/${name}.999`); // one name free again: the repair goes through
    const db = await Database.open('/db', { fs: sim });
    await db.close();
    expect(db.recovery.actions).toEqual([
      { kind: 'quarantine-tail', segment: segmentName(1), offset: 0, bytes: 12, to: `${name}.999` },
    ]);
    expect(Buffer.from(await sim.readFile(`/db/quarantine/${name}.999`)).toString()).toBe(
      'not a record',
    );
  });

  it('a log with no segments is clean in every mode', async () => {
    const dir = await makeTempDir('no-segments');
    await writeFile(join(dir, 'notes.txt'), 'not part of the log');
    const before = await snapshotTree(dir);
    for (const recovery of ['strict', 'tolerate-tail', 'point-in-time'] as const) {
      const db = await Database.open(dir, { recovery, readOnly: true });
      expect(db.recovery).toMatchObject({
        status: 'clean',
        records: 0,
        lastSeq: 0,
        firstInvalid: null,
        actions: [],
      });
      await db.close();
    }
    expect(await snapshotTree(dir)).toEqual(before);
    const db = await Database.open(dir, { recovery: 'strict' });
    try {
      expect(await db.write([{ type: 'put', key: key(1), value: value(1) }])).toEqual({
        seqStart: 1,
        count: 1,
      });
    } finally {
      await db.close();
    }
    expect((await scanLog(fs, dir)).segments.map((s) => s.name)).toEqual([segmentName(1)]);
  });

  it('zero-length segments (alone, in the middle, last) are clean', async () => {
    const alone = await makeTempDir('zero-alone');
    await writeFile(join(alone, segmentName(1)), '');
    const db = await Database.open(alone, { recovery: 'strict' });
    try {
      expect(db.recovery).toMatchObject({ status: 'clean', lastSeq: 0, actions: [] });
      expect(await db.write([{ type: 'put', key: key(1), value: value(1) }])).toEqual({
        seqStart: 1,
        count: 1,
      });
    } finally {
      await db.close();
    }
    expect((await scanLog(fs, alone)).segments.map((s) => [s.name, s.bytes])).toEqual([
      [segmentName(1), RECORD_BYTES],
    ]);

    // Segment 2 emptied and its records moved to segment 3; an empty segment 4 last.
    const middle = await writeLog('zero-middle');
    const second = await readFile(join(middle, segmentName(2)));
    await writeFile(join(middle, segmentName(2)), Buffer.alloc(0));
    await writeFile(join(middle, segmentName(3)), second);
    await writeFile(join(middle, segmentName(4)), Buffer.alloc(0));
    let scan = await scanLog(fs, middle);
    expect(scan).toMatchObject({ status: 'clean', records: 6, lastSeq: 6 });

    const reopened = await Database.open(middle, { recovery: 'strict' });
    try {
      expect(reopened.recovery.status).toBe('clean');
      expect(await reopened.write([{ type: 'put', key: key(7), value: value(7) }])).toEqual({
        seqStart: 7,
        count: 1,
      });
    } finally {
      await reopened.close();
    }
    scan = await scanLog(fs, middle);
    expect(scan).toMatchObject({ status: 'clean', records: 7, lastSeq: 7 });
    expect(scan.segments.map((s) => s.bytes)).toEqual([
      RECORD_BYTES * 3,
      0,
      RECORD_BYTES * 3,
      RECORD_BYTES,
    ]);
  });
});
