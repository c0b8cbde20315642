// What the oracle sees of an open that failed: the error's stable code and, when the engine
// named the damage it refused, where it is (src/wal/wal-format.md section 8). Every runner maps a
// caught error through openFailureOf, so the shape is spelled once.

export interface OpenFailure {
  readonly code: string;
  readonly segment?: string;
  readonly offset?: number;
  readonly reason?: string;
}

/** The code an error carries (a WalError code, a POSIX code), or 'UNKNOWN' without one. */
export function errorCode(error: unknown): string {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : 'UNKNOWN';
}

/** The message an error carries, or the error as a string without one (verdicts quote it). */
export function errorMessage(error: unknown): string {
  const message = (error as { message?: unknown } | null)?.message;
  return typeof message === 'string' ? message : String(error);
}

/** The failure as the oracle judges it: fields of other types than the contract's are dropped. */
export function openFailureOf(error: unknown): OpenFailure {
  const e = error as { segment?: unknown; offset?: unknown; reason?: unknown } | null;
  const out: { code: string; segment?: string; offset?: number; reason?: string } = {
    code: errorCode(error),
  };
  if (typeof e?.segment === 'string') out.segment = e.segment;
  if (typeof e?.offset === 'number') out.offset = e.offset;
  if (typeof e?.reason === 'string') out.reason = e.reason;
  return out;
}

/** One line naming the failure, as verdicts show it. */
export function describeOpenFailure(failure: OpenFailure): string {
  return `open failed: ${failure.code} ${failure.segment ?? '(no segment)'} offset ${failure.offset ?? '?'} ${failure.reason ?? '(no reason)'}`;
}
