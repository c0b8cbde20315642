// Byte-level injectors (faults/disk/wal-injectors.ts) on a hand-built two-record segment: the
// walker finds every field, each injector changes exactly what it says (and returns a new
// array), and with the CRC recomputed a flip reaches the validation step after the checksum
// that src/wal/wal-format.md section 6 names for it. A small validator here follows section 6 by hand.

import { crc32c } from '@node-rs/crc32';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { SimFs } from '../faults/disk/sim-fs.ts';
import { NodeFileSystem } from '../src/fs/node-fs.ts';
import {
  applyInjection,
  describeInjection,
  flipBits,
  injectFile,
  RECORD_FIELDS,
  recomputeCrc,
  tearRange,
  truncateAt,
  walkRecords,
} from '../faults/disk/wal-injectors.ts';
import type { Injection, RecordField } from '../faults/disk/wal-injectors.ts';

const enc = new TextEncoder();

interface Logical {
  kind: 0 | 1;
  key: string;
  value: string;
}

function encodeRecord(seqStart: number, ops: Logical[]): Uint8Array {
  const parts = ops.map((op) => {
    const key = enc.encode(op.key);
    const value = enc.encode(op.value);
    const out = new Uint8Array(9 + key.length + value.length);
    const v = new DataView(out.buffer);
    v.setUint32(0, key.length, true);
    v.setUint32(4, value.length, true);
    v.setUint8(8, op.kind);
    out.set(key, 9);
    out.set(value, 9 + key.length);
    return out;
  });
  const length = parts.reduce((n, p) => n + p.length, 0);
  const rec = new Uint8Array(24 + length);
  const v = new DataView(rec.buffer);
  v.setUint32(4, length, true);
  v.setUint8(8, 1);
  v.setUint32(12, seqStart % 0x1_0000_0000, true);
  v.setUint32(16, Math.floor(seqStart / 0x1_0000_0000), true);
  v.setUint32(20, ops.length, true);
  let at = 24;
  for (const p of parts) {
    rec.set(p, at);
    at += p.length;
  }
  v.setUint32(0, crc32c(rec.subarray(4)) >>> 0, true);
  return rec;
}

const REC0 = encodeRecord(1, [
  { kind: 1, key: 'k1', value: 'v1' },
  { kind: 0, key: 'k2', value: '' },
]);
const REC1 = encodeRecord(3, [{ kind: 1, key: 'key', value: 'value' }]);
const SEGMENT = new Uint8Array([...REC0, ...REC1]);

type Verdict = 'clean' | `${number}:${string}`;

/** src/wal/wal-format.md section 6, checks in order; the first failure as "record:reason". */
function validate(bytes: Uint8Array): Verdict {
  const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let o = 0;
  let expected = 1;
  for (let i = 0; o < bytes.length; i++) {
    const fail = (reason: string): Verdict => `${i}:${reason}`;
    if (bytes.length - o < 24) return fail('truncated-header');
    const length = v.getUint32(o + 4, true);
    if (length > bytes.length - o - 24) return fail('truncated-payload');
    if (crc32c(bytes.subarray(o + 4, o + 24 + length)) >>> 0 !== v.getUint32(o, true))
      return fail('checksum-mismatch');
    if (v.getUint8(o + 8) !== 1 || v.getUint8(o + 9) !== 0 || v.getUint16(o + 10, true) !== 0)
      return fail('bad-header');
    const count = v.getUint32(o + 20, true);
    let p = o + 24;
    const end = o + 24 + length;
    let parsed = 0;
    for (; parsed < count && p + 9 <= end; parsed++) {
      const k = v.getUint32(p, true);
      const val = v.getUint32(p + 4, true);
      const kind = v.getUint8(p + 8);
      if (kind > 1 || (kind === 0 && val !== 0)) return fail('bad-payload');
      p += 9 + k + val;
    }
    if (count < 1 || parsed !== count || p !== end) return fail('bad-payload');
    const seqStart = v.getUint32(o + 12, true) + v.getUint32(o + 16, true) * 0x1_0000_0000;
    if (seqStart !== expected || seqStart + count - 1 > Number.MAX_SAFE_INTEGER)
      return fail('sequence-mismatch');
    expected = seqStart + count;
    o = end;
  }
  return 'clean';
}

const rec0Field = (field: RecordField, bit: number, recrc: boolean): Injection => ({
  kind: 'record-field',
  record: 0,
  field,
  bit,
  recrc,
});

describe('the hand-built segment and the walker', () => {
  it('uses the CRC-32C of src/wal/wal-format.md section 2 and validates clean', () => {
    expect(crc32c('123456789') >>> 0).toBe(0xe3069283);
    expect(validate(SEGMENT)).toBe('clean');
  });

  it('walks both records and their logical records', () => {
    expect(walkRecords(SEGMENT)).toEqual([
      {
        offset: 0,
        length: REC0.length - 24,
        seqStart: 1,
        count: 2,
        complete: true,
        logical: [
          { offset: 24, keyLen: 2, valLen: 2, kind: 1 },
          { offset: 37, keyLen: 2, valLen: 0, kind: 0 },
        ],
      },
      {
        offset: REC0.length,
        length: 17,
        seqStart: 3,
        count: 1,
        complete: true,
        logical: [{ offset: REC0.length + 24, keyLen: 3, valLen: 5, kind: 1 }],
      },
    ]);
  });

  it('reports a torn last record as incomplete and stops at a partial header', () => {
    const spans = walkRecords(SEGMENT.subarray(0, SEGMENT.length - 3));
    expect(spans.map((s) => s.complete)).toEqual([true, false]);
    expect(spans[1]!.logical).toHaveLength(1); // its header still fits
    expect(walkRecords(SEGMENT.subarray(0, REC0.length + 23))).toHaveLength(1);
    expect(walkRecords(new Uint8Array(0))).toEqual([]);
  });
});

describe('pure injectors', () => {
  it('truncateAt cuts the segment: a torn payload, then a torn header', () => {
    expect(validate(truncateAt(SEGMENT, SEGMENT.length - 1))).toBe('1:truncated-payload');
    expect(validate(truncateAt(SEGMENT, REC0.length + 10))).toBe('1:truncated-header');
    expect(validate(truncateAt(SEGMENT, REC0.length))).toBe('clean');
    expect(() => truncateAt(SEGMENT, SEGMENT.length + 1)).toThrow(RangeError);
  });

  it('tearRange zero-fills or fills with seeded random bytes, leaving the input alone', () => {
    const copy = SEGMENT.slice();
    const zeroed = tearRange(SEGMENT, 30, 40);
    expect([...zeroed.subarray(30, 40)]).toEqual(new Array(10).fill(0));
    expect([...zeroed.subarray(0, 30)]).toEqual([...SEGMENT.subarray(0, 30)]);
    expect(validate(zeroed)).toBe('0:checksum-mismatch');
    const a = tearRange(SEGMENT, REC0.length + 24, SEGMENT.length, { seed: 7 });
    expect(tearRange(SEGMENT, REC0.length + 24, SEGMENT.length, { seed: 7 })).toEqual(a);
    expect(tearRange(SEGMENT, REC0.length + 24, SEGMENT.length, { seed: 8 })).not.toEqual(a);
    expect(validate(a)).toBe('1:checksum-mismatch');
    expect(SEGMENT).toEqual(copy);
  });

  it('flipBits flips exactly the named bits', () => {
    const out = flipBits(SEGMENT, [8 * 8 + 1, 0]);
    expect(out[8]).toBe(SEGMENT[8]! ^ 2);
    expect(out[0]).toBe(SEGMENT[0]! ^ 1);
    expect(out.reduce((n, b, i) => n + (b !== SEGMENT[i] ? 1 : 0), 0)).toBe(2);
    expect(() => flipBits(SEGMENT, [SEGMENT.length * 8])).toThrow(RangeError);
  });
});

describe('structure-aware flips', () => {
  it('any header flip without re-CRC is a checksum mismatch', () => {
    for (const field of Object.keys(RECORD_FIELDS) as RecordField[]) {
      if (field === 'length') continue; // changes where the CRC span ends: covered below
      expect(validate(applyInjection(SEGMENT, rec0Field(field, 0, false))), field).toBe(
        '0:checksum-mismatch',
      );
      expect(
        validate(
          applyInjection(SEGMENT, { kind: 'record-field', record: 1, field, bit: 0, recrc: false }),
        ),
        field,
      ).toBe('1:checksum-mismatch');
    }
    expect(validate(applyInjection(SEGMENT, rec0Field('length', 1, false)))).toBe(
      '0:checksum-mismatch',
    );
    expect(validate(applyInjection(SEGMENT, rec0Field('length', 31, false)))).toBe(
      '0:truncated-payload',
    );
  });

  it('with the CRC recomputed, each field reaches the check after the checksum', () => {
    expect(validate(applyInjection(SEGMENT, rec0Field('type', 1, true)))).toBe('0:bad-header');
    expect(validate(applyInjection(SEGMENT, rec0Field('flags', 0, true)))).toBe('0:bad-header');
    expect(validate(applyInjection(SEGMENT, rec0Field('reserved', 15, true)))).toBe('0:bad-header');
    expect(validate(applyInjection(SEGMENT, rec0Field('count', 0, true)))).toBe('0:bad-payload');
    expect(validate(applyInjection(SEGMENT, rec0Field('length', 0, true)))).toBe('0:bad-payload');
    expect(validate(applyInjection(SEGMENT, rec0Field('seqStart', 3, true)))).toBe(
      '0:sequence-mismatch',
    );
    expect(
      validate(
        applyInjection(SEGMENT, {
          kind: 'record-field',
          record: 1,
          field: 'seqStart',
          bit: 0,
          recrc: true,
        }),
      ),
    ).toBe('1:sequence-mismatch');
    expect(validate(applyInjection(SEGMENT, rec0Field('seqStart', 63, true)))).toBe(
      '0:sequence-mismatch',
    );
  });

  it('logical record fields: lengths and kinds break the payload, key and value bytes only the CRC', () => {
    const logical = (
      j: number,
      field: 'keyLen' | 'valLen' | 'kind' | 'key' | 'value',
      bit: number,
      recrc: boolean,
    ): Injection => ({
      kind: 'logical-field',
      record: 0,
      logical: j,
      field,
      bit,
      recrc,
    });
    expect(validate(applyInjection(SEGMENT, logical(0, 'keyLen', 0, true)))).toBe('0:bad-payload');
    expect(validate(applyInjection(SEGMENT, logical(1, 'valLen', 0, true)))).toBe('0:bad-payload'); // a DELETE with a value
    expect(validate(applyInjection(SEGMENT, logical(0, 'kind', 1, true)))).toBe('0:bad-payload'); // kind 3
    expect(validate(applyInjection(SEGMENT, logical(0, 'kind', 0, true)))).toBe('0:bad-payload'); // DELETE with a value
    expect(validate(applyInjection(SEGMENT, logical(1, 'kind', 0, true)))).toBe('clean'); // PUT of an empty value: valid
    for (const field of ['key', 'value'] as const) {
      const flipped = applyInjection(SEGMENT, logical(0, field, 9, true));
      expect(validate(flipped), field).toBe('clean');
      expect(flipped).not.toEqual(SEGMENT);
      expect(validate(applyInjection(SEGMENT, logical(0, field, 9, false))), field).toBe(
        '0:checksum-mismatch',
      );
    }
    const keyBit = applyInjection(SEGMENT, logical(0, 'key', 9, false));
    expect(keyBit[24 + 9 + 1]).toBe(SEGMENT[24 + 9 + 1]! ^ 2); // byte 1 of 'k1', bit 1
  });

  it('refuses targets that do not exist or that re-CRC cannot honour', () => {
    expect(() =>
      applyInjection(SEGMENT, {
        kind: 'record-field',
        record: 2,
        field: 'crc',
        bit: 0,
        recrc: false,
      }),
    ).toThrow(RangeError);
    expect(() => applyInjection(SEGMENT, rec0Field('crc', 0, true))).toThrow(RangeError);
    expect(() => applyInjection(SEGMENT, rec0Field('type', 8, false))).toThrow(RangeError); // a u8 has bits 0..7
    expect(() => applyInjection(SEGMENT, rec0Field('length', 31, true))).toThrow(RangeError); // runs past the end
    expect(() =>
      applyInjection(SEGMENT, {
        kind: 'logical-field',
        record: 0,
        logical: 1,
        field: 'value',
        bit: 0,
        recrc: false,
      }),
    ).toThrow(RangeError); // empty value
    expect(() =>
      applyInjection(SEGMENT, {
        kind: 'logical-field',
        record: 1,
        logical: 1,
        field: 'key',
        bit: 0,
        recrc: false,
      }),
    ).toThrow(RangeError);
  });

  it('recomputeCrc repairs a flipped payload byte', () => {
    const damaged = flipBits(SEGMENT, [(REC0.length + 24 + 9 + 3 + 2) * 8]); // a byte of 'value'
    expect(validate(damaged)).toBe('1:checksum-mismatch');
    expect(validate(recomputeCrc(damaged, 1))).toBe('clean');
  });

  it('describes each injection in words', () => {
    expect(describeInjection({ kind: 'truncate', offset: 40 })).toBe('truncate at byte 40');
    expect(describeInjection({ kind: 'tear', start: 1, end: 9, fill: 'random', seed: 3 })).toBe(
      'tear bytes [1, 9) with random bytes (seed 3)',
    );
    expect(describeInjection({ kind: 'flip', bits: [17] })).toBe('flip bits 2.1 (byte.bit)');
    expect(describeInjection(rec0Field('count', 2, true))).toBe(
      "flip bit 2 of record 0's count, CRC recomputed",
    );
    expect(
      describeInjection({
        kind: 'logical-field',
        record: 1,
        logical: 0,
        field: 'key',
        bit: 4,
        recrc: false,
      }),
    ).toBe("flip bit 4 of record 1 logical 0's key");
  });
});

describe('injectFile through a FileSystem', () => {
  it('applies the injection durably, rewriting only what changed', async () => {
    const fs = SimFs.fromFiles({ '/db/00000000000000000001.wal': SEGMENT });
    const path = '/db/00000000000000000001.wal';
    const out = await injectFile(fs, path, rec0Field('seqStart', 0, true));
    expect(validate(out)).toBe('0:sequence-mismatch');
    expect(fs.durableView().get(path)).toEqual(out);
    const writes = fs.trace.filter((e) => e.op === 'write');
    expect(writes.map((e) => [e.offset, e.length])).toEqual([[0, 13]]); // crc .. seqStart's first byte
    await injectFile(fs, path, { kind: 'truncate', offset: REC0.length + 5 });
    expect(fs.crashImage({ kind: 'lose-unsynced' }).volatileView().get(path)!.length).toBe(
      REC0.length + 5,
    );
  });

  // node:fs reads a Buffer, whose slice() is a view: every injector copies its input first,
  // so the bytes injectFile compares against stay the ones before the change.
  it.each<Injection>([
    { kind: 'flip', bits: [3, 80] },
    { kind: 'tear', start: 2, end: 20, fill: 'zero' },
    { kind: 'tear', start: 2, end: 20, fill: 'random', seed: 5 },
    { kind: 'truncate', offset: 7 },
  ])('changes a real file read as a Buffer: $kind', async (inj) => {
    const dir = await mkdtemp(join(tmpdir(), 'walcheck-inject-'));
    try {
      const path = join(dir, 'seg');
      await writeFile(path, SEGMENT);
      const out = await injectFile(new NodeFileSystem(), path, inj);
      expect(new Uint8Array(out)).toEqual(applyInjection(new Uint8Array(SEGMENT), inj));
      expect(new Uint8Array(out)).not.toEqual(new Uint8Array(SEGMENT));
      expect(new Uint8Array(await readFile(path))).toEqual(new Uint8Array(out));
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('retries short writes', async () => {
    const fs = SimFs.fromFiles(
      { '/seg': SEGMENT },
      { faults: [{ op: 'write', nth: 0, fault: 'short', bytes: 1 }] },
    );
    const out = await injectFile(fs, '/seg', { kind: 'tear', start: 0, end: 8, fill: 'zero' });
    expect(fs.durableView().get('/seg')).toEqual(out);
    // bytes 0..4 change (the crc and the low byte of length; length's upper bytes are zeros already)
    expect(fs.trace.filter((e) => e.op === 'write').map((e) => e.result)).toEqual([1, 4]);
  });
});
