#!/usr/bin/env node
// walcheck: the command-line entry point (scripts/cli.md). Dispatches to the command registry in
// scripts/commands/index.ts and turns every failure into a message on stderr and an exit
// status: a usage or I/O error is 3, an internal error (a bug in walcheck) 4; 1 and 2 are each
// command's own. `walcheck --version` prints the version of package.json.
//
//   npx tsx scripts/walcheck.ts <command> [arguments]     npm run -s walcheck -- <command> ...
//   npx walcheck <command> [arguments]                    (installed: the build in dist/)

import { UsageError } from './cli/args.ts';
import { EXIT_OK, EXIT_USAGE } from './cli/command.ts';
import { describeFailure } from './cli/failure.ts';
import { PACKAGE_VERSION } from '../faults/base/runtime.ts';
import { COMMANDS } from './commands/index.ts';

const SUMMARY_COLUMN = 10;

function overview(): string {
  const lines = ['Usage: walcheck <command> [arguments]', '', 'Commands:'];
  for (const [name, entry] of Object.entries(COMMANDS))
    lines.push(`  ${name.padEnd(SUMMARY_COLUMN)}${entry.summary}`);
  lines.push(
    '',
    "Run 'walcheck <command> --help' for a command's arguments and options,",
    "'walcheck --version' for the version.",
    '',
  );
  return lines.join('\n');
}

async function main(argv: readonly string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined) {
    process.stderr.write(overview());
    return EXIT_USAGE;
  }
  if (name === '--version' || name === '-v' || name === 'version') {
    if (rest.length > 0) throw new UsageError(`${name} takes no arguments, got ${rest.length}`);
    process.stdout.write(`${PACKAGE_VERSION}\n`);
    return EXIT_OK;
  }
  if (name === '--help' || name === '-h' || (name === 'help' && rest.length === 0)) {
    process.stdout.write(overview());
    return EXIT_OK;
  }
  if (name === 'help') {
    if (rest.length > 1) throw new UsageError(`help takes one command name, got ${rest.length}`);
    return (await lookUp(rest[0]!).load()).run(['--help']);
  }
  if (name.startsWith('-'))
    throw new UsageError(`unknown option ${name} (options go after the command)`);
  return (await lookUp(name).load()).run(rest);
}

function lookUp(name: string) {
  const entry = Object.hasOwn(COMMANDS, name) ? COMMANDS[name] : undefined;
  if (entry === undefined)
    throw new UsageError(
      `unknown command '${name}' (commands: ${Object.keys(COMMANDS).join(', ')})`,
    );
  return entry;
}

/** Exits once everything written to stdout and stderr has been handed to the OS. */
async function exit(code: number): Promise<never> {
  await new Promise<void>((resolve) => process.stdout.write('', () => resolve()));
  await new Promise<void>((resolve) => process.stderr.write('', () => resolve()));
  process.exit(code);
}

// A reader that stops early (`walcheck dump dir | head`) is not an error worth a trace.
process.stdout.on('error', (error: NodeJS.ErrnoException) => {
  if (error.code === 'EPIPE') process.exit(EXIT_USAGE);
  throw error;
});

const argv = process.argv.slice(2);
const command = argv[0] !== undefined && Object.hasOwn(COMMANDS, argv[0]) ? argv[0] : '';
let status: number;
try {
  status = await main(argv);
} catch (error) {
  const [message, code] = describeFailure(error, command);
  process.stderr.write(`${message}\n`);
  status = code;
}
await exit(status);
