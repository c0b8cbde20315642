// Byte helpers for the model. Keys live in maps as latin1 strings ("key ids"): one char
// per byte, so JavaScript string order is exactly unsigned byte order (Buffer.compare).

export type Bytes = Uint8Array;

/** A key id: the key's bytes as a latin1 string; ids sort like Buffer.compare sorts bytes. */
export function keyId(bytes: Bytes): string {
  if (bytes.byteLength > SHORT_KEY_BYTES)
    return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('latin1');
  let id = ''; // short keys: cheaper than a Buffer view and a decode
  for (let i = 0; i < bytes.byteLength; i++) id += String.fromCharCode(bytes[i]!);
  return id;
}

const SHORT_KEY_BYTES = 32;

export function keyBytes(id: string): Bytes {
  return Buffer.from(id, 'latin1');
}

/** Unsigned byte order, as Buffer.compare (-1, 0 or 1). */
export function compareBytes(a: Bytes, b: Bytes): number {
  const common = Math.min(a.byteLength, b.byteLength);
  if (common > SHORT_COMPARE_BYTES) return Buffer.compare(a, b);
  for (let i = 0; i < common; i++) if (a[i] !== b[i]) return a[i]! < b[i]! ? -1 : 1;
  return a.byteLength === b.byteLength ? 0 : a.byteLength < b.byteLength ? -1 : 1;
}

export function bytesEqual(a: Bytes, b: Bytes): boolean {
  const length = a.byteLength;
  if (length !== b.byteLength) return false;
  if (length > SHORT_COMPARE_BYTES) {
    // The same view (a file compared with the durable bytes it came from) is equal unread.
    if (a.buffer === b.buffer && a.byteOffset === b.byteOffset) return true;
    return Buffer.compare(a, b) === 0;
  }
  for (let i = 0; i < length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** Up to this length a loop beats Buffer.compare's call into C++ (the oracle compares keys of a byte or two millions of times). */
const SHORT_COMPARE_BYTES = 32;

const SHOW_BYTES_MAX = 16;

/** Short display: "text" when printable ASCII, else 0x-hex; long values are cut with their size. */
export function showBytes(bytes: Bytes | undefined): string {
  if (bytes === undefined) return '(absent)';
  const head = bytes.subarray(0, SHOW_BYTES_MAX);
  const printable = head.every(
    (byte) => byte >= 0x20 && byte < 0x7f && byte !== 0x22 && byte !== 0x5c,
  );
  const text = printable
    ? `"${Buffer.from(head).toString('latin1')}"`
    : `0x${Buffer.from(head).toString('hex')}`;
  return bytes.byteLength > SHOW_BYTES_MAX ? `${text}…(${bytes.byteLength} bytes)` : text;
}

/** Hex of a key or value for reports, "0x" + digits ("0x (empty)"), long ones cut with their size. */
export function hexBytes(bytes: Bytes): string {
  if (bytes.byteLength === 0) return '0x (empty)';
  const head = Buffer.from(bytes.subarray(0, HEX_BYTES_MAX)).toString('hex');
  return bytes.byteLength > HEX_BYTES_MAX ? `0x${head}…(${bytes.byteLength} bytes)` : `0x${head}`;
}

const HEX_BYTES_MAX = 32;

/** The first offset where two byte strings differ (the shorter length when one is a prefix), or -1. */
export function firstDifference(a: Bytes, b: Bytes): number {
  const common = Math.min(a.byteLength, b.byteLength);
  for (let i = 0; i < common; i++) if (a[i] !== b[i]) return i;
  return a.byteLength === b.byteLength ? -1 : common;
}

/**
 * Two different values side by side, each shown from their first differing byte when the
 * difference lies past what showBytes shows (two identical prefixes would say nothing).
 */
export function showDifference(expected: Bytes, found: Bytes): [string, string] {
  const at = firstDifference(expected, found);
  if (at < SHOW_BYTES_MAX) return [showBytes(expected), showBytes(found)];
  const from = (bytes: Bytes): string => {
    const window = bytes.subarray(at, at + SHOW_BYTES_MAX);
    const shown = window.byteLength === 0 ? '(end)' : `0x${Buffer.from(window).toString('hex')}`;
    return `${bytes.byteLength} bytes, from byte ${at}: ${shown}${at + SHOW_BYTES_MAX < bytes.byteLength ? '…' : ''}`;
  };
  return [from(expected), from(found)];
}
