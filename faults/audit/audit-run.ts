// `walcheck audit`: the power-loss audit of any engine. Each cycle, all of it drawn from the
// seed:
//
//   1. record  `CMD load <dir>` under strace with a seeded workload (record-load.ts): the
//              engine's file operations and its acks, in kernel order
//   2. states  every crash point of that trace with the outcome variants (crash-states.ts)
//   3. judge   each distinct image scanned once by `CMD scan`, judged by the black-box oracle
//              for each ack count it was reached with (judge-states.ts); on a seeded sample of
//              states that recovered, `CMD load` must go on from the recovered lastSeq
//              (continuation.ts)
//   4. next    with --cycles N > 1, a seeded choice among the states that recovered becomes
//              the next cycle's starting directory, so the engine's recovery is traced and
//              crashed too; the history goes on (truncated to the prefix that state kept)
//
// A cycle that found violations ends the run. On abort (signal) the run stops after the
// scans in progress and returns what it judged, marked interrupted.

import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import type { Batch } from '../../src/batch.ts';
import { checkFailClosed } from '../../model/check-fail-closed.ts';
import { refusedWriteViolation } from '../../model/check-continuation.ts';
import { formatVerdict, type Violation } from '../../model/verdict.ts';
import type { OutcomeKind } from '../disk/crash-outcome.ts';
import { HarnessInputError } from '../base/harness-error.ts';
import { formatBatchLine } from '../engine/protocol/batch-line.ts';
import { hexCodec } from '../engine/protocol/codec.ts';
import {
  blackBoxEngine,
  type EngineCommand,
  ownEngine,
} from '../engine/protocol/engine-command.ts';
import { quoteCommand } from '../engine/protocol/engine-process.ts';
import { Workload } from '../engine/protocol/workload.ts';
import { Rng } from '../base/rng.ts';
import { type CycleOutcome, HistoryRecipe } from './audit-history.ts';
import type { Ack } from '../engine/protocol/load-client.ts';
import { saveCycle } from './audit-keep.ts';
import type { RecordedRun } from './trace/audit-ops.ts';
import { describeViolation, type AuditViolation } from './audit-report.ts';
import { checkContinuationOn } from './continuation.ts';
import { crashStates, formatToken, type PointStates } from './crash-states.ts';
import { type DistinctImage, judgeImages, type JudgedState, stderrTail } from './judge-states.ts';
import { materialize } from './materialize.ts';
import type { LoadRecorder, Recording } from './recorder.ts';

export interface AuditOptions {
  /** The engine's command prefix (runs `CMD load <dir>`, `CMD scan <dir>`); ours when null. */
  engine: string | null;
  seed: number;
  /** Batches each cycle's load writes. */
  batches: number;
  cycles: number;
  outcomes: readonly OutcomeKind[];
  /** Outcome variants enumerated per crash point and kind; beyond, this many seeded draws. */
  states: number;
  workers: number;
  /** Crash states per cycle on which `load` must go on from the recovered lastSeq. */
  continuations: number;
  keepDir: string | null;
  /** Globs of files under the directory the recorder leaves out (e.g. '*-shm'). */
  ignore: readonly string[];
  signal?: AbortSignal | undefined;
  /** A step (running false: always shown) or a running status (the caller throttles). */
  progress: (line: string, running: boolean) => void;
  /** Records `CMD load` (record-load.ts); replaced in tests. */
  recorder: LoadRecorder;
}

export interface CycleRow {
  cycle: number;
  opsTraced: number;
  acks: number;
  crashPoints: number;
  states: number;
  distinctImages: number;
  /** Distinct (image, ack count) pairs judged by the oracle. */
  judged: number;
  continuations: number;
  violations: number;
  /** The state the next cycle starts from, and the prefix it recovered. */
  next: { token: string; k: number } | null;
}

export interface AuditSummary {
  engine: string;
  seed: number;
  cycles: CycleRow[];
  opsTraced: number;
  crashPoints: number;
  states: number;
  distinctImages: number;
  judged: number;
  acks: number;
  continuations: number;
  violations: number;
  /** The first violations in full (at most REPORTS_MAX). */
  reports: AuditViolation[];
  /** The first violation of a state that had acknowledged a batch of its cycle, in full. */
  firstAfterAck: AuditViolation | null;
  /** Every violating state in brief (at most VIOLATIONS_LISTED): how many lost acked batches. */
  violating: Array<{ token: string; rule: number; acked: number }>;
  statesPerSecond: number;
  seconds: number;
  interrupted: boolean;
  keptDir: string | null;
}

/** Violations a summary carries in full; the count goes on. */
const REPORTS_MAX = 5;
/** Violating states a summary lists in brief. */
const VIOLATIONS_LISTED = 1000;
/** Distinct images one cycle may judge: a bound on time and memory. */
const IMAGES_PER_CYCLE_MAX = 100_000;
const PROGRESS_INTERVAL_MS = 2000;
const RECORD_TIMEOUT_MS = 120_000;

interface Cycle {
  number: number;
  /** Its row, once judged. */
  row: CycleRow;
  rng: Rng;
  batches: Batch[];
  lines: string[];
  acks: Ack[];
  run: RecordedRun;
  recipe: HistoryRecipe;
}

export async function runAudit(options: AuditOptions): Promise<AuditSummary> {
  checkOptions(options);
  const started = performance.now();
  const engine = options.engine === null ? ownEngine() : blackBoxEngine(options.engine);
  const summary = emptySummary(options, describeEngine(options, engine));
  const workDir = await mkdtemp(join(tmpdir(), 'walcheck-audit-'));
  const root = new Rng(options.seed);
  const done: CycleOutcome[] = [];
  let start: JudgedState | null = null;
  let previous: Cycle | null = null;
  try {
    for (let c = 1; c <= options.cycles && !aborted(options); c++) {
      let cycle: Cycle | null;
      try {
        cycle = await recordCycle(options, engine, workDir, c, root.fork(), done, start);
      } catch (error) {
        if (!(error instanceof CannotGoOn) || previous === null || start === null) throw error;
        addViolation(summary, previous.row, previous, start, error.verdict);
        break;
      }
      if (cycle === null) break;
      const judged = await judgeCycle(options, engine, workDir, cycle, summary);
      const row = cycle.row;
      summary.cycles.push(row);
      addRow(summary, row);
      if (row.violations > 0 || aborted(options) || c === options.cycles) break;
      start = chooseNext(cycle, row, judged);
      previous = cycle;
      if (start === null) break;
      done.push({
        batches: cycle.batches,
        acks: cycle.acks,
        acked: start.ref.acked,
        k: (start.verdict as { k: number }).k,
        line: (start.verdict as { line: 'main' | 'without-failed' }).line,
      });
    }
  } finally {
    await rm(workDir, { recursive: true, force: true });
  }
  summary.interrupted = aborted(options);
  summary.seconds = (performance.now() - started) / 1000;
  summary.statesPerSecond = summary.seconds > 0 ? summary.states / summary.seconds : 0;
  return summary;
}

async function recordCycle(
  options: AuditOptions,
  engine: EngineCommand,
  workDir: string,
  number: number,
  rng: Rng,
  done: readonly CycleOutcome[],
  start: JudgedState | null,
): Promise<Cycle | null> {
  const dir = join(workDir, `cycle-${number}`);
  if (start === null) await materialize(new Map(), dir);
  else await materialize(start.image.image, dir);
  const workload = new Workload(rng.fork(), number);
  const batches = Array.from({ length: options.batches }, () => workload.next());
  const lines = batches.map((b) => formatBatchLine(b, hexCodec));
  options.progress(
    `cycle ${number}: recording 'load' under strace with ${lines.length} batches${start === null ? ' on an empty directory' : ` on crash state ${formatToken(start.ref.id)}`}`,
    false,
  );
  let recorded: Recording;
  try {
    recorded = await options.recorder({
      engine,
      dir,
      lines,
      timeoutMs: RECORD_TIMEOUT_MS,
      ignore: options.ignore,
      signal: options.signal,
    });
  } catch (error) {
    if (aborted(options)) return null;
    throw error;
  }
  if (aborted(options)) return null;
  if (options.keepDir !== null)
    await saveCycle(
      options.keepDir,
      {
        cycle: number,
        seed: options.seed,
        engine: quoteCommand(engine.prefix),
        lines,
        acks: recorded.acks,
        run: recorded.run,
      },
      recorded.traceText,
    );
  checkRecording(recorded, lines.length, start);
  const recipe = new HistoryRecipe(done, { batches, acks: recorded.acks });
  const cycle = { number, rng, batches, lines, acks: recorded.acks, run: recorded.run, recipe };
  return { ...cycle, row: emptyRow(cycle) };
}

/** The load must have acked every line and exited 0; on a crash image, failing is a finding. */
function checkRecording(
  recorded: {
    acks: readonly Ack[];
    exit: { code: number | null; signal: string | null };
    stderr: string;
  },
  lines: number,
  start: JudgedState | null,
): void {
  if (recorded.exit.code === 0 && recorded.acks.length === lines) return;
  const what = `'load' ended with ${recorded.exit.signal !== null ? `signal ${recorded.exit.signal}` : `exit ${recorded.exit.code}`} after ${recorded.acks.length} of ${lines} acks`;
  const tail = recorded.stderr.trim().split('\n').slice(-8).join('\n    ');
  if (start === null)
    throw new HarnessInputError(
      'BAD_ENGINE',
      `the engine failed on an empty directory: ${what}\n    ${tail}`,
    );
  throw new CannotGoOn(
    refusedWriteViolation(
      (start.verdict as { k: number }).k,
      `${what}${stderrTail(recorded.stderr)}`,
    ),
  );
}

/** The next cycle's load failed on a crash state that scanned correctly: a rule-5 finding. */
class CannotGoOn extends Error {
  constructor(readonly verdict: Violation) {
    super(verdict.message);
  }
}

async function judgeCycle(
  options: AuditOptions,
  engine: EngineCommand,
  workDir: string,
  cycle: Cycle,
  summary: AuditSummary,
): Promise<JudgedState[]> {
  const row = cycle.row;
  const images = new Map<string, DistinctImage>();
  let lastProgress = performance.now();
  for await (const point of crashStates(cycle.run, {
    cycle: cycle.number,
    seed: options.seed,
    outcomes: options.outcomes,
    statesPerKind: options.states,
  })) {
    if (aborted(options)) break;
    row.crashPoints += 1;
    row.states += point.states.length;
    addStates(images, point);
    if (performance.now() - lastProgress >= PROGRESS_INTERVAL_MS) {
      lastProgress = performance.now();
      options.progress(
        `cycle ${cycle.number}: crash point ${row.crashPoints} of about ${cycle.run.ops.length + 1}, ${row.states} states, ${images.size} distinct images`,
        true,
      );
    }
  }
  row.distinctImages = images.size;
  options.progress(
    `cycle ${cycle.number}: ${cycle.run.ops.length} operations traced, ${cycle.acks.length} acks, ${row.crashPoints} crash points, ${row.states} states, ${images.size} distinct images to scan`,
    false,
  );
  let scanProgress = performance.now();
  const judged = await judgeImages([...images.values()], cycle.recipe, {
    engine,
    workDir,
    workers: options.workers,
    signal: options.signal,
    onImage: (n, total) => {
      if (performance.now() - scanProgress < PROGRESS_INTERVAL_MS) return;
      scanProgress = performance.now();
      options.progress(
        `cycle ${cycle.number}: judged ${n} of ${total} images, ${summary.violations + row.violations} violations`,
        true,
      );
    },
  });
  row.judged = judged.length;
  for (const state of judged)
    if (!state.verdict.ok) addViolation(summary, row, cycle, state, state.verdict);
  checkNumbering(summary, row, cycle);
  if (row.violations === 0) await continueOn(options, engine, workDir, cycle, judged, summary, row);
  return judged;
}

/** Files each state under its image (a new image when its hash is new). */
function addStates(images: Map<string, DistinctImage>, point: PointStates): void {
  for (const state of point.states) {
    let image = images.get(state.hash);
    if (image === undefined) {
      if (images.size >= IMAGES_PER_CYCLE_MAX)
        throw new HarnessInputError(
          'BAD_OPTION',
          `more than ${IMAGES_PER_CYCLE_MAX} distinct crash images in one cycle: lower --states or --batches`,
        );
      image = { number: images.size + 1, hash: state.hash, image: state.image, refs: new Map() };
      images.set(state.hash, image);
    }
    if (!image.refs.has(point.acked))
      image.refs.set(point.acked, {
        id: state.id,
        outcome: state.outcome,
        point: point.point,
        acked: point.acked,
      });
  }
}

/** Every ack's reported seqStart against the model (rule 5 within the run), and its continuation. */
function checkNumbering(summary: AuditSummary, row: CycleRow, cycle: Cycle): void {
  const history = cycle.recipe.build(cycle.acks.length);
  const verdict = checkFailClosed(history.events);
  if (!verdict.ok) {
    row.violations += 1;
    summary.violations += 1;
    if (summary.reports.length < REPORTS_MAX)
      summary.reports.push({
        token: null,
        cycle: cycle.number,
        rule: verdict.rule,
        ruleName: verdict.ruleName,
        report: `${formatVerdict(verdict)}\n  where:     the acks of cycle ${cycle.number}'s recorded load (no crash involved)`,
      });
  }
}

async function continueOn(
  options: AuditOptions,
  engine: EngineCommand,
  workDir: string,
  cycle: Cycle,
  judged: readonly JudgedState[],
  summary: AuditSummary,
  row: CycleRow,
): Promise<void> {
  const candidates = distinctRecovered(judged);
  const rng = cycle.rng.fork();
  const chosen: JudgedState[] = [];
  while (chosen.length < options.continuations && candidates.length > 0)
    chosen.push(candidates.splice(rng.int(candidates.length), 1)[0]!);
  const extra = formatBatchLine(
    new Workload(rng.fork(), options.cycles + cycle.number).next(),
    hexCodec,
  );
  for (const state of chosen) {
    if (aborted(options)) return;
    const result = await checkContinuationOn(state, cycle.recipe, engine, workDir, extra);
    row.continuations += 1;
    if (!result.verdict.ok) addViolation(summary, row, cycle, state, result.verdict);
  }
}

/** States that recovered, one per image (the first ack count it was reached with). */
function distinctRecovered(judged: readonly JudgedState[]): JudgedState[] {
  const seen = new Set<number>();
  return judged.filter((s) => {
    if (!s.verdict.ok || s.verdict.k === null || seen.has(s.image.number)) return false;
    seen.add(s.image.number);
    return true;
  });
}

function chooseNext(
  cycle: Cycle,
  row: CycleRow,
  judged: readonly JudgedState[],
): JudgedState | null {
  const candidates = judged.filter((s) => s.verdict.ok && s.verdict.k !== null);
  if (candidates.length === 0) return null;
  // a state that kept some batches makes the next load recover data, not start afresh
  const withData = candidates.filter((s) => s.verdict.ok && (s.verdict.k ?? 0) > 0);
  const state = cycle.rng.pick(withData.length > 0 ? withData : candidates);
  row.next = { token: formatToken(state.ref.id), k: (state.verdict as { k: number }).k };
  return state;
}

function addViolation(
  summary: AuditSummary,
  row: CycleRow,
  cycle: Cycle,
  state: JudgedState,
  verdict: Violation,
): void {
  row.violations += 1;
  summary.violations += 1;
  const report = describeViolation(state, verdict, cycle.run, cycle.recipe, summary.keptDir);
  if (summary.reports.length < REPORTS_MAX) summary.reports.push(report);
  if (summary.firstAfterAck === null && state.ref.acked > 0) summary.firstAfterAck = report;
  if (summary.violating.length < VIOLATIONS_LISTED)
    summary.violating.push({ token: report.token!, rule: report.rule, acked: state.ref.acked });
}

function addRow(summary: AuditSummary, row: CycleRow): void {
  summary.opsTraced += row.opsTraced;
  summary.acks += row.acks;
  summary.crashPoints += row.crashPoints;
  summary.states += row.states;
  summary.distinctImages += row.distinctImages;
  summary.judged += row.judged;
  summary.continuations += row.continuations;
}

function aborted(options: AuditOptions): boolean {
  return options.signal?.aborted === true;
}

function checkOptions(options: AuditOptions): void {
  const positive = {
    batches: options.batches,
    cycles: options.cycles,
    states: options.states,
    workers: options.workers,
  };
  for (const [name, value] of Object.entries(positive))
    if (!(Number.isSafeInteger(value) && value >= 1))
      throw new HarnessInputError(
        'BAD_OPTION',
        `--${name} must be a positive integer, got ${value}`,
      );
  if (options.outcomes.length === 0)
    throw new HarnessInputError('BAD_OPTION', '--outcomes needs at least one outcome kind');
}

function describeEngine(options: AuditOptions, engine: EngineCommand): string {
  return options.engine === null ? 'our engine (walcheck load/scan)' : quoteCommand(engine.prefix);
}

function emptyRow(cycle: Omit<Cycle, 'row'>): CycleRow {
  return {
    cycle: cycle.number,
    opsTraced: cycle.run.ops.length,
    acks: cycle.acks.length,
    crashPoints: 0,
    states: 0,
    distinctImages: 0,
    judged: 0,
    continuations: 0,
    violations: 0,
    next: null,
  };
}

function emptySummary(options: AuditOptions, engine: string): AuditSummary {
  return {
    engine,
    seed: options.seed,
    cycles: [],
    opsTraced: 0,
    crashPoints: 0,
    states: 0,
    distinctImages: 0,
    judged: 0,
    acks: 0,
    continuations: 0,
    violations: 0,
    reports: [],
    violating: [],
    firstAfterAck: null,
    statesPerSecond: 0,
    seconds: 0,
    interrupted: false,
    keptDir: options.keepDir,
  };
}
