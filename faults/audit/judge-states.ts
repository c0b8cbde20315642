// Judging crash states: each distinct image is materialized in a fresh real directory and
// scanned once by the engine (`CMD scan <copy>`, at most `workers` at a time); the state it
// shows is then judged by the one judge (model/judge.ts, judgeRecovery with box 'black', read
// only: the histories are shared between states) once for every number of acknowledged
// batches the image was reached with (a crash just before and just after an ack leave the
// same bytes, but only the second must hold the acked batch). A scan that failed is judged by
// model/check-black-box.ts's scanFailedViolation.

import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { type BlackBoxObserved, scanFailedViolation } from '../../model/check-black-box.ts';
import { judgeRecovery } from '../../model/judge.ts';
import type { RecoveryVerdict } from '../../model/verdict.ts';
import type { CrashOutcome } from '../disk/crash-outcome.ts';
import { type EngineCommand, scanArgv } from '../engine/protocol/engine-command.ts';
import { runScanSession } from '../engine/protocol/scan-session.ts';
import type { HistoryRecipe } from './audit-history.ts';
import type { CrashPointRef, DirImage, StateId } from './crash-states.ts';
import { materialize } from './materialize.ts';
import { stderrLines } from '../engine/protocol/engine-process.ts';

/** The first state (in crash-point order) that reached an image with a given ack count. */
export interface StateRef {
  id: StateId;
  outcome: CrashOutcome;
  point: CrashPointRef;
  acked: number;
}

export interface DistinctImage {
  /** 1-based, in order of first appearance. */
  number: number;
  hash: string;
  image: DirImage;
  /** acked count -> the first state that reached this image with it. */
  refs: Map<number, StateRef>;
}

export interface JudgedState {
  ref: StateRef;
  image: DistinctImage;
  observed: BlackBoxObserved | null;
  verdict: RecoveryVerdict;
}

export interface ScanContext {
  engine: EngineCommand;
  /** Images are materialized under it, one directory each, removed after the scan. */
  workDir: string;
  workers: number;
  signal?: AbortSignal | undefined;
  /** Called after each image is judged. */
  onImage?: (judged: number, total: number) => void;
}

/** Lines of an engine's stderr a report shows. */
const STDERR_LINES_SHOWN = 8;

export async function judgeImages(
  images: readonly DistinctImage[],
  recipe: HistoryRecipe,
  context: ScanContext,
): Promise<JudgedState[]> {
  const out: JudgedState[][] = images.map(() => []);
  let judged = 0;
  await runPool(images, context.workers, context.signal, async (image, i) => {
    const observed = await scanImage(image, context);
    out[i] = [...image.refs.values()].map((ref) => ({
      ref,
      image,
      observed: typeof observed === 'string' ? null : observed,
      verdict:
        typeof observed === 'string'
          ? scanFailedViolation(observed)
          : judgeRecovery(recipe.at(ref.acked), { box: 'black', observed }, { readOnly: true }),
    }));
    judged += 1;
    context.onImage?.(judged, images.length);
  });
  return out.flat();
}

/** What `CMD scan` shows of an image, or why it failed (not exit 2, bad output, timeout). */
async function scanImage(
  image: DistinctImage,
  context: ScanContext,
): Promise<BlackBoxObserved | string> {
  const dir = join(context.workDir, `image-${image.number}`);
  await materialize(image.image, dir);
  try {
    const scan = await runScanSession(scanArgv(context.engine, dir), context.engine.cwd);
    if (scan.kind === 'entries') return { opened: true, entries: scan.entries };
    if (scan.kind === 'refused') return { opened: false, error: scan.error };
    return `${scan.problem}${stderrTail(scan.stderr)}`;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

export function stderrTail(stderr: string): string {
  const lines = stderrLines(stderr, STDERR_LINES_SHOWN);
  if (lines.length === 0) return ' (nothing on stderr)';
  return `; engine stderr:\n${lines.map((l) => `      ${l}`).join('\n')}`;
}

/** Runs `task` on every item, at most `workers` at once; stops taking items once aborted. */
async function runPool<T>(
  items: readonly T[],
  workers: number,
  signal: AbortSignal | undefined,
  task: (item: T, index: number) => Promise<void>,
): Promise<void> {
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length && signal?.aborted !== true) {
      const index = next++;
      await task(items[index]!, index);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(workers, items.length)) }, worker));
}
