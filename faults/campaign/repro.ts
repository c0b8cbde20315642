// walcheck repro: regenerate the scenario a token names and run it again, traced.

import fc from 'fast-check';
import { type EngineUnderTest, shippedEngine } from './engine-under-test.ts';
import { decodeToken } from './repro-token.ts';
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

export async function reproduce(token: string, engine?: EngineUnderTest): Promise<ReproResult> {
  const { shape, seed, path } = decodeToken(token);
  const underTest = engine ?? (await shippedEngine());
  let last: Scenario | null = null;
  const property = fc.asyncProperty(scenarioArb(shape), async (scenario) => {
    last = scenario;
    return (await runScenario(underTest, scenario, emptyStats())) === null;
  });
  const details = await fc.check(property, { seed, path, numRuns: 1, endOnFailure: true });
  const scenario = details.counterexample?.[0] ?? last;
  if (!details.failed || scenario === null) {
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
