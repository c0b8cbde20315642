// The version of walcheck: package.json's, found from this module in a checkout
// (scripts/cli/) and in the package (dist/scripts/cli/) alike.

import { readFile } from 'node:fs/promises';
import { RUNS_FROM_SOURCE } from '../../faults/runtime.ts';

export async function packageVersion(): Promise<string> {
  const up = RUNS_FROM_SOURCE ? '../../' : '../../../';
  const text = await readFile(new URL(`${up}package.json`, import.meta.url), 'utf8');
  return (JSON.parse(text) as { version: string }).version;
}
