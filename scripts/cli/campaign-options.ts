// Parsing of the campaign options shared by crash and mutants: --outcomes and --shard.

import { OUTCOME_KINDS, type OutcomeKind } from '../../faults/disk/crash-outcome.ts';
import { UsageError } from './args.ts';

/** --outcomes: a comma-separated list of `allowed` kinds (default: all), or `fallback`. */
export function parseOutcomes(
  text: string | undefined,
  fallback: readonly OutcomeKind[],
  allowed: readonly OutcomeKind[] = OUTCOME_KINDS,
): OutcomeKind[] {
  if (text === undefined) return [...fallback];
  const kinds = text
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
  if (kinds.length === 0) throw new UsageError('--outcomes needs at least one outcome');
  for (const kind of kinds) {
    if (!(allowed as readonly string[]).includes(kind)) {
      throw new UsageError(`--outcomes: '${kind}' is not one of ${allowed.join(', ')}`);
    }
  }
  return [...new Set(kinds)] as OutcomeKind[];
}

export function parseShard(text: string | undefined): { index: number; count: number } | undefined {
  if (text === undefined) return undefined;
  const match = /^(\d+)\/(\d+)$/.exec(text);
  const index = Number(match?.[1]);
  const count = Number(match?.[2]);
  if (match === null || !(count >= 1 && count <= 10_000) || !(index >= 0 && index < count)) {
    throw new UsageError(`--shard must be I/N with 0 <= I < N (e.g. 0/4), got '${text}'`);
  }
  return { index, count };
}
