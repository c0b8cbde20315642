// The stdio protocol's text forms (faults/protocol/): keys and values as hex or strict UTF-8,
// and `walcheck load`'s batch lines, parsed strictly with an error naming what was wrong,
// and written so that parsing gives the batch back. The CLI tests drive these through child
// processes; here they are called directly.

import { describe, expect, it } from 'vitest';
import { HarnessInputError } from '../faults/harness-error.ts';
import { formatBatchLine, LineError, parseBatchLine } from '../faults/protocol/batch-line.ts';
import { CodecError, codecFor, hexCodec, utf8Codec } from '../faults/protocol/codec.ts';
import type { Batch } from '../src/batch.ts';

describe('codecs', () => {
  it('hex: decodes either case, encodes lowercase, and refuses odd lengths and non-hex', () => {
    expect([...hexCodec.decode('00aB', 'key')]).toEqual([0, 0xab]);
    expect(hexCodec.encode(Uint8Array.of(1, 0xfe), 'key')).toBe('01fe');
    expect(() => hexCodec.decode('abc', 'key')).toThrow(
      'key is not hex: odd length (3 characters)',
    );
    expect(() => hexCodec.decode('a', 'key')).toThrow('odd length (1 character)');
    expect(() => hexCodec.decode('0g', 'value')).toThrow('value is not hex: "g" at character 2');
    expect(() => hexCodec.decode('zz', 'key')).toThrow(CodecError);
  });

  it('utf8: refuses lone surrogates and bytes that are not UTF-8', () => {
    expect(utf8Codec.decode('é', 'key').toString('hex')).toBe('c3a9');
    expect(utf8Codec.encode(Buffer.from('ok'), 'key')).toBe('ok');
    expect(() => utf8Codec.decode('\ud800', 'key')).toThrow('lone surrogate');
    expect(() => utf8Codec.encode(Uint8Array.of(0xff), 'value')).toThrow(
      'value is not valid UTF-8 (1 byte); drop --utf8 to print it as hex',
    );
    expect(() => utf8Codec.encode(Uint8Array.of(0xff, 0xfe), 'value')).toThrow('(2 bytes)');
    expect(codecFor(true)).toBe(utf8Codec);
    expect(codecFor(false)).toBe(hexCodec);
  });
});

describe('batch lines', () => {
  it('round-trips puts and deletes through formatBatchLine and parseBatchLine', () => {
    const batch: Batch = [
      { type: 'put', key: Buffer.from('k1'), value: Buffer.from('v1') },
      { type: 'del', key: Buffer.from('k0') },
    ];
    for (const codec of [hexCodec, utf8Codec]) {
      const line = formatBatchLine(batch, codec);
      expect(parseBatchLine(line, codec)).toEqual(batch);
    }
    expect(formatBatchLine(batch, hexCodec)).toBe('[["put","6b31","7631"],["del","6b30"]]');
  });

  it.each([
    ['{', /^not JSON/],
    ['{"a":1}', 'a batch must be a JSON array of operations, got an object'],
    ['[]', 'a batch needs at least one operation'],
    ['[null]', 'operation 1 must be ["put", key, value] or ["del", key], got null'],
    ['[7]', 'got number 7'],
    ['[["put","00"]]', 'operation 1: "put" takes a key and a value, got 1 argument(s)'],
    ['[["del","00","11"]]', 'operation 1: "del" takes a key only, got 2 argument(s)'],
    ['[["get","00"]]', 'operation 1: the kind must be "put" or "del", got "get"'],
    ['[[]]', 'the kind must be "put" or "del", got nothing'],
    ['[["del",[1]]]', 'operation 1: the key must be a string, got an array'],
    ['[["put","00",5]]', 'operation 1: the value must be a string, got number 5'],
    [`[["del","${'a'.repeat(50)}"],"${'b'.repeat(50)}"]`, /got the string "b{39}\.\.\.$/],
    ['[["del","0"]]', 'operation 1: the key is not hex: odd length'],
  ])('refuses %s, naming what was wrong', (line, message) => {
    const thrown = (() => {
      try {
        parseBatchLine(line, hexCodec);
      } catch (error) {
        return error;
      }
      return null;
    })();
    expect(thrown).toBeInstanceOf(Error);
    if (typeof message === 'string') expect((thrown as Error).message).toContain(message);
    else expect((thrown as Error).message).toMatch(message);
    if (!line.includes('"0"]')) expect(thrown).toBeInstanceOf(LineError);
  });
});

describe('harness errors', () => {
  it('carry a stable code and a name', () => {
    const error = new HarnessInputError('NOT_EMPTY', 'the directory is not empty');
    expect(error).toMatchObject({ code: 'NOT_EMPTY', name: 'HarnessInputError' });
    expect(error.message).toBe('the directory is not empty');
  });
});
