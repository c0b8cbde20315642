// Key order is unsigned bytewise (Buffer.compare): the first differing byte decides, and a key
// that is a prefix of another sorts first. Comparisons start on a 4-byte big-endian prefix held
// as a number, so most of them never touch the key bytes (LevelDB's arena keys are compared with
// memcmp; here a typed-array read is much cheaper than a call into Buffer.compare).
//
//   key bytes     k0 k1 k2 k3 k4 ...
//   prefix32      (k0 << 24 | k1 << 16 | k2 << 8 | k3) >>> 0, missing bytes read as 0x00
//
// Two keys with different prefixes are ordered by their prefixes; equal prefixes decide nothing
// ("a" and "a\0" share one), so the bytes are compared.

/** The 4 bytes of `bytes[offset + depth ..]` (within the key of `length` bytes) as an unsigned 32-bit number. */
export function keyPrefix32(
  bytes: Uint8Array,
  offset: number,
  length: number,
  depth: number,
): number {
  const start = offset + depth;
  const available = length - depth;
  if (available >= 4) {
    return (
      ((bytes[start]! << 24) |
        (bytes[start + 1]! << 16) |
        (bytes[start + 2]! << 8) |
        bytes[start + 3]!) >>>
      0
    );
  }
  let prefix = 0;
  for (let i = 0; i < 4; i++) {
    prefix = prefix * 256 + (i < available ? bytes[start + i]! : 0);
  }
  return prefix;
}

/** Keys sharing this many bytes go to Buffer.compare; shorter ones are compared in a JS loop,
 * which beats the native call's fixed cost (argument checks, a binding call) by far. */
const NATIVE_COMPARE_MIN = 48;

/**
 * Sign of `a[aOffset, +aLength)` against `b[bOffset, +bLength)` in unsigned bytewise order, given
 * that their first `from` bytes are known to be equal (0 when nothing is known).
 */
export function compareBytes(
  a: Buffer,
  aOffset: number,
  aLength: number,
  b: Uint8Array,
  bOffset: number,
  bLength: number,
  from: number,
): number {
  const common = aLength < bLength ? aLength : bLength;
  if (common - from >= NATIVE_COMPARE_MIN) {
    return a.compare(b, bOffset + from, bOffset + bLength, aOffset + from, aOffset + aLength);
  }
  for (let i = from; i < common; i++) {
    const difference = a[aOffset + i]! - b[bOffset + i]!;
    if (difference !== 0) return difference;
  }
  return aLength - bLength;
}
