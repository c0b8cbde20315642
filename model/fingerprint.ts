// Order-independent fingerprints of key-value states, updated entry by entry.
//
// A state's fingerprint is the sum (mod 2^32, in two independent lanes) of one hash per
// live entry, so putting, replacing and deleting a key adjust it in O(entry bytes), and
// an observed state is compared against every prefix state in O(1) each. Equal
// fingerprints are only a candidate match: callers confirm with a full comparison.

import type { Bytes } from './bytes.ts';

export interface Fingerprint {
  a: number;
  b: number;
}

export function emptyFingerprint(): Fingerprint {
  return { a: 0, b: 0 };
}

/** The two lanes of the last entry hashed (a typed array: no allocation, no binding checks). */
const lanes = new Uint32Array(2);

/** Hashes one (key, value) entry into lanes; the key length separates key from value. */
function hashEntry(key: Bytes, value: Bytes): void {
  let a = 0x811c9dc5 ^ key.byteLength;
  let b = 0x9747b28c ^ Math.imul(key.byteLength, 0x85ebca6b);
  for (let i = 0; i < key.byteLength; i++) {
    const byte = key[i]!;
    a = Math.imul(a ^ byte, 0x01000193);
    b = Math.imul(b ^ byte, 0x5bd1e995);
    b ^= b >>> 13;
  }
  a = Math.imul(a ^ 0xff ^ value.byteLength, 0x01000193);
  b = Math.imul(b ^ value.byteLength, 0xcc9e2d51);
  for (let i = 0; i < value.byteLength; i++) {
    const byte = value[i]!;
    a = Math.imul(a ^ byte, 0x01000193);
    b = Math.imul(b ^ byte, 0x5bd1e995);
    b ^= b >>> 13;
  }
  lanes[0] = mix(a);
  lanes[1] = mix(b ^ 0x27d4eb2f);
}

/** murmur3 fmix32: spreads every input bit over the output before summing. */
function mix(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/**
 * One entry's hash, [laneA, laneB]: what addEntry adds. The array is reused by the next call:
 * read it right away (a model that keeps it removes the entry later without hashing again).
 */
export function entryHash(key: Bytes, value: Bytes): Readonly<Uint32Array> {
  hashEntry(key, value);
  return lanes;
}

export function addEntry(fp: Fingerprint, key: Bytes, value: Bytes): void {
  hashEntry(key, value);
  addHash(fp, lanes[0]!, lanes[1]!);
}

export function removeEntry(fp: Fingerprint, key: Bytes, value: Bytes): void {
  hashEntry(key, value);
  removeHash(fp, lanes[0]!, lanes[1]!);
}

/** Adds an entry by its hash (entryHash). */
export function addHash(fp: Fingerprint, a: number, b: number): void {
  fp.a = (fp.a + a) >>> 0;
  fp.b = (fp.b + b) >>> 0;
}

/** Removes an entry by its hash (entryHash). */
export function removeHash(fp: Fingerprint, a: number, b: number): void {
  fp.a = (fp.a - a) >>> 0;
  fp.b = (fp.b - b) >>> 0;
}

export function sameFingerprint(x: Fingerprint, y: Fingerprint): boolean {
  return x.a === y.a && x.b === y.b;
}

export function fingerprintOf(entries: readonly (readonly [Bytes, Bytes])[]): Fingerprint {
  const fp = emptyFingerprint();
  for (const [key, value] of entries) addEntry(fp, key, value);
  return fp;
}
