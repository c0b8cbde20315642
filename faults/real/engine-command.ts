// Which program `walcheck real` audits, as the command prefix of the engine protocol: the
// harness runs `<prefix> load <dir>` and `<prefix> scan <dir>`.
//
//   own          node --import tsx scripts/walcheck.ts            (the default)
//   power-loss   node --import tsx scripts/engine-child.ts [--tear-seed N]
//                (our engine on faults/power-loss-fs.ts; the seed changes per cycle)
//   black box    --engine CMD, run from the caller's working directory
//
// Our own engines write our WAL format, so damage can be mapped to the batch it hits.

import { fileURLToPath } from 'node:url';
import { HarnessInputError } from '../harness-error.ts';
import { splitCommand } from './engine-process.ts';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

export interface EngineCommand {
  readonly prefix: readonly string[];
  readonly cwd: string;
  /** The engine writes our WAL segments (wal-format.md), so damage maps to a batch. */
  readonly walFormat: boolean;
}

export function ownEngine(): EngineCommand {
  return {
    prefix: [process.execPath, '--import', 'tsx', `${ROOT}scripts/walcheck.ts`],
    cwd: ROOT,
    walFormat: true,
  };
}

export function powerLossEngine(tearSeed: number | null): EngineCommand {
  const tear = tearSeed === null ? [] : ['--tear-seed', String(tearSeed)];
  return {
    prefix: [process.execPath, '--import', 'tsx', `${ROOT}scripts/engine-child.ts`, ...tear],
    cwd: ROOT,
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
