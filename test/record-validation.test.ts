// Record validation (src/wal/wal-format.md section 6), one named test per reason: records are encoded with
// the engine's encoder, then damaged by byte surgery. Where the reason's check runs after
// the checksum step, the CRC is recomputed so that only the intended check can fail.

import { crc32c } from '@node-rs/crc32';
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { Batch } from '../src/batch.ts';
import { SEQ_MAX } from '../src/batch.ts';
import { NodeFileSystem } from '../src/fs/node-fs.ts';
import { parseSegmentName, segmentName } from '../src/wal/format.ts';
import { scanLog, scanSegment } from '../src/wal/log-scan.ts';
import { encodeRecord, recordBytes } from '../src/wal/record-encoder.ts';
import { forEachLogical, readRecord } from '../src/wal/record-reader.ts';
import { makeTempDir, removeTempDirs } from './support/temp-dirs.ts';
import { listVectorNames, VECTORS_DIR } from './support/vectors.ts';

afterAll(removeTempDirs);

const bytes = (text: string): Buffer => Buffer.from(text, 'latin1');
const put = (key: string, value: string) =>
  ({ type: 'put', key: bytes(key), value: bytes(value) }) as const;
const del = (key: string) => ({ type: 'del', key: bytes(key) }) as const;

function encode(batch: Batch, seqStart = 1): Buffer {
  const record = Buffer.alloc(recordBytes(batch));
  expect(encodeRecord(batch, seqStart, record, 0)).toBe(record.length);
  return record;
}

/** Recomputes the CRC of the record at `offset` after surgery, so the checksum step passes. */
function fixCrc(segment: Buffer, offset = 0): Buffer {
  const length = segment.readUInt32LE(offset + 4);
  segment.writeUInt32LE(crc32c(segment.subarray(offset + 4, offset + 24 + length)), offset);
  return segment;
}

function reasonOf(segment: Buffer, expectedSeq = 1): string {
  const outcome = readRecord(segment, 0, expectedSeq);
  return outcome.valid ? 'valid' : outcome.reason;
}

// Offsets inside a record; the payload's first logical record starts at 24.
const LENGTH = 4,
  TYPE = 8,
  FLAGS = 9,
  RESERVED = 10,
  SEQ_START = 12,
  COUNT = 20;
const KEY_LEN = 24,
  VAL_LEN = 28,
  KIND = 32;

describe('CRC-32C and the encoder', () => {
  it('CRC-32C("123456789") is the check value 0xE3069283', () => {
    expect(crc32c(Buffer.from('123456789', 'ascii'))).toBe(0xe3069283);
  });

  it('encodes one PUT k=v at seq 1 byte for byte as the single-put vector', async () => {
    const golden = await readFile(join(VECTORS_DIR, 'single-put', segmentName(1)));
    expect(encode([put('k', 'v')], 1).equals(golden)).toBe(true);
  });

  it('re-encodes every record of every vector to the same bytes', async () => {
    let recordsChecked = 0;
    for (const name of await listVectorNames()) {
      const files = await readdir(join(VECTORS_DIR, name)).catch(() => [] as string[]);
      let nextSeq = 1;
      for (const file of files.filter((f) => f.endsWith('.wal')).sort()) {
        const segment = await readFile(join(VECTORS_DIR, name, file));
        const scan = scanSegment(segment, nextSeq, (record) => {
          const ops: Batch[number][] = [];
          forEachLogical(
            segment,
            record,
            (kind, keyOffset, keyLength, valueOffset, valueLength) => {
              const key = segment.subarray(keyOffset, keyOffset + keyLength);
              ops.push(
                kind === 1
                  ? {
                      type: 'put',
                      key,
                      value: segment.subarray(valueOffset, valueOffset + valueLength),
                    }
                  : { type: 'del', key },
              );
            },
          );
          expect(
            encode(ops, record.seqStart).equals(segment.subarray(record.offset, record.end)),
          ).toBe(true);
          recordsChecked++;
        });
        nextSeq = scan.lastSeq + 1;
      }
    }
    expect(recordsChecked).toBeGreaterThanOrEqual(10);
  });

  it('encodes a DELETE with valLen 0 and kind 0, and empty keys and values', () => {
    const record = encode([del('a'), put('', '')], 7);
    expect(record.readUInt32LE(LENGTH)).toBe(9 + 1 + 9);
    expect(record.readUInt32LE(KEY_LEN)).toBe(1);
    expect(record.readUInt32LE(VAL_LEN)).toBe(0);
    expect(record[KIND]).toBe(0);
    expect(record.readBigUInt64LE(SEQ_START)).toBe(7n);
    expect(record.readUInt32LE(COUNT)).toBe(2);
    expect(reasonOf(record, 7)).toBe('valid');
  });
});

describe('validation reasons (src/wal/wal-format.md section 6), in check order', () => {
  it('truncated-header: fewer than 24 bytes left', () => {
    const record = encode([put('k', 'v')]);
    expect(reasonOf(record.subarray(0, 23))).toBe('truncated-header');
    expect(reasonOf(record.subarray(0, 1))).toBe('truncated-header');
    const twoRecords = Buffer.concat([record, record.subarray(0, 10)]);
    expect(scanSegment(twoRecords, 1).invalid).toEqual({
      offset: record.length,
      reason: 'truncated-header',
    });
  });

  it('truncated-payload: length runs past the end of the segment', () => {
    const record = encode([put('key', 'value')]);
    expect(reasonOf(record.subarray(0, record.length - 1))).toBe('truncated-payload');
    expect(reasonOf(record.subarray(0, 24))).toBe('truncated-payload');
    const huge = Buffer.from(record);
    huge.writeUInt32LE(0xffffffff, LENGTH); // must be refused before any allocation or CRC
    expect(reasonOf(huge)).toBe('truncated-payload');
  });

  it('checksum-mismatch: a flipped bit in the payload, the header, or the crc itself', () => {
    const record = encode([put('key', 'value')]);
    for (const at of [0, 3, TYPE, SEQ_START, COUNT, KEY_LEN, record.length - 1]) {
      for (const bit of [0x01, 0x80]) {
        const damaged = Buffer.from(record);
        damaged[at]! ^= bit;
        expect(reasonOf(damaged), `byte ${at} bit ${bit}`).toBe('checksum-mismatch');
      }
    }
    // A bad header without a recomputed CRC is reported as the earlier check, the checksum.
    const badType = Buffer.from(record);
    badType[TYPE] = 2;
    expect(reasonOf(badType)).toBe('checksum-mismatch');
  });

  describe('bad-header', () => {
    const cases: [string, number, number][] = [
      ['type 0', TYPE, 0],
      ['type 2', TYPE, 2],
      ['flags 1', FLAGS, 1],
      ['flags 0x80', FLAGS, 0x80],
      ['reserved low byte', RESERVED, 1],
      ['reserved high byte', RESERVED + 1, 0x80],
    ];
    it.each(cases)('bad-header: %s', (_name, at, value) => {
      const record = encode([put('k', 'v')]);
      record[at] = value;
      expect(reasonOf(fixCrc(record))).toBe('bad-header');
    });
  });

  describe('bad-payload', () => {
    it('bad-payload: count 0', () => {
      const record = encode([put('k', 'v')]);
      record.writeUInt32LE(0, COUNT);
      expect(reasonOf(fixCrc(record))).toBe('bad-payload');
    });

    it('bad-payload: count higher than the logical records present', () => {
      const record = encode([put('a', '1'), put('b', '2')]);
      record.writeUInt32LE(3, COUNT);
      expect(reasonOf(fixCrc(record))).toBe('bad-payload');
      record.writeUInt32LE(0xffffffff, COUNT);
      expect(reasonOf(fixCrc(record))).toBe('bad-payload');
    });

    it('bad-payload: count higher, with a payload long enough for that many headers (the first record takes it all)', () => {
      const record = encode([put('key', 'a value')]); // 9 + 3 + 7 = 19 payload bytes: room for 2 headers by size
      record.writeUInt32LE(2, COUNT);
      expect(reasonOf(fixCrc(record))).toBe('bad-payload');
    });

    it('bad-payload: count lower, so the records use too few of the length bytes', () => {
      const record = encode([put('a', '1'), put('b', '2')]);
      record.writeUInt32LE(1, COUNT);
      expect(reasonOf(fixCrc(record))).toBe('bad-payload');
    });

    it('bad-payload: length longer than the logical records (trailing payload bytes)', () => {
      const record = encode([put('a', '1')]);
      const longer = Buffer.concat([record, Buffer.from([0])]);
      longer.writeUInt32LE(record.length - 24 + 1, LENGTH);
      expect(reasonOf(fixCrc(longer))).toBe('bad-payload');
    });

    it('bad-payload: kind 2', () => {
      const record = encode([put('k', 'v')]);
      record[KIND] = 2;
      expect(reasonOf(fixCrc(record))).toBe('bad-payload');
    });

    it('bad-payload: a DELETE with valLen > 0', () => {
      const record = encode([put('k', 'v')]);
      record[KIND] = 0; // the value bytes stay: a tombstone carrying a value
      expect(reasonOf(fixCrc(record))).toBe('bad-payload');
    });

    it('bad-payload: keyLen past the end of the payload', () => {
      const record = encode([put('k', 'v')]);
      record.writeUInt32LE(3, KEY_LEN);
      expect(reasonOf(fixCrc(record))).toBe('bad-payload');
      record.writeUInt32LE(0xffffffff, KEY_LEN);
      expect(reasonOf(fixCrc(record))).toBe('bad-payload');
    });

    it('bad-payload: valLen past the end of the payload', () => {
      const record = encode([put('k', 'v')]);
      record.writeUInt32LE(0xffffffff, VAL_LEN);
      expect(reasonOf(fixCrc(record))).toBe('bad-payload');
    });
  });

  describe('sequence-mismatch', () => {
    it('sequence-mismatch: seqStart is not the expected next sequence number', () => {
      const record = encode([put('k', 'v')]);
      record.writeUInt32LE(2, SEQ_START);
      expect(reasonOf(fixCrc(record), 1)).toBe('sequence-mismatch');
      expect(reasonOf(record, 2)).toBe('valid');
      const pair = Buffer.concat([
        encode([put('a', '1'), put('b', '2')], 1),
        encode([put('c', '3')], 2),
      ]);
      expect(scanSegment(pair, 1).invalid).toEqual({
        offset: recordBytes([put('a', '1'), put('b', '2')]),
        reason: 'sequence-mismatch',
      });
    });

    it('sequence-mismatch: seqStart + count - 1 past 2^53 - 1', () => {
      const record = encode([put('a', '1'), put('b', '2')]);
      record.writeBigUInt64LE(BigInt(SEQ_MAX), SEQ_START);
      expect(reasonOf(fixCrc(record), SEQ_MAX)).toBe('sequence-mismatch');
      const single = encode([put('a', '1')], SEQ_MAX); // the very last sequence number is legal
      expect(reasonOf(single, SEQ_MAX)).toBe('valid');
      const beyond = encode([put('a', '1')]);
      beyond.writeBigUInt64LE(2n ** 64n - 1n, SEQ_START);
      expect(reasonOf(fixCrc(beyond), SEQ_MAX)).toBe('sequence-mismatch');
    });
  });

  describe('missing-segment', () => {
    const fs = new NodeFileSystem();

    async function logOf(segmentNumbers: number[]): Promise<string> {
      const dir = await makeTempDir('missing-segment');
      let seq = 1;
      for (const number of segmentNumbers) {
        await writeFile(join(dir, segmentName(number)), encode([put(`k${number}`, 'v')], seq));
        seq += 1;
      }
      return dir;
    }

    it('missing-segment: a gap in the segment numbers', async () => {
      const scan = await scanLog(fs, await logOf([1, 2, 4, 5]));
      expect(scan.status).toBe('corrupt');
      expect(scan.firstInvalid).toMatchObject({
        segment: segmentName(4),
        offset: 0,
        reason: 'missing-segment',
      });
      expect(scan.records).toBe(2);
      expect(scan.lastSeq).toBe(2);
    });

    it('missing-segment: a log whose lowest segment is not number 1', async () => {
      const scan = await scanLog(fs, await logOf([2, 3]));
      expect(scan.status).toBe('corrupt');
      expect(scan.firstInvalid).toMatchObject({
        segment: segmentName(2),
        offset: 0,
        reason: 'missing-segment',
      });
      expect(scan.records).toBe(0);
      expect(scan.lastSeq).toBe(0);
    });

    it('missing-segment: also when the gap is right before the last segment', async () => {
      const scan = await scanLog(fs, await logOf([1, 3]));
      expect(scan.status).toBe('corrupt'); // not a torn tail: a segment is missing
      expect(scan.firstInvalid).toMatchObject({
        segment: segmentName(3),
        offset: 0,
        reason: 'missing-segment',
      });
    });

    it('segment names parse to their exact number, never to a rounded one', () => {
      expect(parseSegmentName(segmentName(1))).toBe(1);
      expect(parseSegmentName('00000000000000000042.wal')).toBe(42);
      expect(parseSegmentName(segmentName(Number.MAX_SAFE_INTEGER))).toBe(Number.MAX_SAFE_INTEGER);
      // 20 digits past 2^53 - 1 cannot be held exactly: not taken as a (wrong) segment number.
      expect(parseSegmentName('00009007199254740992.wal')).toBeNull();
      expect(parseSegmentName('99999999999999999999.wal')).toBeNull();
      for (const name of [
        '1.wal',
        '000000000000000000001.wal',
        '00000000000000000001.wal.0.tail',
        '0000000000000000000a.wal',
      ]) {
        expect(parseSegmentName(name), name).toBeNull();
      }
    });

    it('other names in the directory are not part of the log', async () => {
      const dir = await logOf([1]);
      await writeFile(join(dir, 'LOCK'), '1\n');
      await writeFile(join(dir, '1.wal'), 'x');
      await writeFile(join(dir, '000000000000000000002.wal'), 'x'); // 21 digits
      await mkdir(join(dir, 'quarantine'));
      const scan = await scanLog(fs, dir);
      expect(scan.status).toBe('clean');
      expect(scan.segments.map((s) => s.name)).toEqual([segmentName(1)]);
    });
  });
});
