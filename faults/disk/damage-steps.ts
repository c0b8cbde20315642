// Structural damage between cycles: before a cycle opens, a record of the crash image's log,
// in any segment, is torn (its segment cut inside it) or has a header field flipped with the
// checksum recomputed (valid to its CRC, wrong inside). Unlike bit rot these are not media
// faults: they are the shapes a log takes when an older segment lost its tail or a writer
// went wrong, and they put the first invalid record in a segment that is not the last as
// often as in the last one, so that every row of the recovery-mode table
// (src/wal/wal-format.md section 7) is exercised and judged (model/check-recovery-mode.ts).
// The damaged record is rule 6's j: batches from it on may be gone, the ones before it may not.

import { type BitRot, decodeLog, type DecodedRecord, segmentFiles } from '../../model/oracle.ts';
import { Rng } from '../base/rng.ts';
import { SimFs, type SimFsOptions } from './sim-fs.ts';
import { applyInjection, type RecordField, walkRecords } from './wal-injectors.ts';
import { DB_DIR } from './db-files.ts';

export interface DamagePlan {
  readonly kind: 'cut' | 'field';
  /** Seeds the record, the cut point, the field and the bit. */
  readonly seed: number;
}

export interface AppliedDamage {
  readonly image: SimFs;
  readonly context: BitRot;
  readonly text: string;
  /** The damaged record is not in the last segment (the table's second column). */
  readonly earlier: boolean;
}

const FIELDS: readonly RecordField[] = ['length', 'seqStart', 'count', 'type'];

/**
 * The image with the planned damage (a new filesystem, all durable, with `options`), or null
 * when it damages nothing (no valid record, or a flip that leaves the record valid).
 */
export function applyDamage(
  image: SimFs,
  plan: DamagePlan,
  options: SimFsOptions,
): AppliedDamage | null {
  const files = image.durableView();
  const segments = segmentFiles(files, DB_DIR);
  const records = decodeLog(segments).records;
  if (records.length === 0) return null;
  const rng = new Rng(plan.seed);
  const record = records[rng.int(records.length)]!;
  const path = `${DB_DIR}/${record.segment}`;
  const bytes = segments.get(record.segment)!;
  const damaged = plan.kind === 'cut' ? cut(bytes, record, rng) : flipField(bytes, record, rng);
  if (damaged === null) return null;
  const after = new Map(files);
  after.set(path, damaged.bytes);
  // Judged only when the damaged record is now the log's first invalid one.
  const decoded = decodeLog(segmentFiles(after, DB_DIR));
  const invalid = decoded.firstInvalid;
  if (invalid === null || invalid.segment !== record.segment || invalid.offset !== record.offset)
    return null;
  return {
    image: SimFs.fromFiles(after, options),
    context: { seqStart: record.seqStart, segment: record.segment, offset: record.offset },
    text: `${record.segment} record at offset ${record.offset} (seq ${record.seqStart}): ${damaged.text}`,
    earlier: decoded.status === 'corrupt',
  };
}

function cut(
  bytes: Uint8Array,
  record: DecodedRecord,
  rng: Rng,
): { bytes: Uint8Array; text: string } {
  const at = record.offset + 1 + rng.int(record.size - 1);
  return { bytes: bytes.slice(0, at), text: `segment cut at byte ${at} (a torn tail)` };
}

function flipField(
  bytes: Uint8Array,
  record: DecodedRecord,
  rng: Rng,
): { bytes: Uint8Array; text: string } | null {
  const index = walkRecords(bytes).findIndex((r) => r.offset === record.offset);
  if (index < 0) return null;
  const field = FIELDS[rng.int(FIELDS.length)]!;
  const bit = rng.int(field === 'type' ? 8 : 32);
  try {
    const damaged = applyInjection(bytes, {
      kind: 'record-field',
      record: index,
      field,
      bit,
      recrc: true,
    });
    return { bytes: damaged, text: `bit ${bit} of ${field} flipped, CRC recomputed` };
  } catch (error) {
    if (error instanceof RangeError) return null; // a length flipped past the end
    throw error;
  }
}

/** Whether the damage is still the log's first invalid record; else a recovery that died set it aside. */
export function damageStill(context: BitRot, segments: ReadonlyMap<string, Uint8Array>): BitRot {
  const invalid = decodeLog(segments).firstInvalid;
  const there = invalid?.segment === context.segment && invalid?.offset === context.offset;
  return there ? context : { ...context, setAside: true };
}
