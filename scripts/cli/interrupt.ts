// SIGINT and SIGTERM for the testing commands (scripts/cli.md): the first signal aborts an
// AbortSignal the runners in faults/ watch (they stop starting work and return the summary
// of what ran, marked interrupted); the command prints it and exits 130 (SIGINT) or 143
// (SIGTERM). A second signal exits at once, with the same status.

import { EXIT_SIGINT, EXIT_SIGTERM } from './command.ts';

const EXIT_BY_SIGNAL = { SIGINT: EXIT_SIGINT, SIGTERM: EXIT_SIGTERM } as const;
type Caught = keyof typeof EXIT_BY_SIGNAL;

export interface Interruption {
  readonly signal: AbortSignal;
  /** The signal received first, or null. */
  readonly received: Caught | null;
  /** The exit status for an interrupted run (130 or 143), or `otherwise` when none came. */
  exitCode(otherwise: number): number;
  /** Stops listening (the default handlers are back). */
  dispose(): void;
}

/** Listens for SIGINT and SIGTERM until dispose(); `what` names the command in the notice. */
export function catchInterrupts(what: string): Interruption {
  const controller = new AbortController();
  let received: Caught | null = null;
  const handlers = new Map<Caught, () => void>();
  for (const name of Object.keys(EXIT_BY_SIGNAL) as Caught[]) {
    const handler = (): void => {
      if (received !== null) {
        process.stderr.write(`\n${what}: ${name} again: stopping now, without a summary\n`);
        process.exit(EXIT_BY_SIGNAL[received]);
      }
      received = name;
      process.stderr.write(
        `\n${what}: ${name}: finishing the work in progress, then the summary of what ran (${name} again to stop at once)\n`,
      );
      controller.abort(new Error(`interrupted by ${name}`));
    };
    handlers.set(name, handler);
    process.on(name, handler);
  }
  return {
    signal: controller.signal,
    get received() {
      return received;
    },
    exitCode: (otherwise) => (received === null ? otherwise : EXIT_BY_SIGNAL[received]),
    dispose() {
      for (const [name, handler] of handlers) process.off(name, handler);
    },
  };
}
