// The stdio protocol's line formats in process (faults/engine/protocol/): what `walcheck load`
// reads and the real-process runner writes; the CLI tests run the same through processes.

import { describe, expect, it } from 'vitest';
import {
  formatBatchLine,
  LineError,
  parseBatchLine,
} from '../faults/engine/protocol/batch-line.ts';
import { CodecError, codecFor, hexCodec, utf8Codec } from '../faults/engine/protocol/codec.ts';

const b = (text: string): Buffer => Buffer.from(text);

describe('batch lines', () => {
  it('round-trip puts and deletes in hex and UTF-8', () => {
    const batch = [
      { type: 'put' as const, key: b('k'), value: b('') },
      { type: 'del' as const, key: b('') },
    ];
    for (const codec of [hexCodec, utf8Codec]) {
      const line = formatBatchLine(batch, codec);
      expect(parseBatchLine(line, codec)).toEqual(batch);
    }
    expect(formatBatchLine(batch, hexCodec)).toBe('[["put","6b",""],["del",""]]');
  });

  it.each([
    ['{', /not JSON/],
    ['{"a":1}', /must be a JSON array of operations, got an object/],
    ['[]', /at least one operation/],
    ['[1]', /operation 1 must be .*, got number 1$/],
    ['[["put","6b"]]', /"put" takes a key and a value, got 1 argument/],
    ['[["del","6b","00"]]', /"del" takes a key only, got 2 argument/],
    ['[["get","6b"]]', /the kind must be "put" or "del", got "get"/],
    ['[[]]', /got nothing/],
    ['[["del",null]]', /the key must be a string, got null/],
    ['[["del",[1]]]', /the key must be a string, got an array/],
    [`[${JSON.stringify('x'.repeat(50))}]`, /got the string "x{39}\.\.\.$/],
  ])('%s is refused: %s', (line, message) => {
    expect(() => parseBatchLine(line, utf8Codec)).toThrow(LineError);
    expect(() => parseBatchLine(line, utf8Codec)).toThrow(message);
  });
});

describe('codecs', () => {
  it('hex is strict both ways, either case in', () => {
    expect(hexCodec.decode('6B00', 'key')).toEqual(Buffer.from([0x6b, 0]));
    expect(() => hexCodec.decode('6', 'key')).toThrow(/odd length \(1 character\)/);
    expect(() => hexCodec.decode('6x', 'key')).toThrow(/"x" at character 2/);
    expect(hexCodec.encode(new Uint8Array([1, 255]), 'value')).toBe('01ff');
  });

  it('UTF-8 refuses lone surrogates in and invalid bytes out', () => {
    expect(utf8Codec.decode('é', 'key')).toEqual(Buffer.from('é'));
    expect(() => utf8Codec.decode('\ud800', 'key')).toThrow(CodecError);
    expect(() => utf8Codec.encode(new Uint8Array([0xff]), 'value')).toThrow(
      /value is not valid UTF-8 \(1 byte\); drop --utf8/,
    );
    expect(codecFor(true)).toBe(utf8Codec);
    expect(codecFor(false)).toBe(hexCodec);
  });
});
