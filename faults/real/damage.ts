// Damage to the engine's files between a kill and the recovery (`walcheck real --damage`):
// one seeded injection of faults/disk/wal-injectors.ts into the last segment (the last file, in
// name order, whose name matches the segment pattern), near its end, where torn writes and
// lost sectors land:
//
//   truncate   cut the file at an offset in its last TAIL_BYTES
//   tear       overwrite up to TEAR_BYTES_MAX bytes there with zeros or random bytes
//   flip       flip 1 to 3 bits there
//
// Which batch the damage first touches decides what recovery may lose (rule 6 of model/crash-model.md):
// for our WAL format it is the first valid record holding a changed byte (firstDamagedRecord
// on the log decoded before the damage); for an engine of unknown format it is unknown.

import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { BlackBoxDamage } from '../../model/check-black-box.ts';
import { firstDamagedRecord } from '../../model/wal-decode.ts';
import { NodeFileSystem } from '../../src/fs/node-fs.ts';
import type { Rng } from '../base/rng.ts';
import { HarnessInputError } from '../base/harness-error.ts';
import {
  applyInjection,
  describeInjection,
  injectFile,
  type Injection,
} from '../disk/wal-injectors.ts';

export const DAMAGE_KINDS = ['truncate', 'tear', 'flip'] as const;
export type DamageKind = (typeof DAMAGE_KINDS)[number];

/** Our segments; the default pattern also takes LevelDB's and RocksDB's NNNNNN.log. */
const WAL_SEGMENT = /^\d{20}\.wal$/;
export const DEFAULT_SEGMENT_PATTERN = '^\\d+\\.(wal|log)$';
const TAIL_BYTES = 4096;
const TEAR_BYTES_MAX = 1024;
const FLIPS_MAX = 3;

export interface AppliedDamage {
  readonly file: string;
  readonly injection: Injection;
  /** "truncate at byte 1234 of 00000000000000000001.wal" */
  readonly description: string;
  /** What the oracle is told. */
  readonly damage: BlackBoxDamage;
}

/**
 * Applies one injection of `kind`; null when there is no non-empty segment to damage (the
 * directory is empty, or its last segment is). Throws HarnessInputError (NO_SEGMENT) when
 * the directory holds files and none matches the pattern.
 */
export async function damageLastSegment(
  dir: string,
  kind: DamageKind,
  rng: Rng,
  options: { walFormat: boolean; segmentPattern: RegExp },
): Promise<AppliedDamage | null> {
  const present = await readdir(dir);
  const names = present.filter((name) => options.segmentPattern.test(name)).sort();
  const file = names.at(-1);
  if (file === undefined && present.length > 0) {
    // The engine wrote files, none of them a segment by the pattern: damaging nothing and
    // passing would look like an engine that survives damage.
    const shown = present.sort().slice(0, 8).join(', ') + (present.length > 8 ? ', ...' : '');
    throw new HarnessInputError(
      'NO_SEGMENT',
      `--damage: no file of ${dir} matches --segment-pattern ${options.segmentPattern.source} (it holds ${shown}): give the pattern of the engine's log files`,
    );
  }
  if (file === undefined) return null;
  const path = join(dir, file);
  const before = await readFile(path);
  if (before.length === 0) return null;
  const injection = drawInjection(kind, before.length, rng);
  const after = applyInjection(before, injection);
  const changedAt = firstDifference(before, after);
  if (changedAt === null) return null;
  const damage =
    options.walFormat && WAL_SEGMENT.test(file)
      ? await damagedBatch(dir, file, changedAt)
      : ({ kind: 'unknown' } as const);
  await injectFile(new NodeFileSystem(), path, injection);
  return { file, injection, description: `${describeInjection(injection)} of ${file}`, damage };
}

function drawInjection(kind: DamageKind, size: number, rng: Rng): Injection {
  const tail = Math.min(size, TAIL_BYTES);
  const at = (): number => size - tail + rng.int(tail);
  switch (kind) {
    case 'truncate':
      return { kind: 'truncate', offset: at() };
    case 'tear': {
      const start = at();
      const end = Math.min(size, start + 1 + rng.int(TEAR_BYTES_MAX));
      return rng.bool()
        ? { kind: 'tear', start, end, fill: 'zero' }
        : { kind: 'tear', start, end, fill: 'random', seed: rng.u32() };
    }
    case 'flip': {
      const bits = new Set<number>();
      const flips = rng.range(1, FLIPS_MAX);
      for (let i = 0; i < flips; i++) bits.add(at() * 8 + rng.int(8));
      return { kind: 'flip', bits: [...bits].sort((x, y) => x - y) };
    }
  }
}

/** The first byte offset where the two differ (a shorter `after` differs at its end), or null. */
function firstDifference(before: Uint8Array, after: Uint8Array): number | null {
  const common = Math.min(before.length, after.length);
  for (let i = 0; i < common; i++) if (before[i] !== after[i]) return i;
  return before.length === after.length ? null : common;
}

/** The batch whose record holds byte `offset` of `file`, from the log as it is before the damage. */
async function damagedBatch(dir: string, file: string, offset: number): Promise<BlackBoxDamage> {
  const segments = new Map<string, Uint8Array>();
  for (const name of (await readdir(dir)).filter((n) => WAL_SEGMENT.test(n)).sort())
    segments.set(name, await readFile(join(dir, name)));
  const record = firstDamagedRecord(segments, [{ segment: file, offset }]);
  if (record === null) return { kind: 'none' };
  return {
    kind: 'known',
    bitRot: { seqStart: record.seqStart, segment: record.segment, offset: record.offset },
  };
}
