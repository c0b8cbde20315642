// Skip-list node heights, as in LevelDB's SkipList::RandomHeight: branching factor 4 and a
// height cap of 12, so a list stays O(log n) up to about 4^12 = 16M nodes per level-1 run.
// The randomness comes from a seeded xorshift32, never Math.random, so a memtable built twice
// from the same writes has the same shape.

export const HEIGHT_MAX = 12;

export class SkipListLevels {
  private state: number;

  constructor(seed: number) {
    // xorshift32 has a fixed point at 0; fold the seed into a nonzero 32-bit state.
    this.state = (Math.imul(seed >>> 0, 0x9e3779b1) ^ 0x6d2b79f5) >>> 0 || 0x6d2b79f5;
  }

  /** A height in [1, HEIGHT_MAX]: 1 with probability 3/4, each extra level with probability 1/4. */
  nextHeight(): number {
    let x = this.state;
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    this.state = x;
    // One 32-bit draw holds 16 two-bit digits, more than the 11 a height can consume.
    let height = 1;
    while (height < HEIGHT_MAX && (x & 3) === 0) {
      height++;
      x >>>= 2;
    }
    return height;
  }
}
