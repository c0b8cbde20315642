// The machine a report's numbers come from.

import { execFileSync } from 'node:child_process';
import { cpus, platform, release, tmpdir, totalmem } from 'node:os';

export interface Environment {
  date: string;
  node: string;
  os: string;
  cpu: string;
  cores: number;
  memoryGiB: number;
  /** The filesystem of the temporary directory the real-filesystem runs use. */
  filesystem: string;
  commit: string;
}

export function readEnvironment(): Environment {
  return {
    date: new Date().toISOString().replace(/\.\d+Z$/, 'Z'),
    node: process.version,
    os: `${platform()} ${release()}`,
    cpu: cpus()[0]?.model.trim() ?? 'unknown',
    cores: cpus().length,
    memoryGiB: Math.round(totalmem() / 2 ** 30),
    filesystem: commandOutput(
      'findmnt',
      ['-n', '-o', 'FSTYPE,OPTIONS', '-T', tmpdir()],
      (out) => `${tmpdir()}: ${out.split(/\s+/)[0]} (${out.split(/\s+/)[1] ?? ''})`,
    ),
    commit: commandOutput('git', ['rev-parse', '--short', 'HEAD'], (out) => out),
  };
}

function commandOutput(command: string, args: string[], format: (out: string) => string): string {
  try {
    return format(
      execFileSync(command, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim(),
    );
  } catch {
    return 'unknown';
  }
}
