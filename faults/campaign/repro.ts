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
import { type Scenario, scenarioArb } from './scenario.ts';
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
  // The path's scenario first, with a property that fails everywhere: fast-check walks a path
  // only through failing nodes, so on an engine that passes an earlier node (a fixed one) the
  // walk would stop short of the token's scenario.
  const located = await fc.check(
    fc.property(scenarioArb(shape), (_scenario: Scenario) => false),
    { seed, path, numRuns: 1, endOnFailure: true },
  );
  const scenario: Scenario | null = located.counterexample?.[0] ?? null;
  if (scenario === null)
    throw new HarnessInputError(
      'BAD_TOKEN',
      `repro token ${token}: its path ${path} leads to no scenario of seed ${seed} (mistyped or cut short?)`,
    );
  if (scenarioCheck(scenario) !== check)
    throw new HarnessInputError(
      'BAD_TOKEN',
      `repro token ${token}: its seed and path give a scenario whose check is ${scenarioCheck(scenario)}, not ${check}: the token is mistyped, or was printed by a version of walcheck that generates scenarios differently`,
    );
  if ((await runScenario(underTest, scenario, emptyStats())) === null) {
    return {
      scenario,
      violation: null,
      report: `the scenario of ${token} passes on this code: no violation`,
    };
  }
  const violation = await runScenario(underTest, scenario, emptyStats(), { trace: true });
  if (violation === null)
    throw new Error(
      `the scenario of ${token} failed once and passed when traced: not deterministic`,
    );
  return { scenario, violation, report: formatViolation(violation, scenario, token) };
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
