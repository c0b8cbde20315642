// The golden WAL vectors in test/vectors (copied unchanged from the shared folder): their
// names, their expected.json, and a writable copy of each. Git keeps no empty directory,
// so a vector folder that is missing in a checkout is treated as an empty directory.

import { readdir, readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import type { Entry } from '../../src/index.ts';
import { copyTree } from './temp-dirs.ts';

export const VECTORS_DIR = fileURLToPath(new URL('../vectors/', import.meta.url));
const EXPECTED_SUFFIX = '.expected.json';

export interface VectorExpectation {
  status: 'clean' | 'torn-tail' | 'corrupt';
  records: number;
  lastSeq: number;
  firstInvalid: { segment: string; offset: number; reason: string } | null;
  /** Live keys after recovery: hex key -> hex value. */
  state: Record<string, string>;
  note?: string;
}

/** Vector names (one per NAME.expected.json), sorted. */
export async function listVectorNames(): Promise<string[]> {
  const names = (await readdir(VECTORS_DIR)).filter((name) => name.endsWith(EXPECTED_SUFFIX));
  return names.map((name) => name.slice(0, -EXPECTED_SUFFIX.length)).sort();
}

export async function readExpectation(name: string): Promise<VectorExpectation> {
  return JSON.parse(
    await readFile(join(VECTORS_DIR, name + EXPECTED_SUFFIX), 'utf8'),
  ) as VectorExpectation;
}

/** Copies vector `name` into `to` (a missing vector folder copies as an empty directory). */
export async function copyVector(name: string, to: string): Promise<void> {
  await copyTree(join(VECTORS_DIR, name), to);
}

/** An expected `state` as [hexKey, hexValue] pairs in key order (JSON object order is not key order). */
export function expectedEntries(state: Record<string, string>): [string, string][] {
  return Object.entries(state).sort(([a], [b]) =>
    Buffer.compare(Buffer.from(a, 'hex'), Buffer.from(b, 'hex')),
  );
}

/** Scan results as [hexKey, hexValue] pairs, in the order the scan gave them. */
export function entriesHex(entries: Iterable<Entry>): [string, string][] {
  return Array.from(entries, (entry) => [
    Buffer.from(entry.key).toString('hex'),
    Buffer.from(entry.value).toString('hex'),
  ]);
}
