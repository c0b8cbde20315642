// What the audit tests need of the machine: the python interpreter that runs
// test/engines/applog.py, whether strace is installed, and the applog engine's command.

import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { quoteCommand } from '../../faults/engine/protocol/engine-process.ts';
import { ROOT } from './walcheck-cli.ts';

/** The interpreter itself, not a version manager's shell shim: scans start ~10x faster. */
export const PYTHON = execFileSync('python3', ['-c', 'import sys; print(sys.executable)'], {
  encoding: 'utf8',
}).trim();

/** The applog engine's script (a small python append-log engine). */
export const APPLOG = join(ROOT, 'test/engines/applog.py');

/** Whether strace runs here (.ci/run installs it; the recording tests skip without it). */
export const HAS_STRACE = ((): boolean => {
  try {
    execFileSync('strace', ['-V'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();

/** The command line of applog.py, as a variant. */
export function applog(variant: string): string {
  return quoteCommand([PYTHON, APPLOG, '--variant', variant]);
}
