// Where walcheck runs from: its TypeScript sources in a checkout (under tsx or vitest), or the
// JavaScript built into dist/ by `npm run build` (the installed package, plain node). Code that
// starts another process or thread of walcheck's own asks here instead of assuming a checkout.

import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';

/** True when this module is a .ts file (a checkout), false when it is built JavaScript. */
export const RUNS_FROM_SOURCE = import.meta.url.endsWith('.ts');

/** The extension of walcheck's own modules as they run: '.ts' or '.js'. */
const MODULE_EXTENSION = RUNS_FROM_SOURCE ? '.ts' : '.js';

/** walcheck's version: package.json at the package root (the checkout, or the parent of dist/). */
export const PACKAGE_VERSION: string = (
  JSON.parse(
    readFileSync(
      new URL(RUNS_FROM_SOURCE ? '../../package.json' : '../../../package.json', import.meta.url),
      'utf8',
    ),
  ) as { version: string }
).version;

/** The project root as it runs: the checkout, or dist/ of the package (ends with a slash). */
export const RUN_ROOT = fileURLToPath(new URL('../..', import.meta.url));

/** A walcheck module by its path from the root without extension, e.g. 'scripts/walcheck'. */
export function modulePath(pathFromRoot: string): string {
  return `${RUN_ROOT}${pathFromRoot}${MODULE_EXTENSION}`;
}

/** The argv prefix that runs one of walcheck's scripts in a new node process. */
export function nodeScript(pathFromRoot: string): string[] {
  const loader = RUNS_FROM_SOURCE ? ['--import', 'tsx'] : [];
  return [process.execPath, ...loader, modulePath(pathFromRoot)];
}

/**
 * A worker thread running one of walcheck's modules, given as a URL without extension
 * (`new URL('./campaign-worker', import.meta.url)`). From sources the worker registers tsx
 * itself, then imports the .ts entry: loader hooks are per thread, and Node 20 resolves a
 * worker's entry before --import runs.
 */
export function startModuleWorker(moduleUrl: URL, workerData: unknown): Worker {
  const entry = `${moduleUrl.href}${MODULE_EXTENSION}`;
  if (!RUNS_FROM_SOURCE) return new Worker(new URL(entry), { workerData });
  const tsxApi = JSON.stringify(import.meta.resolve('tsx/esm/api'));
  const bootstrap = `import(${tsxApi}).then(({ register }) => { register(); return import(${JSON.stringify(entry)}); })`;
  return new Worker(bootstrap, { eval: true, workerData });
}
