// A black-box engine for `walcheck real` tests, as a command line.

import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { quoteCommand } from '../../faults/engine/protocol/engine-process.ts';
import { makeTempDir } from './temp-dirs.ts';

// A black-box engine in plain JavaScript: state in one JSON file, rewritten durably
// (write, fsync, rename). Mode 'lazy' acks every line but saves only every 7th: acked
// batches die with it. Mode 'renumber' restarts its sequence numbers at 1 on every open.
// Mode 'durable' saves every line before its ack: correct, its only file state.json.
const FAKE_ENGINE = `
import { closeSync, existsSync, fsyncSync, openSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
const [mode, verb, dir] = process.argv.slice(2);
const file = dir + '/state.json';
const state = existsSync(file) ? JSON.parse(readFileSync(file, 'utf8')) : { lastSeq: 0, entries: {} };
const save = () => {
  writeFileSync(file + '.tmp', JSON.stringify(state));
  const fd = openSync(file + '.tmp', 'r'); fsyncSync(fd); closeSync(fd);
  renameSync(file + '.tmp', file);
};
if (verb === 'scan') {
  for (const key of Object.keys(state.entries).sort()) console.log(JSON.stringify({ key, value: state.entries[key] }));
  process.exit(0);
}
if (mode === 'renumber') state.lastSeq = 0;
let lines = 0;
for await (const line of createInterface({ input: process.stdin })) {
  const ops = JSON.parse(line);
  for (const [kind, key, value] of ops) if (kind === 'put') state.entries[key] = value; else delete state.entries[key];
  const seqStart = state.lastSeq + 1;
  state.lastSeq += ops.length;
  if (mode !== 'lazy' || ++lines % 7 === 0) save();
  process.stdout.write(JSON.stringify({ seqStart, count: ops.length }) + '\\n');
}
save();
`;

export async function fakeEngine(mode: 'lazy' | 'renumber' | 'durable'): Promise<string> {
  const path = join(await makeTempDir('fake-engine'), 'fake-engine.mjs');
  await writeFile(path, FAKE_ENGINE);
  return quoteCommand([process.execPath, path, mode]);
}
