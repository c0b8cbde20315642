// Run as a separate process (node --import tsx hold-lock.ts DIR): opens DIR for writing,
// prints "open PID", and holds the lock until its stdin ends, then closes and exits.

import { Database } from '../../src/index.ts';

const dir = process.argv[2];
if (dir === undefined) throw new Error('usage: hold-lock.ts DIR');
const db = await Database.open(dir);
process.stdout.write(`open ${process.pid}\n`);
process.stdin.resume();
process.stdin.on('end', () => {
  void db.close().then(() => process.exit(0));
});
