// The batches `walcheck real` streams to the engine, all from a seed: 1 to 4 random puts and
// deletes over a small key space (so keys are overwritten and deleted often), values mostly
// short with now and then a large one (records that span sectors and blocks), and always a
// last put whose value is unique to the batch. That last put makes every prefix state
// distinct, so a black-box engine's recovered state names the k it kept.

import type { Batch, BatchOp } from '../../../src/batch.ts';
import type { Rng } from '../../base/rng.ts';

const KEYS = 48;
const KEY_PREFIX = 0x6b; // 'k': never the reserved keys an adapter may keep (they start with 0xff)
const OPS_MAX = 4;
const DELETE_CHANCE = 0.3;
const VALUE_BYTES_MAX = 24;
const LARGE_VALUE_CHANCE = 0.03;
const LARGE_VALUE_BYTES_MAX = 6000;
/** Bits of the unique stamp given to the line number within a cycle. */
const LINE_BITS = 2 ** 24;

export class Workload {
  private line = 0;

  /** `cycle` and the line number make the unique stamps: the same seed gives the same batches. */
  constructor(
    private readonly rng: Rng,
    private readonly cycle: number,
  ) {}

  next(): Batch {
    this.line += 1;
    if (this.line >= LINE_BITS)
      throw new RangeError(`more than ${LINE_BITS - 1} batches in one cycle`);
    const ops: BatchOp[] = [];
    const extra = this.rng.int(OPS_MAX);
    for (let i = 0; i < extra; i++) {
      const key = this.key();
      ops.push(
        this.rng.bool(DELETE_CHANCE)
          ? { type: 'del', key }
          : { type: 'put', key, value: this.value() },
      );
    }
    ops.push({ type: 'put', key: this.key(), value: this.stamp() });
    return ops;
  }

  private key(): Uint8Array {
    return Uint8Array.of(KEY_PREFIX, this.rng.int(KEYS));
  }

  private value(): Uint8Array {
    const large = this.rng.bool(LARGE_VALUE_CHANCE);
    const bytes = new Uint8Array(
      this.rng.int((large ? LARGE_VALUE_BYTES_MAX : VALUE_BYTES_MAX) + 1),
    );
    for (let i = 0; i < bytes.length; i++) bytes[i] = this.rng.int(256);
    return bytes;
  }

  /** 8 bytes: cycle * 2^24 + line, big-endian; unique over a run. */
  private stamp(): Uint8Array {
    const stamp = new Uint8Array(8);
    new DataView(stamp.buffer).setBigUint64(
      0,
      BigInt(this.cycle) * BigInt(LINE_BITS) + BigInt(this.line),
    );
    return stamp;
  }
}
