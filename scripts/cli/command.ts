// What a walcheck command is, the exit statuses of scripts/cli.md, and defineCommand, which turns
// a declared spec and a handler into a Command whose --help text is generated from the
// same spec that checks the arguments (so the help lists exactly the options accepted).

import { type ArgsSpec, HELP_OPTION, type OptionSpec, type ParsedArgs, parseArgv } from './args.ts';

/** Exit statuses (scripts/cli.md): 1 and 2 mean what each command says (verify: torn-tail, corrupt). */
export const EXIT_OK = 0;
export const EXIT_FOUND = 1;
export const EXIT_CORRUPT = 2;
export const EXIT_USAGE = 3;
/** A bug in walcheck (scripts/cli.md): distinct from a usage error, with a request to report it. */
export const EXIT_INTERNAL = 4;
/** An interrupted testing command (scripts/cli.md): 128 + the signal's number, as shells report it. */
export const EXIT_SIGINT = 130;
export const EXIT_SIGTERM = 143;

export interface Command {
  /** The full help text, printed by `walcheck <name> --help`. */
  readonly help: string;
  /** Runs with the arguments after the command name; resolves to the exit status. */
  run(argv: readonly string[]): Promise<number>;
}

/** A registry line: the summary is there so `walcheck --help` loads no command module. */
export interface CommandEntry {
  readonly summary: string;
  load(): Promise<Command>;
}

/** A failure with a known exit status and a message for stderr (an I/O error is EXIT_USAGE). */
export class CliFailure extends Error {
  constructor(
    readonly exitCode: number,
    message: string,
  ) {
    super(message);
    this.name = 'CliFailure';
  }
}

export interface CommandSpec extends ArgsSpec {
  name: string;
  /** Paragraphs after the usage line: what the command does, its output, its exit statuses. */
  description: string;
}

export function defineCommand(
  spec: CommandSpec,
  handler: (args: ParsedArgs) => Promise<number>,
): Command {
  const help = formatHelp(spec);
  return {
    help,
    async run(argv) {
      const args = parseArgv(spec, argv);
      if (args === 'help') {
        process.stdout.write(help);
        return EXIT_OK;
      }
      return handler(args);
    },
  };
}

const OPTION_COLUMN = 24;

function formatHelp(spec: CommandSpec): string {
  const positionals = spec.positionals.map((p) => {
    const shown = `<${p.name}>${p.variadic === true ? '...' : ''}`;
    return p.optional === true ? `[${shown}]` : shown;
  });
  const lines = [
    `Usage: walcheck ${spec.name} ${[...positionals, '[options]'].join(' ')}`,
    '',
    spec.description.trim(),
    '',
  ];
  if (spec.positionals.length > 0) {
    lines.push('Arguments:');
    for (const p of spec.positionals) lines.push(column(`<${p.name}>`, p.description));
    lines.push('');
  }
  lines.push('Options:');
  for (const [name, option] of Object.entries(spec.options))
    lines.push(column(optionLabel(name, option), optionText(option)));
  lines.push(column(optionLabel('help', HELP_OPTION), HELP_OPTION.description), '');
  return lines.join('\n');
}

function optionLabel(name: string, option: OptionSpec): string {
  const long = option.type === 'string' ? `--${name} ${option.valueName ?? 'VALUE'}` : `--${name}`;
  return option.short === undefined ? long : `-${option.short}, ${long}`;
}

function optionText(option: OptionSpec): string {
  const parts = [option.description];
  if (option.choices !== undefined) parts.push(`one of ${option.choices.join(', ')}`);
  if (option.default !== undefined) parts.push(`default ${option.default}`);
  return parts.join('; ');
}

function column(label: string, text: string): string {
  const padded = `  ${label}`;
  return padded.length + 2 <= OPTION_COLUMN
    ? padded.padEnd(OPTION_COLUMN) + text
    : `${padded}\n${' '.repeat(OPTION_COLUMN)}${text}`;
}
