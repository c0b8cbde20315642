// The directory states a power cut may leave at each point of a recorded run: the run's
// operations replayed on the simulated filesystem (sim-fs.ts: volatile and durable views,
// pessimistic directory entries), with a crash placed before and after every operation and,
// at each crash point, every outcome variant of each allowed kind (crash-outcome.ts) while
// there are at most `statesPerKind` of them, else that many seeded random ones.
//
// Crash points: `applied` operations done (0..n). A write to an O_DSYNC/O_SYNC file is the
// write followed by a datasync of that file, so it adds the point in between (`midWrite`:
// the crash "during" the write that model/crash-model.md section 1 allows). A crash point
// has acknowledged the batches whose ack operation is among the applied ones.
//
// A state is named by a token `<cycle>:<applied>[w]:<kind>:<e|r><n>` (e: n-th enumerated
// variant, r: n-th seeded draw), so the same run, seed and token always rebuild the same image.

import { createHash } from 'node:crypto';
import {
  countOutcomes,
  type CrashOutcome,
  enumerateOutcomes,
  OUTCOME_KINDS,
  type OutcomeKind,
  randomOutcome,
} from '../disk/crash-outcome.ts';
import { HarnessInputError } from '../base/harness-error.ts';
import { Rng } from '../base/rng.ts';
import { SimFs } from '../disk/sim-fs.ts';
import type { AuditOp, RecordedRun, TracedOp } from './trace/audit-ops.ts';

export interface CrashPointRef {
  /** Operations of the run applied before the crash (0..ops.length). */
  applied: number;
  /** ops[applied] is a durable write: its bytes are written, its implied datasync is not done. */
  midWrite: boolean;
}

export interface StateId {
  cycle: number;
  point: CrashPointRef;
  kind: OutcomeKind;
  /** 'e': the n-th variant of the enumeration; 'r': the n-th seeded draw. */
  mode: 'e' | 'r';
  n: number;
}

/** A directory image: relative path -> bytes; a directory is its path with a '/' after it. */
export type DirImage = ReadonlyMap<string, Uint8Array>;

export interface CrashStateAt {
  id: StateId;
  outcome: CrashOutcome;
  image: DirImage;
  /** sha256 over the image's paths and bytes: equal images are judged once. */
  hash: string;
}

export interface PointStates {
  point: CrashPointRef;
  /** Ack lines the engine had written at this point. */
  acked: number;
  states: CrashStateAt[];
}

export interface StateOptions {
  cycle: number;
  seed: number;
  outcomes: readonly OutcomeKind[];
  /** Variants enumerated per crash point and kind; beyond it, this many seeded draws. */
  statesPerKind: number;
}

/** Operations a run may hold: a bound on replay work (the recorder bounds its trace too). */
const OPS_MAX = 1_000_000;

export function formatToken(id: StateId): string {
  return `${id.cycle}:${id.point.applied}${id.point.midWrite ? 'w' : ''}:${id.kind}:${id.mode}${id.n}`;
}

export function parseToken(text: string): StateId {
  const match = /^(\d+):(\d+)(w?):([a-z-]+):([er])(\d+)$/.exec(text.trim());
  const kind = match?.[4] as OutcomeKind | undefined;
  if (match === null || kind === undefined || !OUTCOME_KINDS.includes(kind))
    throw new HarnessInputError(
      'BAD_OPTION',
      `state token '${text}' is not <cycle>:<point>[w]:<outcome>:<e|r><n> (e.g. 1:42:keep-prefix:e3)`,
    );
  return {
    cycle: Number(match[1]),
    point: { applied: Number(match[2]), midWrite: match[3] === 'w' },
    kind,
    mode: match[5] as 'e' | 'r',
    n: Number(match[6]),
  };
}

/** Every crash point of the run in order, with the states each may leave. */
export async function* crashStates(
  run: RecordedRun,
  options: StateOptions,
): AsyncGenerator<PointStates> {
  checkRun(run);
  const fs = await startFs(run);
  let acked = 0;
  for (let applied = 0; applied <= run.ops.length; applied++) {
    yield await statesAt(fs, { applied, midWrite: false }, acked, options);
    const traced = run.ops[applied];
    if (traced === undefined) break;
    await applyOp(fs, traced, 'write');
    if (traced.op.kind === 'write' && traced.op.durable) {
      yield await statesAt(fs, { applied, midWrite: true }, acked, options);
      await applyOp(fs, traced, 'sync');
    }
    if (traced.op.kind === 'ack') acked += traced.op.lines;
  }
}

/** The one state a token names, rebuilt from the run alone (no engine, no timing). */
export async function stateOf(
  run: RecordedRun,
  id: StateId,
  seed: number,
): Promise<CrashStateAt & { acked: number }> {
  checkRun(run);
  const { applied, midWrite } = id.point;
  const traced = run.ops[applied];
  if (applied > run.ops.length || (midWrite && !(traced?.op.kind === 'write' && traced.op.durable)))
    throw new HarnessInputError(
      'BAD_OPTION',
      `state ${formatToken(id)}: no such crash point (the run has ${run.ops.length} operations${midWrite ? '; a w point needs a durable write there' : ''})`,
    );
  const fs = await startFs(run);
  let acked = 0;
  for (const op of run.ops.slice(0, applied)) {
    await applyOp(fs, op, 'write');
    await applyOp(fs, op, 'sync');
    if (op.op.kind === 'ack') acked += op.op.lines;
  }
  if (midWrite) await applyOp(fs, traced!, 'write');
  const outcome = outcomeOf(fs, id, seed);
  if (outcome === null)
    throw new HarnessInputError(
      'BAD_OPTION',
      `state ${formatToken(id)}: the crash point has only ${countOutcomes(fs, id.kind)} ${id.kind} variants`,
    );
  const image = await imageOf(fs, outcome);
  return { id, outcome, image, hash: hashImage(image), acked };
}

async function statesAt(
  fs: SimFs,
  point: CrashPointRef,
  acked: number,
  options: StateOptions,
): Promise<PointStates> {
  const states: CrashStateAt[] = [];
  for (const kind of options.outcomes) {
    const count = countOutcomes(fs, kind);
    const enumerate = count <= options.statesPerKind;
    const outcomes = enumerate
      ? enumerateOutcomes(fs, kind, options.statesPerKind)
      : drawOutcomes(fs, kind, samplingRng(options.seed, options.cycle, point, kind), options);
    for (const [n, outcome] of outcomes.entries()) {
      const image = await imageOf(fs, outcome);
      const id: StateId = { cycle: options.cycle, point, kind, mode: enumerate ? 'e' : 'r', n };
      states.push({ id, outcome, image, hash: hashImage(image) });
    }
  }
  return { point, acked, states };
}

function drawOutcomes(
  fs: SimFs,
  kind: OutcomeKind,
  rng: Rng,
  options: { statesPerKind: number },
): CrashOutcome[] {
  return Array.from({ length: options.statesPerKind }, () => randomOutcome(fs, kind, rng));
}

function outcomeOf(fs: SimFs, id: StateId, seed: number): CrashOutcome | null {
  if (id.mode === 'e') return enumerateOutcomes(fs, id.kind, id.n + 1)[id.n] ?? null;
  const rng = samplingRng(seed, id.cycle, id.point, id.kind);
  let outcome: CrashOutcome | null = null;
  for (let i = 0; i <= id.n; i++) outcome = randomOutcome(fs, id.kind, rng);
  return outcome;
}

/** One stream of draws per (seed, cycle, crash point, kind): a token replays alone. */
function samplingRng(seed: number, cycle: number, point: CrashPointRef, kind: OutcomeKind): Rng {
  const digest = createHash('sha256')
    .update(`${seed}:${cycle}:${point.applied}:${point.midWrite}:${kind}`)
    .digest();
  return new Rng(digest.readUInt32BE(0));
}

async function imageOf(fs: SimFs, outcome: CrashOutcome): Promise<DirImage> {
  const crashed = fs.crashImage(outcome, { trace: false });
  const out = new Map<string, Uint8Array>();
  for (const [path, data] of crashed.volatileView()) out.set(path.slice(1), data);
  for (const dir of await directories(crashed, '/', 0)) out.set(`${dir.slice(1)}/`, EMPTY);
  return out;
}

const EMPTY = new Uint8Array(0);
/** Deepest directory nesting an image may have. */
const IMAGE_DEPTH_MAX = 64;

/** Every directory below `dir` (paths from the root), so that empty ones are kept too. */
async function directories(fs: SimFs, dir: string, depth: number): Promise<string[]> {
  if (depth > IMAGE_DEPTH_MAX)
    throw new HarnessInputError('UNMODELED', `directories nested deeper than ${IMAGE_DEPTH_MAX}`);
  const out: string[] = [];
  for (const name of await fs.list(dir)) {
    const path = dir === '/' ? `/${name}` : `${dir}/${name}`;
    if ((await fs.stat(path))?.isDirectory !== true) continue;
    out.push(path, ...(await directories(fs, path, depth + 1)));
  }
  return out;
}

export function hashImage(image: DirImage): string {
  const hash = createHash('sha256');
  for (const path of [...image.keys()].sort()) {
    const data = image.get(path)!;
    hash.update(`${path}\0${data.length}\0`);
    hash.update(data);
  }
  return hash.digest('hex');
}

/** The start entries, all durable (empty directories made and synced before any crash point). */
async function startFs(run: RecordedRun): Promise<SimFs> {
  const fs = SimFs.fromFiles(
    run.start.flatMap((e) => (e.kind === 'file' ? [[`/${e.path}`, e.data] as const] : [])),
    { trace: false },
  );
  const dirs = run.start.filter((e) => e.kind === 'dir').map((e) => e.path);
  for (const path of dirs.sort()) {
    if (fs.hasDir(at(path))) continue;
    await fs.mkdir(at(path));
    await fs.syncAll();
  }
  return fs;
}

function checkRun(run: RecordedRun): void {
  if (run.ops.length > OPS_MAX)
    throw new HarnessInputError(
      'UNMODELED',
      `the trace holds ${run.ops.length} operations, more than the ${OPS_MAX} an audit replays`,
    );
}

/**
 * One operation on the simulated filesystem. A durable write is two phases: 'write' does the
 * bytes, 'sync' its implied datasync; every other operation happens whole in 'write'.
 */
async function applyOp(fs: SimFs, traced: TracedOp, phase: 'write' | 'sync'): Promise<void> {
  const op = traced.op;
  if (phase === 'sync') {
    if (op.kind === 'write' && op.durable) await replay(fs, traced, () => fsync(fs, op.path));
    return;
  }
  await replay(fs, traced, () => applyWhole(fs, op));
}

async function applyWhole(fs: SimFs, op: AuditOp): Promise<void> {
  switch (op.kind) {
    case 'create':
      await fs.open(at(op.path), 'create');
      return;
    case 'truncate':
      return (await fs.open(at(op.path), 'write')).truncate(op.size);
    case 'write': {
      const n = await (await fs.open(at(op.path), 'write')).write(op.data, op.offset);
      if (n !== op.data.length) throw new Error(`wrote ${n} of ${op.data.length} bytes`);
      return;
    }
    case 'fsync':
      return fsync(fs, op.path);
    case 'fsyncDir':
      return fs.syncDir(at(op.path));
    case 'syncAll':
      return fs.syncAll();
    case 'rename':
      return fs.rename(at(op.from), at(op.to));
    case 'link':
      return fs.link(at(op.from), at(op.to));
    case 'unlink':
      return fs.unlink(at(op.path));
    case 'mkdir':
      return fs.mkdir(at(op.path));
    case 'rmdir':
      return fs.rmdir(at(op.path));
    case 'ack':
      return;
  }
}

async function fsync(fs: SimFs, path: string): Promise<void> {
  if (fs.hasDir(at(path))) return fs.syncDir(at(path));
  return (await fs.open(at(path), 'read')).datasync();
}

/** A trace the filesystem refuses (a write to a missing file, ...) cannot be modelled: exit 3. */
async function replay(fs: SimFs, traced: TracedOp, body: () => Promise<void>): Promise<void> {
  try {
    await body();
  } catch (error) {
    throw new HarnessInputError(
      'UNMODELED',
      `cannot replay ${traced.text} on the model of the directory: ${(error as Error).message}`,
    );
  }
}

function at(path: string): string {
  return `/${path}`;
}

/** The trace around a crash point in words, the crash marked. */
export function traceAround(run: RecordedRun, point: CrashPointRef, context = 4): string[] {
  const lines: string[] = [];
  const from = Math.max(0, point.applied - context);
  const to = Math.min(run.ops.length, point.applied + context);
  for (let i = from; i < to; i++) {
    if (i === point.applied && !point.midWrite) lines.push('    ── power cut here ──');
    const text = run.ops[i]!.text;
    lines.push(`    ${text}`);
    if (i === point.applied && point.midWrite)
      lines.push('    ── power cut here (the write returned, its O_DSYNC flush did not) ──');
  }
  if (point.applied >= run.ops.length) lines.push('    ── power cut here (after the last) ──');
  return lines;
}

/** "before #42 write log @100 len=20 (after 41 of 90 operations)". */
export function describePoint(run: RecordedRun, point: CrashPointRef): string {
  const next = run.ops[point.applied];
  if (next === undefined) return `after the last of ${run.ops.length} operations`;
  if (point.midWrite) return `during ${next.text} (written, not yet flushed)`;
  return `before ${next.text} (${point.applied} of ${run.ops.length} operations done)`;
}
