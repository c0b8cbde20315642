// The stdio protocol's line formats (faults/protocol/), in process: a batch line and the
// hex and UTF-8 codecs. The CLI tests drive them through child processes, where coverage
// does not see them; here every refusal is checked for the message that names it.

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { formatBatchLine, LineError, parseBatchLine } from '../faults/protocol/batch-line.ts';
import { CodecError, codecFor, hexCodec, utf8Codec } from '../faults/protocol/codec.ts';
import type { Batch } from '../src/batch.ts';

const SEED = Number(process.env.WALCHECK_SEED ?? 20240611);

/** A batch as plain arrays, so a Buffer and a Uint8Array of the same bytes compare equal. */
const plain = (batch: Batch) =>
  batch.map((op) =>
    op.type === 'put' ? [op.type, [...op.key], [...op.value]] : [op.type, [...op.key]],
  );

describe('batch lines', () => {
  it('format and parse are inverse for any batch (hex)', () => {
    const op = fc.oneof(
      fc.record({
        type: fc.constant('put' as const),
        key: fc.uint8Array({ maxLength: 12 }),
        value: fc.uint8Array({ maxLength: 12 }),
      }),
      fc.record({ type: fc.constant('del' as const), key: fc.uint8Array({ maxLength: 12 }) }),
    );
    console.log(`batch line round trip: seed ${SEED}`);
    fc.assert(
      fc.property(fc.array(op, { minLength: 1, maxLength: 6 }), (batch: Batch) => {
        const parsed = parseBatchLine(formatBatchLine(batch, hexCodec), hexCodec);
        expect(plain(parsed)).toEqual(plain(batch));
      }),
      { seed: SEED, numRuns: 200 },
    );
  });

  it('reads UTF-8 text with the utf8 codec', () => {
    const batch = parseBatchLine('[["put","clé","valeur"],["del","k"]]', codecFor(true));
    expect(batch).toEqual([
      { type: 'put', key: Buffer.from('clé'), value: Buffer.from('valeur') },
      { type: 'del', key: Buffer.from('k') },
    ]);
    expect(formatBatchLine(batch, utf8Codec)).toBe('[["put","clé","valeur"],["del","k"]]');
  });

  it.each([
    ['[', /^not JSON/],
    ['{"put":1}', 'a batch must be a JSON array of operations, got an object'],
    ['[]', 'a batch needs at least one operation'],
    ['[null]', 'operation 1 must be ["put", key, value] or ["del", key], got null'],
    ['[["put","6b"]]', 'operation 1: "put" takes a key and a value, got 1 argument(s)'],
    ['[["del","6b","76"]]', 'operation 1: "del" takes a key only, got 2 argument(s)'],
    ['[["del","6b"],["get","6b"]]', 'operation 2: the kind must be "put" or "del", got "get"'],
    ['[[]]', 'operation 1: the kind must be "put" or "del", got nothing'],
    ['[["put",7,"76"]]', 'operation 1: the key must be a string, got number 7'],
    ['[["put","6b",[]]]', 'operation 1: the value must be a string, got an array'],
    ['[["del","abc"]]', 'operation 1: the key is not hex: odd length (3 characters)'],
    [`[["put","6b",true]]`, 'operation 1: the value must be a string, got boolean true'],
  ])('refuses %s naming what is wrong', (line, message) => {
    const thrown = (() => {
      try {
        parseBatchLine(line, hexCodec);
        return null;
      } catch (error) {
        return error;
      }
    })();
    expect(thrown).toBeInstanceOf(line.includes('abc') ? CodecError : LineError);
    if (typeof message === 'string') expect((thrown as Error).message).toBe(message);
    else expect((thrown as Error).message).toMatch(message);
  });

  it('shows at most 40 characters of a long wrong value', () => {
    expect(() => parseBatchLine(JSON.stringify(['y'.repeat(60)]), hexCodec)).toThrow(
      `got the string "${'y'.repeat(39)}...`,
    );
  });
});

describe('codecs', () => {
  it('hex: strict both ways, in either case on input', () => {
    expect(hexCodec.decode('6B00ff', 'key')).toEqual(Buffer.from([0x6b, 0, 0xff]));
    expect(hexCodec.encode(new Uint8Array([0x6b, 0, 0xff]), 'key')).toBe('6b00ff');
    expect(() => hexCodec.decode('6', 'key')).toThrow('key is not hex: odd length (1 character)');
    expect(() => hexCodec.decode('6bzz', 'value')).toThrow('value is not hex: "z" at character 3');
    expect(codecFor(false)).toBe(hexCodec);
  });

  it('utf8: a lone surrogate and invalid UTF-8 are errors, never replaced', () => {
    expect(() => utf8Codec.decode('a\ud800', 'key')).toThrow(CodecError);
    expect(() => utf8Codec.decode('\udc00b', 'key')).toThrow('lone surrogate');
    expect(utf8Codec.decode('\ud83d\ude00', 'key')).toEqual(Buffer.from('😀'));
    expect(() => utf8Codec.encode(new Uint8Array([0xff]), 'value')).toThrow(
      'value is not valid UTF-8 (1 byte); drop --utf8 to print it as hex',
    );
    expect(() => utf8Codec.encode(new Uint8Array([0xc3, 0x28]), 'key')).toThrow('(2 bytes)');
  });
});
