// Bit rot across cycles: which batch the flips damaged first (rule 6's j), and whether the
// damage is still in the log, was set aside by a recovery that died part-way, or was undone.

import { bytesEqual } from '../../model/bytes.ts';
import { type BitRot, firstDamagedRecord, segmentFiles } from '../../model/oracle.ts';
import { decodeLog } from '../../model/wal-decode.ts';
import type { CrashOutcome } from './crash-outcome.ts';
import type { SimFs } from './sim-fs.ts';
import { DB_DIR } from './db-files.ts';

/** Bit rot that hit a valid record: rule 6's j, and the flipped bytes to tell whether it is still there. */
export interface Damage {
  context: BitRot;
  /** Each damaged byte: its value before and after the flips. */
  bytes: { segment: string; offset: number; original: number; flipped: number }[];
  /** The first damaged record's bytes as they were before the flips. */
  record: { segment: string; offset: number; bytes: Uint8Array };
  /** Segments after the damaged one holding records, and their first record's seqStart, at
   *  the time of the flips (a point-in-time recovery moves them to quarantine/). */
  laterSegments: { segment: string; seqStart: number }[];
}

export function damagedBatch(
  fs: SimFs,
  outcome: Extract<CrashOutcome, { kind: 'bit-rot' }>,
): Damage | undefined {
  const segments = segmentFiles(fs.durableView(), DB_DIR); // views that never change
  const masks = new Map<string, { segment: string; offset: number; mask: number }>();
  for (const flip of outcome.flips) {
    if (!flip.path.startsWith(`${DB_DIR}/`)) continue;
    const segment = flip.path.slice(DB_DIR.length + 1);
    const offset = Math.floor(flip.bit / 8);
    const key = `${segment}@${offset}`;
    const mask = (masks.get(key)?.mask ?? 0) ^ (1 << (flip.bit % 8));
    masks.set(key, { segment, offset, mask });
  }
  const damage = [...masks.values()].filter((d) => d.mask !== 0);
  const record = firstDamagedRecord(segments, damage);
  if (record === null) return undefined;
  const bytes = damage.flatMap((d) => {
    const original = segments.get(d.segment)?.[d.offset];
    return original === undefined
      ? []
      : [{ segment: d.segment, offset: d.offset, original, flipped: original ^ d.mask }];
  });
  const recordBytes = segments
    .get(record.segment)!
    .subarray(record.offset, record.offset + record.size);
  return {
    context: { seqStart: record.seqStart, segment: record.segment, offset: record.offset },
    bytes,
    record: { segment: record.segment, offset: record.offset, bytes: recordBytes },
    laterSegments: laterSegments(segments, record.segment),
  };
}

/** The first record of each segment after `segment`, in log order. */
function laterSegments(
  segments: ReadonlyMap<string, Uint8Array>,
  segment: string,
): Damage['laterSegments'] {
  const out: Damage['laterSegments'] = [];
  for (const record of decodeLog(segments).records) {
    if (record.segment > segment && out.at(-1)?.segment !== record.segment)
      out.push({ segment: record.segment, seqStart: record.seqStart });
  }
  return out;
}

/**
 * The damage as the log holds it now: unchanged while every flipped byte is still flipped;
 * gone once every damaged byte and the whole damaged record read as before (a second flip of
 * the same bit restored them) and every later segment is still in the log; otherwise set
 * aside (a recovery that died cut the bytes away, or a torn truncation left other bytes
 * there, which may even equal the original ones). A restored record does not bring back the
 * later segments a point-in-time recovery moved to quarantine/ before it died: then the
 * damage is set aside from the first record of the first segment missing (the restored
 * record and those before it are whole again, and may be served).
 */
export function damageNow(
  damage: Damage,
  segments: ReadonlyMap<string, Uint8Array>,
): Damage | undefined {
  const now = damage.bytes.map((d) => segments.get(d.segment)?.[d.offset]);
  if (damage.bytes.every((d, i) => now[i] === d.flipped)) return damage;
  const { segment, offset, bytes } = damage.record;
  const held = segments.get(segment)?.subarray(offset, offset + bytes.byteLength);
  const restored =
    damage.bytes.every((d, i) => now[i] === d.original) &&
    held !== undefined &&
    bytesEqual(held, bytes);
  if (!restored) return { ...damage, context: { ...damage.context, setAside: true } };
  const moved = damage.laterSegments.find((later) => !segments.has(later.segment));
  if (moved === undefined) return undefined;
  return {
    ...damage,
    context: { seqStart: moved.seqStart, segment: moved.segment, offset: 0, setAside: true },
  };
}
