// walcheck repro: regenerate the scenario a token names and run it again, traced. A token
// that does not name a scenario of this version (malformed, another version, a path that
// leads nowhere, a scenario whose check differs) or that belongs to another engine variant
// is refused with a HarnessInputError: replaying something else would pass and look like
// a fixed bug.

import fc from 'fast-check';
import { HarnessInputError } from '../base/harness-error.ts';
import { type EngineUnderTest, shippedEngine } from '../engine/engine-under-test.ts';
import { CUSTOM_VARIANT, decodeToken, scenarioCheck, SHIPPED_VARIANT } from './repro-token.ts';
import { runScenario, type ScenarioViolation } from './run-scenario.ts';
import { type Scenario, scenarioArb, type ScenarioShape } from './scenario.ts';
import { emptyStats } from './stats.ts';
import { formatViolation } from './violation-report.ts';

export interface ReproResult {
  scenario: Scenario | null;
  violation: ScenarioViolation | null;
  /** The report, or why the scenario passes now. */
  report: string;
}

export interface ReproTarget {
  /** Default: the shipped engine. */
  engine?: EngineUnderTest;
  /** The variant `engine` is: 'engine' (shipped), a mutant's name; default 'engine' or 'custom'. */
  variant?: string;
}

export async function reproduce(token: string, target: ReproTarget = {}): Promise<ReproResult> {
  const { variant, shape, seed, path, check } = decodeToken(token);
  const replayOn =
    target.variant ?? (target.engine === undefined ? SHIPPED_VARIANT : CUSTOM_VARIANT);
  if (variant !== replayOn)
    throw new HarnessInputError('BAD_TOKEN', variantMismatch(token, variant, replayOn));
  const underTest = target.engine ?? (await shippedEngine());
  const scenario = scenarioAt(token, shape, seed, path);
  if (scenarioCheck(scenario) !== check)
    throw new HarnessInputError(
      'BAD_TOKEN',
      `repro token ${token}: its seed and path give a scenario whose check is ${scenarioCheck(scenario)}, not ${check}: the token is mistyped, or was printed by a version of walcheck that generates scenarios differently`,
    );
  const violation = await runScenario(underTest, scenario, emptyStats(), { trace: true });
  if (violation === null)
    return {
      scenario,
      violation: null,
      report: `the scenario of ${token} passes on this code: no violation`,
    };
  return { scenario, violation, report: formatViolation(violation, scenario, token) };
}

/**
 * The scenario at the end of the token's path, and only it. The path is replayed with a
 * predicate that fails on whatever it is given, so fast-check stops at the first value it
 * runs, the path's end (it walks a path without running the values along it). Running the
 * engine inside fc.check instead would, once the scenario passes (a fixed bug), go on to the
 * next shrink candidates and end on another scenario.
 */
function scenarioAt(token: string, shape: ScenarioShape, seed: number, path: string): Scenario {
  const property = fc.property(scenarioArb(shape), (_scenario: Scenario) => false);
  const details = fc.check(property, { seed, path, numRuns: 1, endOnFailure: true });
  const scenario = details.counterexample?.[0];
  if (scenario === undefined)
    throw new HarnessInputError(
      'BAD_TOKEN',
      `repro token ${token}: its path ${path} leads to no scenario of seed ${seed} (mistyped or cut short?)`,
    );
  return scenario;
}

function variantMismatch(token: string, variant: string, replayOn: string): string {
  const on = (name: string): string =>
    name === SHIPPED_VARIANT
      ? 'the shipped engine'
      : name === CUSTOM_VARIANT
        ? 'an engine given in code (a test)'
        : `the bug-zoo mutant ${name}`;
  const hint =
    variant === SHIPPED_VARIANT
      ? 'replay it without --mutant'
      : variant === CUSTOM_VARIANT
        ? 'it replays only in the code that made it'
        : `replay it with --mutant ${variant}`;
  return `repro token ${token} belongs to ${on(variant)}, not to ${on(replayOn)}: ${hint}`;
}
