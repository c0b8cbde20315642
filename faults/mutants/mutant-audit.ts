// The audit run of the bug zoo (`needs: 'audit'`): a short `walcheck audit` of a variant's
// engine as a process (mutant-process.ts), recorded under strace, stopping at the first
// violation. The same small workload is what `npm test` audits the shipped engine with.

import { performance } from 'node:perf_hooks';
import { type AuditOptions, type AuditSummary, runAudit } from '../audit/audit-run.ts';
import { straceRecorder } from '../audit/recorder.ts';
import { quoteCommand } from '../engine/protocol/engine-process.ts';
import { materializeMutantProcess } from './mutant-process.ts';
import type { Mutant } from './mutant.ts';

/**
 * The small audit (a few seconds: a scan process per distinct image): 3 batches, one cycle,
 * every unsynced change lost at each crash point (what a dropped sync shows), 1 continuation.
 */
export function smallAudit(engine: string | null, seed: number): AuditOptions {
  return {
    engine,
    seed,
    batches: 3,
    cycles: 1,
    outcomes: ['lose-unsynced'],
    states: 1,
    workers: 2,
    continuations: 1,
    keepDir: null,
    ignore: [],
    progress: () => undefined,
    recorder: straceRecorder,
  };
}

/** The audit of our own engine (engine: null) or of `root`'s scripts/walcheck.ts. */
export function ownAudit(root: string | null, seed: number): Promise<AuditSummary> {
  const engine =
    root === null
      ? null
      : quoteCommand([process.execPath, '--import', 'tsx', `${root}/scripts/walcheck.ts`]);
  return runAudit(smallAudit(engine, seed));
}

/** What the zoo's table shows of an audit that caught a variant (run-mutants.ts's row fields). */
export interface AuditFound {
  readonly caught: true;
  readonly harness: 'audit';
  readonly rule: number;
  readonly ruleName: string;
  /** Crash states judged. */
  readonly scenarios: number;
  readonly seconds: number;
  readonly shrunkBatches: null;
  readonly originalBatches: null;
  readonly shrinkRuns: null;
  readonly token: string | null;
  readonly report: string;
}

/** The small audit of `mutant`'s engine as a process: the crash states judged, the first violation. */
export async function auditRun(
  mutant: Mutant,
  seed: number,
): Promise<{ scenarios: number; found: AuditFound | null }> {
  const start = performance.now();
  const summary = await ownAudit(await materializeMutantProcess(mutant), seed);
  const first = summary.firstAfterAck ?? summary.reports[0];
  if (first === undefined) return { scenarios: summary.states, found: null };
  const found: AuditFound = {
    caught: true,
    harness: 'audit',
    rule: first.rule,
    ruleName: first.ruleName,
    scenarios: summary.states,
    seconds: (performance.now() - start) / 1000,
    shrunkBatches: null,
    originalBatches: null,
    shrinkRuns: null,
    token: first.token,
    report: first.report,
  };
  return { scenarios: summary.states, found };
}
