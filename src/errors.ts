// Typed errors with stable codes. Scripts and tests match on `code`, never on messages.

export type WalErrorCode =
  | 'INVALID_ARGUMENT' // wrong key/value type, bad option, empty batch
  | 'BATCH_TOO_LARGE' // encoded batch over the record size limit
  | 'CLOSED' // operation on a closed database
  | 'BUSY' // the write queue is full
  | 'LOCKED' // another writable open holds the directory
  | 'NOT_A_DIRECTORY' // the database path exists and is not a directory
  | 'NOT_FOUND' // read-only open of a missing directory
  | 'READ_ONLY' // write on a read-only open
  | 'CORRUPT' // recovery found damage the mode does not allow
  | 'IO' // a filesystem operation failed
  | 'INVARIANT'; // a walcheck invariant failed: a bug (src/assert.ts), never input or I/O

export class WalError extends Error {
  readonly code: WalErrorCode;
  override readonly cause?: unknown;

  constructor(code: WalErrorCode, message: string, cause?: unknown) {
    super(message);
    this.name = 'WalError';
    this.code = code;
    if (cause !== undefined) this.cause = cause;
  }
}

/** Open refused: the log is damaged in a way the recovery mode does not repair. */
export class LogCorruptError extends WalError {
  constructor(
    readonly dir: string,
    readonly segment: string,
    readonly offset: number,
    readonly reason: string,
    readonly mode: string,
  ) {
    super(
      'CORRUPT',
      `${dir}: ${segment} at offset ${offset}: ${reason} (recovery mode ${mode} does not repair this)`,
    );
    this.name = 'LogCorruptError';
  }
}

/**
 * A WalError as it is (an InvariantError stays one); anything else (an errno error from the
 * filesystem) as IO, keeping it as the cause.
 */
export function asWalError(error: unknown, doing: string): WalError {
  if (error instanceof WalError) return error;
  const code = (error as { code?: unknown } | null)?.code;
  const message = error instanceof Error ? error.message : String(error);
  return new WalError(
    'IO',
    `${doing}: ${typeof code === 'string' ? `${code}: ` : ''}${message}`,
    error,
  );
}
