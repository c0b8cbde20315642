// The keys scenarios write: a small space, so that writes collide, overwrite and delete each
// other, and a recovered engine can be read back with a get per key.

/** Keys come from a small space so that writes collide, overwrite and delete each other. */
export const KEY_SPACE = 8;

/** The key of index 0..KEY_SPACE-1; KEY_SPACE gives a key past every one of them (a scan bound). */
export function keyOf(index: number): Uint8Array {
  return index === 0 ? new Uint8Array(0) : Uint8Array.of(0x60 + index); // index 0: the empty key
}
