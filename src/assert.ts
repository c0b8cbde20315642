// Invariant checks. A failed one is a bug in walcheck, never bad input or an I/O error: it
// throws InvariantError, a WalError with code INVARIANT that asWalError passes through as it
// is, so a harness sees a broken invariant and not a refused or failed write.

import { WalError } from './errors.ts';

export class InvariantError extends WalError {
  constructor(what: string) {
    super('INVARIANT', `walcheck invariant violated: ${what}`);
    this.name = 'InvariantError';
  }
}

export function assert(condition: unknown, what: string): asserts condition {
  if (!condition) throw new InvariantError(what);
}
