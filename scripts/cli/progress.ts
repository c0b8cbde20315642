// Progress lines on stderr: rewritten in place on a terminal, one line per update
// elsewhere (throttled), never on stdout, which belongs to machine-readable output.

import { performance } from 'node:perf_hooks';

export class Progress {
  private readonly tty = process.stderr.isTTY === true;
  /** Off a terminal the first status waits one interval: a rate measured at the start means nothing. */
  private lastPrintMs = performance.now();

  constructor(
    private readonly enabled = true,
    /** Off a terminal, print at most one update per this many ms. */
    private readonly plainIntervalMs = 5000,
  ) {}

  /** A step that begins now (always printed). */
  step(line: string): void {
    if (!this.enabled) return;
    this.clear();
    process.stderr.write(`${line}\n`);
  }

  /** A running status (rewritten on a terminal, throttled otherwise). */
  update(line: string): void {
    if (!this.enabled) return;
    const now = performance.now();
    if (this.tty) {
      process.stderr.write(`\r\x1b[2K${line}`);
      return;
    }
    if (now - this.lastPrintMs < this.plainIntervalMs) return;
    this.lastPrintMs = now;
    process.stderr.write(`${line}\n`);
  }

  /** Ends a running status line on a terminal. */
  done(): void {
    this.clear();
  }

  private clear(): void {
    if (this.tty) process.stderr.write('\r\x1b[2K');
  }
}
