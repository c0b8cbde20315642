// Which program `walcheck real` audits, as the command prefix of the engine protocol: the
// harness runs `<prefix> load <dir>` and `<prefix> scan <dir>`.
//
//   own          node scripts/walcheck                  (the default)
//   power-loss   node scripts/power-loss-engine [--tear-seed N]
//                (our engine on faults/disk/power-loss-fs.ts; the seed changes per cycle)
//   black box    --engine CMD, run from the caller's working directory
//
// Our own engines run as walcheck itself runs (faults/base/runtime.ts): the .ts sources under tsx
// in a checkout, the built .js under plain node in the package. They write our WAL format,
// so damage can be mapped to the batch it hits.

import { HarnessInputError } from '../../base/harness-error.ts';
import { nodeScript, RUN_ROOT } from '../../base/runtime.ts';
import { splitCommand } from './engine-process.ts';

export interface EngineCommand {
  readonly prefix: readonly string[];
  readonly cwd: string;
  /** The engine writes our WAL segments (src/wal/wal-format.md), so damage maps to a batch. */
  readonly walFormat: boolean;
}

export function ownEngine(): EngineCommand {
  return {
    prefix: nodeScript('scripts/walcheck'),
    cwd: RUN_ROOT,
    walFormat: true,
  };
}

export function powerLossEngine(tearSeed: number | null): EngineCommand {
  const tear = tearSeed === null ? [] : ['--tear-seed', String(tearSeed)];
  return {
    prefix: [...nodeScript('scripts/power-loss-engine'), ...tear],
    cwd: RUN_ROOT,
    walFormat: true,
  };
}

export function blackBoxEngine(command: string): EngineCommand {
  const prefix = splitCommand(command);
  if (prefix.length === 0)
    throw new HarnessInputError(
      'BAD_ENGINE',
      `--engine needs a command (got ${JSON.stringify(command)})`,
    );
  return { prefix, cwd: process.cwd(), walFormat: false };
}

export function loadArgv(engine: EngineCommand, dir: string): string[] {
  return [...engine.prefix, 'load', dir];
}

export function scanArgv(engine: EngineCommand, dir: string): string[] {
  return [...engine.prefix, 'scan', dir];
}
