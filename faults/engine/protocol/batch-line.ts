// One line of `walcheck load` input: a batch as a JSON array of operations,
//   [["put", "<key>", "<value>"], ["del", "<key>"], ...]
// keys and values in the codec's text form (hex, or UTF-8 with --utf8). Parsing checks
// the shape only; the engine's own batch validation (size) runs before anything is written.

import type { Batch, BatchOp } from '../../../src/batch.ts';
import type { Codec } from './codec.ts';

const SHOWN_CHARS_MAX = 40;

export class LineError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'LineError';
  }
}

export function parseBatchLine(text: string, codec: Codec): Batch {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new LineError(`not JSON (${(error as Error).message})`);
  }
  if (!Array.isArray(parsed))
    throw new LineError(`a batch must be a JSON array of operations, got ${describe(parsed)}`);
  if (parsed.length === 0) throw new LineError('a batch needs at least one operation');
  return parsed.map((op, index) => parseOp(op, `operation ${index + 1}`, codec));
}

function parseOp(op: unknown, where: string, codec: Codec): BatchOp {
  if (!Array.isArray(op))
    throw new LineError(
      `${where} must be ["put", key, value] or ["del", key], got ${describe(op)}`,
    );
  const [kind, key, value] = op as unknown[];
  if (kind === 'put') {
    if (op.length !== 3)
      throw new LineError(
        `${where}: "put" takes a key and a value, got ${op.length - 1} argument(s)`,
      );
    return {
      type: 'put',
      key: bytes(key, `${where}: the key`, codec),
      value: bytes(value, `${where}: the value`, codec),
    };
  }
  if (kind === 'del') {
    if (op.length !== 2)
      throw new LineError(`${where}: "del" takes a key only, got ${op.length - 1} argument(s)`);
    return { type: 'del', key: bytes(key, `${where}: the key`, codec) };
  }
  throw new LineError(
    `${where}: the kind must be "put" or "del", got ${JSON.stringify(kind) ?? 'nothing'}`,
  );
}

function bytes(text: unknown, what: string, codec: Codec): Buffer {
  if (typeof text !== 'string')
    throw new LineError(`${what} must be a string, got ${describe(text)}`);
  return codec.decode(text, what);
}

/** The line `parseBatchLine` reads back as `batch`: for scripts and tests that drive load. */
export function formatBatchLine(batch: Batch, codec: Codec): string {
  return JSON.stringify(
    batch.map((op) =>
      op.type === 'put'
        ? ['put', codec.encode(op.key, 'key'), codec.encode(op.value, 'value')]
        : ['del', codec.encode(op.key, 'key')],
    ),
  );
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'object') return 'an object';
  const text = typeof value === 'string' ? JSON.stringify(value) : String(value);
  const shown = text.length > SHOWN_CHARS_MAX ? `${text.slice(0, SHOWN_CHARS_MAX)}...` : text;
  return typeof value === 'string' ? `the string ${shown}` : `${typeof value} ${shown}`;
}
