// How keys and values appear on the command line and in JSON: lowercase hex by default,
// UTF-8 text with --utf8 (scripts/cli.md). Both directions are strict: odd-length or non-hex
// input and bytes that are not valid UTF-8 are errors, never silently altered data.

export class CodecError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CodecError';
  }
}

export interface Codec {
  readonly name: 'hex' | 'utf8';
  /** `what` names the field in an error message, e.g. "key". */
  decode(text: string, what: string): Buffer;
  encode(bytes: Uint8Array, what: string): string;
}

const HEX = /^[0-9a-fA-F]*$/;
const NOT_HEX = /[^0-9a-fA-F]/;
// UTF-8 cannot encode a lone surrogate (JSON "\ud800" gives one); Buffer.from would replace it.
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;
const strictUtf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

export const hexCodec: Codec = {
  name: 'hex',
  decode(text, what) {
    if (text.length % 2 !== 0)
      throw new CodecError(
        `${what} is not hex: odd length (${text.length} character${text.length === 1 ? '' : 's'})`,
      );
    if (!HEX.test(text)) {
      const bad = NOT_HEX.exec(text)!;
      throw new CodecError(
        `${what} is not hex: ${JSON.stringify(bad[0])} at character ${bad.index + 1}`,
      );
    }
    return Buffer.from(text, 'hex');
  },
  encode(bytes) {
    return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('hex');
  },
};

export const utf8Codec: Codec = {
  name: 'utf8',
  decode(text, what) {
    if (LONE_SURROGATE.test(text))
      throw new CodecError(`${what} holds a lone surrogate, which UTF-8 cannot encode`);
    return Buffer.from(text, 'utf8');
  },
  encode(bytes, what) {
    try {
      return strictUtf8.decode(bytes);
    } catch {
      throw new CodecError(
        `${what} is not valid UTF-8 (${bytes.length} byte${bytes.length === 1 ? '' : 's'}); drop --utf8 to print it as hex`,
      );
    }
  },
};

export function codecFor(utf8: boolean): Codec {
  return utf8 ? utf8Codec : hexCodec;
}
