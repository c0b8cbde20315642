// Command-line arguments: a declared spec (options, positionals) checked against argv.
//
// Tokenizing is node's util.parseArgs (long and short options, --name=value, -abc groups,
// `--` ends the options); it runs in its lenient mode so that every mistake is reported
// here, in one wording, naming the option or argument: unknown option, value missing or
// not allowed, an option given twice, an integer or choice out of range, an argument
// missing or extra. Every such mistake is a UsageError (exit 3).

import { parseArgs } from 'node:util';

export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

export interface OptionSpec {
  type: 'boolean' | 'string';
  /** One line for the help text. */
  description: string;
  /** Placeholder for a string option's value in the help text, e.g. 'SEQ'. */
  valueName?: string;
  short?: string;
  /** A string option whose value must be one of these. */
  choices?: readonly string[];
  /** A string option whose value must be a decimal integer in [min, max]. */
  integer?: { min: number; max: number };
  /** Shown in the help text; returned when the option is absent. */
  default?: string;
}

export interface PositionalSpec {
  /** Shown as <name> in the usage line. */
  name: string;
  description: string;
  optional?: boolean;
  /** The last positional only: takes every remaining argument (one at least unless optional). */
  variadic?: boolean;
}

export interface ArgsSpec {
  options: Record<string, OptionSpec>;
  /** In order; optional ones only at the end. */
  positionals: readonly PositionalSpec[];
}

/** The help option every command takes; parseArgv reports it instead of checking the rest. */
export const HELP_OPTION: OptionSpec = {
  type: 'boolean',
  short: 'h',
  description: 'print this help and exit',
};

/** `--json`, as every testing command takes it (scripts/cli.md). */
export const JSON_OPTION: OptionSpec = {
  type: 'boolean',
  description: 'print a JSON summary as the last line of stdout',
};

/** `--junit FILE`, as every testing command takes it. */
export const JUNIT_OPTION: OptionSpec = {
  type: 'string',
  valueName: 'FILE',
  description: 'also write a JUnit XML report to FILE',
};

const ARGS_MAX = 10_000;

export class ParsedArgs {
  constructor(
    private readonly spec: ArgsSpec,
    private readonly values: ReadonlyMap<string, string | true>,
    readonly positionals: readonly string[],
  ) {}

  flag(name: string): boolean {
    this.expect(name, 'boolean');
    return this.values.get(name) === true;
  }

  string(name: string): string | undefined {
    const option = this.expect(name, 'string');
    const value = this.values.get(name);
    return typeof value === 'string' ? value : option.default;
  }

  /** An option declared with `integer`, already checked to be in range. */
  integer(name: string): number | undefined {
    const text = this.string(name);
    return text === undefined ? undefined : Number(text);
  }

  /** An option declared with `choices`, already checked to be one of them. */
  choice<T extends string>(name: string, choices: readonly T[]): T | undefined {
    const text = this.string(name);
    if (text === undefined) return undefined;
    if (!(choices as readonly string[]).includes(text))
      throw new Error(`option --${name}: ${text} is not a declared choice`);
    return text as T;
  }

  /** Every argument of the variadic positional declared last. */
  rest(): readonly string[] {
    const index = this.spec.positionals.length - 1;
    if (this.spec.positionals[index]?.variadic !== true)
      throw new Error('no variadic positional argument declared');
    return this.positionals.slice(index);
  }

  /** The positional argument declared as `name` (undefined for an absent optional one). */
  positional(name: string): string | undefined {
    const index = this.spec.positionals.findIndex((p) => p.name === name);
    if (index < 0) throw new Error(`no positional argument <${name}> declared`);
    return this.positionals[index];
  }

  private expect(name: string, type: OptionSpec['type']): OptionSpec {
    const option = this.spec.options[name];
    if (option === undefined || option.type !== type)
      throw new Error(`no ${type} option --${name} declared`);
    return option;
  }
}

/** 'help' when -h/--help is present (whatever else is), else the checked arguments. */
export function parseArgv(spec: ArgsSpec, argv: readonly string[]): ParsedArgs | 'help' {
  if (argv.length > ARGS_MAX)
    throw new UsageError(`too many arguments (${argv.length}, at most ${ARGS_MAX})`);
  const options = { help: HELP_OPTION, ...spec.options };
  const tokens = parseArgs({
    args: [...argv],
    options: Object.fromEntries(
      Object.entries(options).map(([name, o]) => [
        name,
        o.short === undefined ? { type: o.type } : { type: o.type, short: o.short },
      ]),
    ),
    allowPositionals: true,
    strict: false,
    tokens: true,
  }).tokens;
  if (tokens.some((t) => t.kind === 'option' && t.name === 'help')) return 'help';

  const values = new Map<string, string | true>();
  const positionals: string[] = [];
  for (const token of tokens) {
    if (token.kind === 'positional') positionals.push(token.value);
    if (token.kind !== 'option') continue;
    const option = Object.hasOwn(options, token.name)
      ? options[token.name as keyof typeof options]
      : undefined;
    if (option === undefined) throw new UsageError(`unknown option ${token.rawName}`);
    const shown = `--${token.name}`;
    if (values.has(token.name)) throw new UsageError(`option ${shown} given more than once`);
    values.set(token.name, optionValue(shown, option, token.value, token.inlineValue === true));
  }
  checkPositionals(spec.positionals, positionals);
  return new ParsedArgs(spec, values, positionals);
}

function optionValue(
  shown: string,
  option: OptionSpec,
  value: string | undefined,
  inline: boolean,
): string | true {
  if (option.type === 'boolean') {
    if (value !== undefined)
      throw new UsageError(`option ${shown} takes no value (got '${value}')`);
    return true;
  }
  const valueName = option.valueName ?? 'VALUE';
  // An option-like next word is far more likely a forgotten value than a value; a negative
  // number given to an integer option is a value, out of range (said below).
  const negative = option.integer !== undefined && value !== undefined && /^-\d+$/.test(value);
  if (value === undefined || (!inline && !negative && value.startsWith('-') && value.length > 1)) {
    throw new UsageError(`option ${shown} needs a value (${shown} ${valueName})`);
  }
  if (option.choices !== undefined && !option.choices.includes(value)) {
    throw new UsageError(
      `option ${shown} must be one of ${option.choices.join(', ')}; got '${value}'`,
    );
  }
  if (option.integer !== undefined)
    checkInteger(shown, value, option.integer.min, option.integer.max);
  return value;
}

function checkInteger(shown: string, text: string, min: number, max: number): void {
  const number = /^-?\d{1,20}$/.test(text) ? Number(text) : Number.NaN;
  if (!Number.isSafeInteger(number) || number < min || number > max) {
    throw new UsageError(`option ${shown} must be an integer from ${min} to ${max}; got '${text}'`);
  }
}

function checkPositionals(specs: readonly PositionalSpec[], given: readonly string[]): void {
  const required = specs.filter((p) => p.optional !== true).length;
  if (given.length < required) {
    const missing = specs.slice(given.length, required).map((p) => `<${p.name}>`);
    throw new UsageError(`missing argument ${missing.join(' ')}`);
  }
  if (given.length > specs.length && specs.at(-1)?.variadic !== true) {
    const extra = given.slice(specs.length).map((a) => `'${a}'`);
    throw new UsageError(`unexpected argument${extra.length > 1 ? 's' : ''} ${extra.join(' ')}`);
  }
}
