// `walcheck real`: kill/recover cycles of a real engine process on a real directory, judged
// by the same oracle as the simulated campaigns (model/), the history growing across
// recoveries. Each cycle, all of it drawn from the seed (root Rng, one fork per cycle, so
// --kills C repeats the first C cycles of a longer run):
//
//   1. load    start `<engine> load <dir>`, stream batches, SIGKILL it as the kill plan says
//   2. acks    the first ack after a recovery continues at the recovered lastSeq + 1 (rule
//              5), every reported seqStart is the model's (checkFailClosed)
//   3. damage  with --damage, one injection into the last segment (damage.ts)
//   4. scan    `<engine> scan <dir>`: the recovered state must be the model after a whole
//              prefix k with every acked batch, or under damage k before the damaged batch
//              (judgeRecovery, the judge every runner shares, which then moves the history
//              on to k); then the next cycle
//
// An engine may refuse to open a damaged directory (rule 6 allows it); the run then goes on
// in a fresh directory with a fresh history. The first violation, or engine failure (exit
// on its own, protocol error, timeout), ends the run.

import { mkdir, mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { BlackBoxObserved } from '../../model/check-black-box.ts';
import { checkFailClosed } from '../../model/check-fail-closed.ts';
import { History } from '../../model/history.ts';
import { judgeFirstAck, judgeRecovery } from '../../model/judge.ts';
import { formatVerdict, type Violation } from '../../model/verdict.ts';
import { Rng } from '../base/rng.ts';
import { HarnessInputError } from '../base/harness-error.ts';
import { damageLastSegment, type AppliedDamage, type DamageKind } from './damage.ts';
import {
  blackBoxEngine,
  type EngineCommand,
  loadArgv,
  ownEngine,
  powerLossEngine,
  scanArgv,
} from '../engine/protocol/engine-command.ts';
import { describeKillPlan, drawKillPlan } from '../engine/protocol/kill-plan.ts';
import { type LoadSession, runLoadSession } from '../engine/protocol/load-session.ts';
import { runScanSession } from '../engine/protocol/scan-session.ts';
import { Workload } from '../engine/protocol/workload.ts';
import { stderrLines } from '../engine/protocol/engine-process.ts';

export interface RealOptions {
  kills: number;
  seed: number;
  /** Working directory (databases are db-1, db-2, ... in it); a temporary one when null. */
  dir: string | null;
  powerLoss: boolean;
  damage: readonly DamageKind[];
  /** A black-box engine's command prefix; our own engine when null. */
  engine: string | null;
  segmentPattern: RegExp;
  /** Start no cycle after this many ms (then `kills` is a maximum); the summary says how many ran. */
  deadlineMs?: number;
  /** Start no cycle once aborted (SIGINT, SIGTERM): the summary is marked interrupted. */
  signal?: AbortSignal;
  /** A step (running false: always shown) or a running status (throttled). */
  progress: (line: string, running: boolean) => void;
}

export interface CycleRow {
  cycle: number;
  /** Which database directory (db-N) the cycle ran in. */
  generation: number;
  kill: string;
  /** Power loss only: whether unsynced data was partly written through (torn). */
  torn: boolean;
  written: number;
  acked: number;
  inFlightAtKill: number;
  damage: string | null;
  /** "k=N", "refused (allowed)", or what failed. */
  recovered: string;
  lostAcked: number;
}

export interface RealSummary {
  seed: number;
  kills: number;
  written: number;
  acked: number;
  inFlightAtKill: number;
  recovered: number;
  refusedOpens: number;
  damageApplied: number;
  /** Acknowledged batches a recovery dropped (allowed only after damage). */
  lostAcked: number;
  violations: number;
  cycles: CycleRow[];
  workDir: string;
  /** The report of the violation or engine failure that ended the run. */
  failure: string | null;
  /** The oracle rule of that violation (null for an engine failure or none). */
  failureRule: number | null;
  /** Cycles run (each a load and a recovery, killed or not). */
  cyclesRun: number;
  /** Why cycles stopped: all ran, a failure, the deadline (--seconds) or a signal. */
  stoppedBy: 'complete' | 'failure' | 'deadline' | 'interrupted';
  seconds: number;
}

interface Run {
  readonly options: RealOptions;
  readonly summary: RealSummary;
  readonly root: Rng;
  history: History;
  dbDir: string;
  generation: number;
}

export async function runRealSuite(options: RealOptions): Promise<RealSummary> {
  const started = performance.now();
  if (options.engine !== null) blackBoxEngine(options.engine); // a bad command: before any file
  const workDir = await prepareWorkDir(options.dir);
  try {
    return await runCycles(options, workDir, started);
  } catch (error) {
    if (options.dir === null) await rm(workDir, { recursive: true, force: true });
    throw error;
  }
}

async function runCycles(
  options: RealOptions,
  workDir: string,
  started: number,
): Promise<RealSummary> {
  const run: Run = {
    options,
    summary: emptySummary(options.seed, workDir),
    root: new Rng(options.seed),
    history: new History(),
    dbDir: '',
    generation: 0,
  };
  await freshDatabase(run);
  options.progress(
    `walcheck real: ${options.kills} kills, seed ${options.seed}, ${describeEngine(options)}, in ${workDir}`,
    false,
  );
  for (let cycle = 1; cycle <= options.kills && run.summary.failure === null; cycle++) {
    if (options.signal?.aborted === true) {
      run.summary.stoppedBy = 'interrupted';
      break;
    }
    if (options.deadlineMs !== undefined && performance.now() - started > options.deadlineMs) {
      run.summary.stoppedBy = 'deadline';
      break;
    }
    await runCycle(run, cycle);
    run.summary.cyclesRun = cycle;
  }
  if (run.summary.failure !== null) run.summary.stoppedBy = 'failure';
  run.summary.seconds = (performance.now() - started) / 1000;
  if (run.summary.failure === null && options.dir === null)
    await rm(workDir, { recursive: true, force: true });
  return run.summary;
}

async function runCycle(run: Run, cycle: number): Promise<void> {
  const { options, summary } = run;
  const rng = run.root.fork();
  const [workloadRng, planRng, damageRng] = [rng.fork(), rng.fork(), rng.fork()];
  const tearSeed = rng.bool() ? rng.u32() : null;
  const engine = engineFor(options, tearSeed);
  const plan = drawKillPlan(planRng);
  const workload = new Workload(workloadRng, cycle);
  const eventsBefore = run.history.events.length;
  const session = await runLoadSession(
    loadArgv(engine, run.dbDir),
    engine.cwd,
    plan,
    () => workload.next(),
    run.history,
  );
  const row: CycleRow = {
    cycle,
    generation: run.generation,
    kill: describeKillPlan(plan),
    torn: options.powerLoss && tearSeed !== null,
    written: session.written,
    acked: session.acked,
    inFlightAtKill: session.inFlightAtKill,
    damage: null,
    recovered: '-',
    lostAcked: 0,
  };
  summary.cycles.push(row);
  summary.written += session.written;
  summary.acked += session.acked;
  if (session.end !== 'killed')
    return fail(run, row, engineFailure(session.problem ?? session.end, session.stderr), null);
  summary.kills += 1;
  summary.inFlightAtKill += session.inFlightAtKill;
  const seqProblem = checkAckNumbers(run.history, session, eventsBefore);
  if (seqProblem !== null) return fail(run, row, seqProblem, null);

  const damage =
    options.damage.length === 0
      ? null
      : await damageLastSegment(run.dbDir, damageRng.pick(options.damage), damageRng, {
          walFormat: engine.walFormat,
          segmentPattern: options.segmentPattern,
        });
  if (damage !== null) {
    summary.damageApplied += 1;
    row.damage = damage.description;
  }
  await recoverAndCheck(run, engine, row, damage);
  options.progress(progressLine(run, row), true);
}

async function recoverAndCheck(
  run: Run,
  engine: EngineCommand,
  row: CycleRow,
  damage: AppliedDamage | null,
): Promise<void> {
  const scan = await runScanSession(scanArgv(engine, run.dbDir), engine.cwd);
  if (scan.kind === 'failed')
    return fail(run, row, engineFailure(scan.problem, scan.stderr), damage);
  const observed: BlackBoxObserved =
    scan.kind === 'entries'
      ? { opened: true, entries: scan.entries }
      : { opened: false, error: scan.error };
  const lostBefore = ackedLost(run.history);
  const verdict = judgeRecovery(run.history, {
    box: 'black',
    observed,
    damage: damage?.damage ?? { kind: 'none' },
  });
  if (!verdict.ok) return fail(run, row, verdict, damage);
  if (verdict.k === null) {
    row.recovered = 'refused (allowed)';
    run.summary.refusedOpens += 1;
    await freshDatabase(run);
    return;
  }
  row.lostAcked = ackedLost(run.history) - lostBefore;
  row.recovered = `k=${verdict.k}`;
  run.summary.lostAcked += row.lostAcked;
  run.summary.recovered += 1;
}

/**
 * Rule 5 at the first ack after a recovery, then every reported seqStart of this cycle
 * against the model (the cycle's events start an epoch, so earlier ones need no rereading).
 */
function checkAckNumbers(
  history: History,
  session: LoadSession,
  eventsBefore: number,
): Violation | null {
  if (history.epoch > 0 && session.firstSeqStart !== null) {
    const continuation = judgeFirstAck(history, session.firstSeqStart);
    if (!continuation.ok) return continuation;
  }
  const numbering = checkFailClosed(history.events.slice(eventsBefore));
  return numbering.ok ? null : numbering;
}

/** Acknowledged batches recoveries dropped so far (allowed only after damage). */
function ackedLost(history: History): number {
  return history.allBatches().filter((b) => b.status === 'acked' && b.fate === 'lost').length;
}

function engineFor(options: RealOptions, tearSeed: number | null): EngineCommand {
  if (options.engine !== null) return blackBoxEngine(options.engine);
  return options.powerLoss ? powerLossEngine(tearSeed) : ownEngine();
}

/**
 * Ends the run on a finding: a Violation from model/ (its rule is the summary's failureRule)
 * or an engine failure already in words (engineFailure: no rule).
 */
function fail(
  run: Run,
  row: CycleRow,
  finding: Violation | string,
  damage: AppliedDamage | null,
): void {
  const { options, summary } = run;
  row.recovered = 'FAILED';
  summary.violations += 1;
  summary.failureRule = typeof finding === 'string' ? null : finding.rule;
  summary.failure = [
    typeof finding === 'string' ? finding : formatVerdict(finding),
    `  where:     cycle ${row.cycle} of ${options.kills}, database ${run.dbDir} (kept)`,
    `  kill:      ${row.kill}${row.torn ? ', torn power loss' : options.powerLoss ? ', power loss' : ''}; ${row.written} written, ${row.acked} acked, ${row.inFlightAtKill} in flight`,
    `  damage:    ${damage?.description ?? 'none'}`,
    `  history:   ${run.history.length} batches in the chain, ${run.history.epoch} recoveries in this directory`,
    `  reproduce: ${reproCommand(options, row.cycle)}`,
    '             (kill moments are timed: a rerun may need a few tries to hit the same state)',
  ].join('\n');
}

function engineFailure(problem: string, stderr: string): string {
  const lines = stderrLines(stderr, 12);
  const tail = lines.length === 0 ? '(nothing on stderr)' : lines.map((l) => `    ${l}`).join('\n');
  return `ENGINE FAILURE (not a rule of model/crash-model.md): ${problem}\n  engine stderr:\n${tail}`;
}

export function reproCommand(options: RealOptions, kills: number): string {
  const parts = ['npx tsx scripts/walcheck.ts real', `--seed ${options.seed}`, `--kills ${kills}`];
  if (options.powerLoss) parts.push('--power-loss');
  if (options.damage.length > 0) parts.push(`--damage ${options.damage.join(',')}`);
  if (options.engine !== null) parts.push(`--engine '${options.engine.replaceAll("'", `'\\''`)}'`);
  if (options.segmentPattern.source !== '^\\d+\\.(wal|log)$')
    parts.push(`--segment-pattern '${options.segmentPattern.source}'`);
  return parts.join(' ');
}

function describeEngine(options: RealOptions): string {
  const engine =
    options.engine === null
      ? `our engine${options.powerLoss ? ' under power-loss emulation' : ''}`
      : `engine '${options.engine}'`;
  return options.damage.length === 0 ? engine : `${engine}, damage ${options.damage.join(',')}`;
}

function progressLine(run: Run, row: CycleRow): string {
  const damage = row.damage === null ? '' : `; ${row.damage}`;
  return `cycle ${row.cycle}/${run.options.kills}: ${row.kill}: ${row.acked} acked, ${row.inFlightAtKill} in flight${damage}; recovered ${row.recovered}`;
}

async function prepareWorkDir(dir: string | null): Promise<string> {
  if (dir === null) return mkdtemp(join(tmpdir(), 'walcheck-real-'));
  const path = resolve(dir);
  await mkdir(path, { recursive: true });
  const present = await readdir(path);
  if (present.length > 0)
    throw new HarnessInputError(
      'NOT_EMPTY',
      `--dir ${dir} is not empty (it holds ${present.slice(0, 3).join(', ')}${present.length > 3 ? ', ...' : ''})`,
    );
  return path;
}

async function freshDatabase(run: Run): Promise<void> {
  run.generation += 1;
  run.dbDir = join(run.summary.workDir, `db-${run.generation}`);
  await mkdir(run.dbDir);
  run.history = new History();
}

function emptySummary(seed: number, workDir: string): RealSummary {
  return {
    seed,
    kills: 0,
    written: 0,
    acked: 0,
    inFlightAtKill: 0,
    recovered: 0,
    refusedOpens: 0,
    damageApplied: 0,
    lostAcked: 0,
    violations: 0,
    cycles: [],
    workDir,
    failure: null,
    failureRule: null,
    cyclesRun: 0,
    stoppedBy: 'complete',
    seconds: 0,
  };
}
