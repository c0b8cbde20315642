// The power-loss audits REPORT.md states (walcheck audit, faults/audit/): our engine, the
// SQLite adapter with synchronous=FULL and =OFF, and the LevelDB adapter, each with a small
// budget (the scans start a process each: about a minute per engine on 2 cores).

import { runAudit, type AuditSummary } from '../../faults/audit/audit-run.ts';
import { straceRecorder } from '../../faults/audit/recorder.ts';
import { DEFAULT_OUTCOME_KINDS } from '../../faults/disk/crash-outcome.ts';

export interface AuditRun {
  label: string;
  /** What the run should show: pass, be caught (SQLite with synchronous=OFF), or unknown ('-'). */
  expect: 'pass' | 'caught' | '-';
  command: string;
  result: AuditSummary;
}

interface AuditPlan {
  label: string;
  expect: 'pass' | 'caught' | '-';
  engine: string | null;
  batches: number;
  states: number;
  continuations: number;
}

const SEED = 1;
const WORKERS = 2;

const AUDIT_PLANS: readonly AuditPlan[] = [
  { label: 'our engine', expect: 'pass', engine: null, batches: 4, states: 4, continuations: 3 },
  {
    label: 'SQLite, synchronous=FULL',
    expect: 'pass',
    engine: 'python3 scripts/adapters/sqlite.py --synchronous FULL',
    batches: 3,
    states: 2,
    continuations: 3,
  },
  {
    label: 'SQLite, synchronous=OFF',
    expect: 'caught',
    engine: 'python3 scripts/adapters/sqlite.py --synchronous OFF',
    batches: 3,
    states: 2,
    continuations: 3,
  },
  {
    label: 'LevelDB (classic-level, sync: true)',
    expect: '-',
    engine: 'node --import tsx scripts/adapters/classic-level.ts',
    batches: 3,
    states: 1,
    continuations: 1,
  },
];

export async function collectAudits(step: (line: string) => void): Promise<AuditRun[]> {
  const runs: AuditRun[] = [];
  for (const plan of AUDIT_PLANS) {
    step(`audit: ${plan.label}`);
    const result = await runAudit({
      engine: plan.engine,
      seed: SEED,
      batches: plan.batches,
      cycles: 1,
      outcomes: DEFAULT_OUTCOME_KINDS,
      states: plan.states,
      workers: WORKERS,
      continuations: plan.continuations,
      keepDir: null,
      ignore: [],
      progress: () => undefined,
      recorder: straceRecorder,
    });
    const flags = [
      plan.engine === null ? '' : `--engine "${plan.engine}"`,
      `--seed ${SEED} --batches ${plan.batches} --states ${plan.states} --continuations ${plan.continuations} --workers ${WORKERS}`,
    ];
    const command = `npx tsx scripts/walcheck.ts audit ${flags.filter((f) => f !== '').join(' ')}`;
    runs.push({ label: plan.label, expect: plan.expect, command, result });
  }
  return runs;
}
