// Opens a database in a fresh process, read-only or writable, and prints how long the open
// took as one JSON object: { seconds, lastSeq }. The writable open is closed again (its lock).

import { performance } from 'node:perf_hooks';
import { Database } from '../../src/index.ts';

const [dir, mode] = process.argv.slice(2);
if (dir === undefined || (mode !== 'readOnly' && mode !== 'writable'))
  throw new Error('usage: open-child.ts <dir> readOnly|writable');
const start = performance.now();
const db = await Database.open(dir, { readOnly: mode === 'readOnly' });
const seconds = (performance.now() - start) / 1000;
const lastSeq = db.lastSeq;
await db.close();
process.stdout.write(`${JSON.stringify({ seconds, lastSeq })}\n`);
