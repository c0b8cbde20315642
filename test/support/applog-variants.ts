// Broken variants of the applog example engine (examples/applog-engine), made like the bug
// zoo's: a patched copy of its source under .tmp/, imported as a module. The example itself
// has no switch for them.

import { createHash } from 'node:crypto';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { appLogEngine } from '../../examples/applog-engine/applog-engine.ts';
import type { CrashTestEngine } from '../../faults/harness.ts';

const SOURCE = new URL('../../examples/applog-engine/applog-engine.ts', import.meta.url);
// Same depth as examples/applog-engine/, so the copy's relative imports resolve alike.
const COPIES = new URL('../../.tmp/applog-variants/', import.meta.url);

/** The store acknowledging a batch once written, without the datasync that makes it durable. */
export async function noSyncAppLogEngine(): Promise<CrashTestEngine> {
  const engine = await patchedCopy(
    '      await this.handle.datasync(); // durable before the acknowledgement (rule 1)\n',
    '',
  );
  return { ...engine, name: 'applog without datasync before the ack' };
}

async function patchedCopy(find: string, replace: string): Promise<CrashTestEngine> {
  const source = await readFile(SOURCE, 'utf8');
  if (!source.includes(find))
    throw new Error(`examples/applog-engine no longer contains the line to patch: ${find.trim()}`);
  const patched = source.replace(find, replace);
  const name = `applog-${createHash('sha256').update(patched).digest('hex').slice(0, 12)}.ts`;
  const dir = fileURLToPath(COPIES);
  await mkdir(dir, { recursive: true });
  const file = join(dir, name);
  const scratch = `${file}.${process.pid}.tmp`;
  await writeFile(scratch, patched);
  await rename(scratch, file); // whole or not at all, whichever test process writes it
  const module = (await import(pathToFileURL(file).href)) as { appLogEngine: CrashTestEngine };
  return module.appLogEngine;
}

/** The same store seen as a black box: no lastSeq and no recovery report, a scan and gets only. */
export const blackBoxAppLogEngine: CrashTestEngine = {
  name: 'applog as a black box',
  features: appLogEngine.features ?? {},
  open: async (dir, options) => {
    const db = await appLogEngine.open(dir, options);
    return {
      write: (batch) => db.write(batch),
      scan: () => db.scan(),
      get: (key) => db.get(key),
      close: () => db.close(),
    };
  },
};
