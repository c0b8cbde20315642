// Runs the bug zoo: every variant, and the correct engine, against the crash campaign and the
// exhaustive explorer, stopping at the first violation.
//
// A variant runs the harness it needs first (zoo.ts `needs`), then the other one. It is
// caught when either finds a violation. The budgets count work, never time, so a seed gives
// the same rows on any machine at any load: the campaign runs at most `budgetRuns`
// scenarios (and shrinks within its own scenario budget), the explorer is bounded by its
// workload. The correct engine runs both with the same budgets and must show none. Rows are
// plain data, for the `walcheck mutants` table, its JSON line and `walcheck report`.

import { performance } from 'node:perf_hooks';
import { runCampaign } from '../campaign/campaign.ts';
import { type EngineModule, shippedEngine } from '../engine/engine-under-test.ts';
import { SHIPPED_VARIANT } from '../campaign/repro-token.ts';
import { EXPLORE_KINDS, type ExploreSummary, runExplore } from '../explore/explore.ts';
import { auditRun } from './mutant-audit.ts';
import { loadMutantEngine } from './mutant-engine.ts';
import type { Mutant, MutantNeeds } from './mutant.ts';
import { MUTANTS } from './zoo.ts';

export type Harness = MutantNeeds;

/** The row name of the shipped engine. */
export const CORRECT_ENGINE = 'correct';
/**
 * Campaign scenarios per variant at most (shrinking not counted). At seed 1 the campaign
 * catches its variants within 1 to 550 scenarios, crc-unchecked within 3,504 (the rest need
 * the explorer); 10,000 is about three times that (the former 60 s budget left the correct
 * engine ~4,000 campaign scenarios after explore on a loaded 2-core machine).
 */
export const BUDGET_RUNS_DEFAULT = 10_000;
export const SEED_DEFAULT = 1;

export interface MutantRow {
  /** The mutant's name, or 'correct' for the shipped engine. */
  readonly variant: string;
  readonly bug: string;
  /** The rules the zoo expects to catch it (empty for the correct engine). */
  readonly expectedRules: readonly number[];
  /** A violation was found. */
  readonly caught: boolean;
  /** As it should be: a mutant caught, the correct engine not. */
  readonly ok: boolean;
  /** The harness that found the violation. */
  readonly harness: Harness | null;
  readonly rule: number | null;
  readonly ruleName: string | null;
  /** Scenarios (campaign) and states (explore) judged until caught, or in all when not caught. */
  readonly scenarios: number;
  /** Seconds from the variant's start until caught (the campaign's time includes shrinking), or in all: measured, never a limit. */
  readonly seconds: number;
  /** Batches in the shrunk counterexample and in the scenario first found (campaign only). */
  readonly shrunkBatches: number | null;
  readonly originalBatches: number | null;
  /** Scenarios replayed shrinking it (campaign only; at most its shrinkRunsMax). */
  readonly shrinkRuns: number | null;
  /** `walcheck repro` token (campaign only; replay it with `--mutant <variant>`). */
  readonly token: string | null;
  /** The violation report. */
  readonly report: string | null;
  /** Harnesses run, in order. */
  readonly harnesses: readonly Harness[];
  /** A harness run that threw instead of judging (the message), if any. */
  readonly error: string | null;
}

export interface MutantsOptions {
  /** Variant names to run ('correct' names the shipped engine); default: every mutant and the correct engine. */
  only?: readonly string[];
  seed?: number;
  /** Campaign scenarios per variant at most (default BUDGET_RUNS_DEFAULT); the explorer always completes. */
  budgetRuns?: number;
  /** Scenarios a campaign counterexample's shrinking replays at most (campaign default otherwise). */
  shrinkRunsMax?: number;
  /** A variant begins (index from 0). */
  onStart?: (variant: string, index: number, total: number) => void;
  /** Progress inside a variant's harness run. */
  onProgress?: (variant: string, harness: Harness, line: string) => void;
  /** A variant's row is complete. */
  onRow?: (row: MutantRow, index: number, total: number) => void;
}

interface Variant {
  readonly name: string;
  readonly mutant: Mutant | null;
}

/** The variants `only` names, in zoo order, the correct engine last; throws on an unknown name. */
export function selectVariants(only?: readonly string[]): Variant[] {
  const all: Variant[] = [
    ...MUTANTS.map((mutant) => ({ name: mutant.name, mutant })),
    { name: CORRECT_ENGINE, mutant: null },
  ];
  if (only === undefined) return all;
  const known = new Set(all.map((v) => v.name));
  const unknown = only.filter((name) => !known.has(name));
  if (unknown.length > 0)
    throw new RangeError(
      `unknown variant ${unknown.join(', ')} (variants: ${[...known].join(', ')})`,
    );
  return all.filter((v) => only.includes(v.name));
}

export async function runMutants(options: MutantsOptions = {}): Promise<MutantRow[]> {
  const variants = selectVariants(options.only);
  const rows: MutantRow[] = [];
  for (const [index, variant] of variants.entries()) {
    options.onStart?.(variant.name, index, variants.length);
    const row = await runVariant(variant, options);
    rows.push(row);
    options.onRow?.(row, index, variants.length);
  }
  return rows;
}

async function runVariant(variant: Variant, options: MutantsOptions): Promise<MutantRow> {
  // The explorer is bounded by its workload; the campaign runs until caught or budgetRuns.
  const harnesses: Harness[] =
    variant.mutant?.needs === 'campaign' ? ['campaign', 'explore'] : ['explore', 'campaign'];
  if (variant.mutant?.needs === 'audit') harnesses.unshift('audit'); // then the other two
  const engine =
    variant.mutant === null ? await shippedEngine() : await loadMutantEngine(variant.mutant);
  const start = performance.now();
  const ran: Harness[] = [];
  let scenarios = 0;
  let error: string | null = null;
  let found: Found | null = null;
  for (const harness of harnesses) {
    if (found !== null) break;
    ran.push(harness);
    const secondsBefore = (performance.now() - start) / 1000;
    const progress = (line: string): void => options.onProgress?.(variant.name, harness, line);
    try {
      const result =
        harness === 'audit'
          ? await auditRun(variant.mutant!, options.seed ?? SEED_DEFAULT)
          : harness === 'campaign'
            ? await campaignRun(
                engine,
                variant.mutant === null ? SHIPPED_VARIANT : variant.name,
                options,
                progress,
              )
            : await exploreRun(engine, progress);
      if (result.found !== null) {
        found = {
          ...result.found,
          scenarios: scenarios + result.found.scenarios,
          seconds: secondsBefore + result.found.seconds,
        };
      }
      scenarios += result.scenarios;
    } catch (thrown) {
      // A harness that throws did not judge the variant: recorded, and the next harness runs.
      error ??= `${harness}: ${thrown instanceof Error ? thrown.message : String(thrown)}`;
    }
  }
  const base: Base = {
    variant: variant.name,
    bug: variant.mutant?.bug ?? 'none: the shipped engine',
    expectedRules: variant.mutant?.rules ?? [],
    harnesses: ran,
    error,
  };
  if (found !== null) return { ...base, ...found, ok: variant.mutant !== null };
  const seconds = (performance.now() - start) / 1000;
  return {
    ...base,
    ...NOT_FOUND,
    scenarios,
    seconds,
    ok: variant.mutant === null && error === null,
  };
}

type Base = Pick<MutantRow, 'variant' | 'bug' | 'expectedRules' | 'harnesses' | 'error'>;
/** A violation found by one harness; scenarios and seconds count from that harness's start. */
type Found = Omit<MutantRow, keyof Base | 'ok'>;
const NOT_FOUND = {
  caught: false,
  harness: null,
  rule: null,
  ruleName: null,
  shrunkBatches: null,
  originalBatches: null,
  shrinkRuns: null,
  token: null,
  report: null,
} as const;

interface HarnessResult {
  /** Scenarios (campaign) or states (explore) judged. */
  scenarios: number;
  found: Found | null;
}

async function campaignRun(
  engine: EngineModule,
  variant: string,
  options: MutantsOptions,
  progress: (line: string) => void,
): Promise<HarnessResult> {
  const summary = await runCampaign({
    engine,
    variant,
    seed: options.seed ?? SEED_DEFAULT,
    runs: options.budgetRuns ?? BUDGET_RUNS_DEFAULT,
    stopOnViolation: true,
    ...(options.shrinkRunsMax === undefined ? {} : { shrinkRunsMax: options.shrinkRunsMax }),
    onProgress: (p) => progress(`${p.done} scenarios, ${(p.elapsedMs / 1000).toFixed(0)} s`),
  });
  const violation = summary.violations[0];
  if (violation === undefined) return { scenarios: summary.runs, found: null };
  const found: Found = {
    caught: true,
    harness: 'campaign',
    rule: violation.rule,
    ruleName: violation.ruleName,
    scenarios: violation.scenariosUntilCaught,
    seconds: violation.secondsUntilCaught,
    shrunkBatches: violation.shrunkBatches,
    originalBatches: violation.originalBatches,
    shrinkRuns: violation.shrinkRuns,
    token: violation.token,
    report: violation.report,
  };
  return { scenarios: summary.runs, found };
}

async function exploreRun(
  engine: EngineModule,
  progress: (line: string) => void,
): Promise<HarnessResult> {
  const summary = await runExplore({
    engine,
    stopOnViolation: true,
    onProgress: (done, total, phase) =>
      progress(phase === 'flips' ? 'bit and field flips' : `crash point ${done}/${total}`),
  });
  const states = statesOf(summary);
  const violation = summary.violations[0];
  if (violation === undefined) return { scenarios: states, found: null };
  const found: Found = {
    caught: true,
    harness: 'explore',
    rule: violation.rule,
    ruleName: violation.ruleName,
    scenarios: states,
    seconds: summary.seconds,
    shrunkBatches: null,
    originalBatches: null,
    shrinkRuns: null,
    token: null,
    report: violation.report,
  };
  return { scenarios: states, found };
}

function statesOf(summary: ExploreSummary): number {
  return EXPLORE_KINDS.reduce((sum, kind) => sum + summary.states[kind], 0);
}

/** The mutants caught, the mutants not caught, and whether the correct engine passed. */
export function tally(rows: readonly MutantRow[]): {
  mutants: number;
  caught: number;
  escaped: string[];
  correctOk: boolean | null;
} {
  const mutantRows = rows.filter((r) => r.variant !== CORRECT_ENGINE);
  const correct = rows.find((r) => r.variant === CORRECT_ENGINE);
  return {
    mutants: mutantRows.length,
    caught: mutantRows.filter((r) => r.caught).length,
    escaped: mutantRows.filter((r) => !r.caught).map((r) => r.variant),
    correctOk: correct === undefined ? null : correct.ok,
  };
}

/**
 * The summary `walcheck mutants --json` prints: counts first, then a row per variant
 * (without the long reports).
 */
export function mutantsSummary(rows: readonly MutantRow[]): {
  mutants: number;
  caught: number;
  escaped: string[];
  correctEngine: {
    ok: boolean;
    scenarios: number;
    seconds: number;
    rule: number | null;
    report: string | null;
    error: string | null;
  } | null;
  ok: boolean;
  rows: object[];
} {
  const t = tally(rows);
  const correct = rows.find((r) => r.variant === CORRECT_ENGINE);
  return {
    mutants: t.mutants,
    caught: t.caught,
    escaped: t.escaped,
    correctEngine:
      correct === undefined
        ? null
        : {
            ok: correct.ok,
            scenarios: correct.scenarios,
            seconds: correct.seconds,
            rule: correct.rule,
            report: correct.report,
            error: correct.error,
          },
    ok: t.escaped.length === 0 && t.correctOk !== false,
    rows: rows.map(({ report: _report, ...row }) => row),
  };
}
