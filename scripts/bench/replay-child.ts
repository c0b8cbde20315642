// Replays a log in a fresh process (run with --expose-gc) so that the memory measured is
// the memtable's and the retained segments', not leftovers of earlier benchmark phases.
// Prints one JSON object: { seconds, logBytes, memoryBytes, lastSeq }.

import { performance } from 'node:perf_hooks';
import { Database } from '../../src/index.ts';

const dir = process.argv[2];
if (dir === undefined) throw new Error('usage: replay-child.ts <dir>');
const gc = (globalThis as { gc?: () => void }).gc;
if (gc === undefined) throw new Error('replay-child.ts needs node --expose-gc');

const memoryInUse = (): number => {
  const usage = process.memoryUsage();
  return usage.heapUsed + usage.external;
};

gc();
const before = memoryInUse();
const start = performance.now();
const db = await Database.open(dir, { readOnly: true });
const seconds = (performance.now() - start) / 1000;
gc();
const memoryBytes = memoryInUse() - before;
let logBytes = 0;
for (const segment of db.recovery.segments) logBytes += segment.bytes;
const lastSeq = db.lastSeq;
await db.close();
process.stdout.write(`${JSON.stringify({ seconds, logBytes, memoryBytes, lastSeq })}\n`);
