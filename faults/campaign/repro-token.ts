// A repro token names one failing scenario exactly: the shape the campaign generated with,
// the run's own seed, and fast-check's path to the shrunk counterexample. Replaying it
// (walcheck repro <token>) regenerates that scenario on the same code, with no files.
//
//   w1.<outcomes>.<cyclesMax>.<batchesMax>.<faults 0|1>.<seed>.<path>
//   w1.lk.3.10.1.2045963331.0:1:0:4
// outcomes: one letter each (l lose-unsynced, k keep-prefix, t tear-sectors,
// r reorder-metadata, b bit-rot); path: fast-check's, ':'-separated.

import type { OutcomeKind } from '../crash-outcome.ts';
import type { ScenarioShape } from './scenario.ts';

const LETTERS: Record<OutcomeKind, string> = {
  'lose-unsynced': 'l',
  'keep-prefix': 'k',
  'tear-sectors': 't',
  'reorder-metadata': 'r',
  'bit-rot': 'b',
};

export interface Repro {
  shape: ScenarioShape;
  seed: number;
  path: string;
}

export function encodeToken(repro: Repro): string {
  const { shape } = repro;
  const outcomes = shape.outcomes.map((kind) => LETTERS[kind]).join('');
  return [
    'w1',
    outcomes,
    shape.cyclesMax,
    shape.batchesMax,
    shape.faults ? 1 : 0,
    repro.seed,
    repro.path,
  ].join('.');
}

export function decodeToken(token: string): Repro {
  const parts = token.trim().split('.');
  const [version, letters, cycles, batches, faults, seed, path] = parts;
  if (parts.length !== 7 || version !== 'w1')
    throw new Error(
      `not a walcheck repro token (expected w1.<outcomes>.<cycles>.<batches>.<faults>.<seed>.<path>): ${token}`,
    );
  const byLetter = new Map(
    Object.entries(LETTERS).map(([kind, letter]) => [letter, kind as OutcomeKind]),
  );
  const outcomes = [...letters!].map((letter) => {
    const kind = byLetter.get(letter);
    if (kind === undefined)
      throw new Error(`repro token: unknown outcome letter '${letter}' in ${token}`);
    return kind;
  });
  const number = (text: string | undefined, what: string): number => {
    const value = Number(text);
    if (text === undefined || text === '' || !Number.isSafeInteger(value) || value < 0)
      throw new Error(`repro token: bad ${what} '${text}' in ${token}`);
    return value;
  };
  if (!/^\d+(:\d+)*$/.test(path ?? ''))
    throw new Error(`repro token: bad path '${path}' in ${token}`);
  if (faults !== '0' && faults !== '1')
    throw new Error(`repro token: bad faults flag '${faults}' in ${token}`);
  return {
    shape: {
      outcomes,
      cyclesMax: number(cycles, 'cycle count'),
      batchesMax: number(batches, 'batch count'),
      faults: faults === '1',
    },
    seed: number(seed, 'seed'),
    path: path!,
  };
}
