// Typed errors of the harness runners. A runner never imports the CLI's errors: the CLI maps
// these to its exit statuses (a HarnessInputError is a usage error, exit 3).

export type HarnessInputCode =
  | 'BAD_OPTION'
  | 'NOT_EMPTY'
  | 'BAD_ENGINE'
  | 'UNMODELED'
  | 'NO_STRACE'
  | 'BAD_TOKEN'
  | 'NO_SEGMENT';

/** Input the runner cannot work with (an option, a directory, an engine command, a trace). */
export class HarnessInputError extends Error {
  constructor(
    readonly code: HarnessInputCode,
    message: string,
  ) {
    super(message);
    this.name = 'HarnessInputError';
  }
}
