// A repro token names one failing scenario exactly: the engine variant it failed on, the
// shape the campaign generated with, the run's own seed, fast-check's path to the shrunk
// counterexample, and a check of the scenario it decodes to. Replaying it (walcheck repro
// <token>) regenerates that scenario on the same code, with no files.
//
//   w2.<variant>.<outcomes>.<cyclesMax>.<batchesMax>.<faults 0|1>.<seed>.<path>.<check>
//   w2.engine.lktr.3.40.1.2045963331.0:1:0:4.5f0c2a91
// variant: 'engine' (the shipped engine), a bug-zoo mutant's name, or 'custom' (an engine
// given in code); outcomes: one letter each (l lose-unsynced, k keep-prefix, t tear-sectors,
// r reorder-metadata, b bit-rot); path: fast-check's, ':'-separated; check: the first 8 hex
// digits of the SHA-256 of the scenario (fast-check's stringify), so a mistyped seed or
// path, or a token of another version of the generator, is refused instead of replaying
// some other scenario that passes.

import { createHash } from 'node:crypto';
import fc from 'fast-check';
import type { OutcomeKind } from '../disk/crash-outcome.ts';
import { HarnessInputError } from '../base/harness-error.ts';
import type { Scenario, ScenarioShape } from './scenario.ts';

export const TOKEN_VERSION = 'w2';
/** The variant name of the shipped engine. */
export const SHIPPED_VARIANT = 'engine';
/** The variant name of an engine given in code (tests): its tokens replay only there. */
export const CUSTOM_VARIANT = 'custom';

const LETTERS: Record<OutcomeKind, string> = {
  'lose-unsynced': 'l',
  'keep-prefix': 'k',
  'tear-sectors': 't',
  'reorder-metadata': 'r',
  'bit-rot': 'b',
};
const FORMAT = `${TOKEN_VERSION}.<variant>.<outcomes>.<cycles>.<batches>.<faults>.<seed>.<path>.<check>`;

export interface Repro {
  variant: string;
  shape: ScenarioShape;
  seed: number;
  path: string;
  /** scenarioCheck of the scenario the token names. */
  check: string;
}

/** 8 hex digits naming a scenario's content. */
export function scenarioCheck(scenario: Scenario): string {
  return createHash('sha256').update(fc.stringify(scenario)).digest('hex').slice(0, 8);
}

export function encodeToken(repro: Repro): string {
  const { shape } = repro;
  const outcomes = shape.outcomes.map((kind) => LETTERS[kind]).join('');
  return [
    TOKEN_VERSION,
    repro.variant,
    outcomes,
    shape.cyclesMax,
    shape.batchesMax,
    shape.faults ? 1 : 0,
    repro.seed,
    repro.path,
    repro.check,
  ].join('.');
}

/** The token's fields; throws HarnessInputError (BAD_TOKEN) naming what is wrong. */
export function decodeToken(token: string): Repro {
  const bad = (what: string): HarnessInputError =>
    new HarnessInputError('BAD_TOKEN', `repro token ${token}: ${what}`);
  const parts = token.trim().split('.');
  const [version, variant, letters, cycles, batches, faults, seed, path, check] = parts;
  if (/^w\d+$/.test(version ?? '') && version !== TOKEN_VERSION)
    throw bad(
      `version ${version} is not this walcheck's (${TOKEN_VERSION}): it was printed by another version; replay it there, or find the violation again with this one`,
    );
  if (version !== TOKEN_VERSION || parts.length !== 9)
    throw bad(
      `not a walcheck repro token of this version (expected ${FORMAT}, ${9} fields; got ${parts.length})`,
    );
  if (!/^[a-z0-9][a-z0-9-]*$/.test(variant!)) throw bad(`bad variant '${variant}'`);
  const byLetter = new Map(
    Object.entries(LETTERS).map(([kind, letter]) => [letter, kind as OutcomeKind]),
  );
  if (letters === '') throw bad('no outcome letters');
  const outcomes = [...letters!].map((letter) => {
    const kind = byLetter.get(letter);
    if (kind === undefined) throw bad(`unknown outcome letter '${letter}'`);
    return kind;
  });
  const number = (text: string | undefined, what: string): number => {
    const value = Number(text);
    if (text === undefined || !/^\d+$/.test(text) || !Number.isSafeInteger(value))
      throw bad(`bad ${what} '${text}'`);
    return value;
  };
  if (!/^\d+(:\d+)*$/.test(path ?? '')) throw bad(`bad path '${path}'`);
  if (faults !== '0' && faults !== '1') throw bad(`bad faults flag '${faults}'`);
  if (!/^[0-9a-f]{8}$/.test(check ?? '')) throw bad(`bad check '${check}' (8 hex digits)`);
  return {
    variant: variant!,
    shape: {
      outcomes,
      cyclesMax: number(cycles, 'cycle count'),
      batchesMax: number(batches, 'batch count'),
      faults: faults === '1',
    },
    seed: number(seed, 'seed'),
    path: path!,
    check: check!,
  };
}

/** The command that replays a token, with --mutant for a bug-zoo variant's. */
export function reproCommand(token: string): string {
  const variant = token.split('.')[1] ?? SHIPPED_VARIANT;
  const command = `npx tsx scripts/walcheck.ts repro ${token}`;
  if (variant === SHIPPED_VARIANT) return command;
  if (variant === CUSTOM_VARIANT)
    return `${command}  (an engine given in code: replays through reproduce() with that engine)`;
  return `${command} --mutant ${variant}`;
}
