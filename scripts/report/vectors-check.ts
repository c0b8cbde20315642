// The golden vectors (test/vectors/, written by an independent implementation) checked
// the way the test suite checks them: status, first invalid record and recovered state.

import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Database, NodeFileSystem, scanLog } from '../../src/index.ts';

const VECTORS_DIR = fileURLToPath(new URL('../../test/vectors/', import.meta.url));

export interface VectorResult {
  name: string;
  ok: boolean;
  status: string;
  records: number;
  problem: string | null;
}

interface Expected {
  status: string;
  records: number;
  lastSeq: number;
  firstInvalid: { segment: string; offset: number; reason: string } | null;
  state: Record<string, string>;
}

export async function checkVectors(): Promise<VectorResult[]> {
  const names = readdirSync(VECTORS_DIR)
    .filter((f) => f.endsWith('.expected.json'))
    .map((f) => f.replace('.expected.json', ''))
    .sort();
  const results: VectorResult[] = [];
  for (const name of names) {
    const expected = JSON.parse(
      readFileSync(join(VECTORS_DIR, `${name}.expected.json`), 'utf8'),
    ) as Expected;
    results.push(await checkVector(name, expected));
  }
  return results;
}

async function checkVector(name: string, expected: Expected): Promise<VectorResult> {
  const dir = join(VECTORS_DIR, name);
  const result = (problem: string | null): VectorResult => ({
    name,
    ok: problem === null,
    status: expected.status,
    records: expected.records,
    problem,
  });
  if (!existsSync(dir)) return result(expected.records === 0 ? null : `${dir} is missing`);
  const scan = await scanLog(new NodeFileSystem(), dir);
  const invalid =
    scan.firstInvalid === null
      ? null
      : {
          segment: scan.firstInvalid.segment,
          offset: scan.firstInvalid.offset,
          reason: scan.firstInvalid.reason,
        };
  if (
    scan.status !== expected.status ||
    scan.records !== expected.records ||
    scan.lastSeq !== expected.lastSeq
  ) {
    return result(`verify gave ${scan.status}, ${scan.records} records, lastSeq ${scan.lastSeq}`);
  }
  const want = expected.firstInvalid;
  const same =
    want === null
      ? invalid === null
      : invalid !== null &&
        invalid.segment === want.segment &&
        invalid.offset === want.offset &&
        invalid.reason === want.reason;
  if (!same) return result(`first invalid record ${JSON.stringify(invalid)}`);
  const db = await Database.open(dir, { readOnly: true });
  const state = [...db.scan()].map((e) => [e.key.toString('hex'), e.value.toString('hex')]);
  await db.close();
  const wantState = Object.entries(expected.state).sort(([a], [b]) =>
    Buffer.compare(Buffer.from(a, 'hex'), Buffer.from(b, 'hex')),
  );
  return result(
    JSON.stringify(state) === JSON.stringify(wantState) ? null : 'recovered state differs',
  );
}
