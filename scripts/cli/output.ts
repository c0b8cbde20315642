// Line output to stdout: lines are gathered into chunks (one write per chunk, not per
// line, for dumps of millions of records), handed over when a chunk fills or on flush(),
// and callers that produce without bound wait for the stream to drain.

import type { Writable } from 'node:stream';

const CHUNK_CHARS_MAX = 64 * 1024;

export class LineWriter {
  private chunk: string[] = [];
  private chunkChars = 0;

  constructor(private readonly stream: Writable = process.stdout) {}

  /** Buffers one line (a newline is added). */
  line(text: string): void {
    this.chunk.push(text, '\n');
    this.chunkChars += text.length + 1;
    if (this.chunkChars >= CHUNK_CHARS_MAX) this.handOver();
  }

  json(value: unknown): void {
    this.line(JSON.stringify(value));
  }

  /** True when the stream holds more than it wants: await drained() before producing more. */
  get full(): boolean {
    return this.stream.writableNeedDrain;
  }

  async drained(): Promise<void> {
    if (!this.stream.writableNeedDrain) return;
    await new Promise<void>((resolve) => this.stream.once('drain', resolve));
  }

  /** Hands every buffered line to the stream now (acks must not wait for a chunk to fill). */
  flush(): void {
    if (this.chunkChars > 0) this.handOver();
  }

  private handOver(): void {
    this.stream.write(this.chunk.join(''));
    this.chunk = [];
    this.chunkChars = 0;
  }
}

/** "1 record", "2 records". */
export function plural(count: number, noun: string): string {
  return `${count} ${noun}${count === 1 ? '' : 's'}`;
}
