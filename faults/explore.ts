// Exhaustive exploration of one small workload: every crash point (before and after every
// filesystem operation) times every outcome variant the crash model allows there
// (lose-unsynced; every keep-prefix cut; every torn-sector subset and length up to a
// bound; every subset of the unsynced directory operations up to a bound), and every
// single-bit flip of the durable WAL bytes. Each state is recovered and judged by the
// oracle, and recovery must go on: one more batch, acknowledged from lastSeq + 1.

import { performance } from 'node:perf_hooks';
import type { Batch } from '../src/batch.ts';
import { checkAckDurable, checkContinuation, checkRecovery, firstDamagedRecord, History, segmentFiles, type Verdict, type RecoveryVerdict, type BitRot } from '../model/oracle.ts';
import { formatVerdict } from '../model/verdict.ts';
import { type EngineDatabase, type EngineModule, shippedEngine } from './campaign/engine-under-test.ts';
import { checkSetAside, DB_DIR, filesNow, observe } from './campaign/observe.ts';
import { type CrashOutcome, describeOutcome, enumerateOutcomes, type OutcomeKind } from './crash-outcome.ts';
import { SimFs } from './sim-fs.ts';

export type ExploreKind = Exclude<OutcomeKind, 'bit-rot'> | 'bit-flip';
export const EXPLORE_KINDS: readonly ExploreKind[] = ['lose-unsynced', 'keep-prefix', 'tear-sectors', 'reorder-metadata', 'bit-flip'];
const CRASH_KINDS: readonly Exclude<OutcomeKind, 'bit-rot'>[] = ['lose-unsynced', 'keep-prefix', 'tear-sectors', 'reorder-metadata'];

export interface ExploreOptions {
  engine?: EngineModule;
  /** 'full': 5 batches, a group commit of two writers, one rotation; 'small': 3 batches. */
  workload?: 'full' | 'small';
  /** Variants per crash point and kind at most (torn-sector subsets, metadata subsets). */
  variantsMax?: number;
  stopOnViolation?: boolean;
  onProgress?: (done: number, total: number) => void;
}

export interface ExploreViolation {
  report: string;
  rule: number;
  ruleName: string;
  crashPoint: string;
  outcome: string;
}

export interface ExploreSummary {
  workload: 'full' | 'small';
  operations: number;
  crashPoints: number;
  states: Record<ExploreKind, number>;
  /** Crash points where a kind had more variants than variantsMax (only the first were walked). */
  bounded: Record<ExploreKind, number>;
  acksChecked: number;
  violations: ExploreViolation[];
  seconds: number;
}

/** One issued batch of a workload run, and what became of it. */
interface Issued {
  batch: Batch;
  seqStart: number | null;
  failed: string | null;
}

const b = (text: string): Uint8Array => Buffer.from(text);
const WORKLOADS: Record<'full' | 'small', { segmentBytesMax: number; waves: Batch[][] }> = {
  // Small records, one of 1,100 bytes spanning three 512-byte sectors, and a 1,300-byte
  // segment limit: the last batch rotates to a second segment.
  full: {
    segmentBytesMax: 1300,
    waves: [
      [[{ type: 'put', key: b('a'), value: b('1') }, { type: 'put', key: b('b'), value: b('2') }]],
      [
        [{ type: 'put', key: b('c'), value: b('3') }, { type: 'del', key: b('a') }],
        [{ type: 'put', key: b('a'), value: b('4') }],
      ],
      [[{ type: 'put', key: b(''), value: new Uint8Array(1100).fill(0x5a) }]],
      [[{ type: 'del', key: b('c') }, { type: 'put', key: b('b'), value: b('') }]],
    ],
  },
  small: {
    segmentBytesMax: 100,
    waves: [
      [[{ type: 'put', key: b('a'), value: b('1') }]],
      [[{ type: 'put', key: b('b'), value: b('2') }], [{ type: 'del', key: b('a') }]],
    ],
  },
};
const AFTER_RECOVERY: Batch = [{ type: 'put', key: b('z'), value: b('after') }];

export async function runExplore(options: ExploreOptions = {}): Promise<ExploreSummary> {
  const engine = options.engine ?? (await shippedEngine());
  const workload = options.workload ?? 'full';
  const variantsMax = options.variantsMax ?? 4096;
  const start = performance.now();
  const explorer = new Explorer(engine, workload, variantsMax, options.stopOnViolation !== false);
  const operations = await explorer.countOperations();
  const points = Array.from({ length: operations }, (_, i) => [{ opIndex: i, when: 'before' as const }, { opIndex: i, when: 'after' as const }]).flat();
  for (const [i, point] of points.entries()) {
    if (explorer.stopped) break;
    await explorer.crashPoint(point.opIndex, point.when);
    options.onProgress?.(i + 1, points.length + 1);
  }
  if (!explorer.stopped) await explorer.bitFlips();
  options.onProgress?.(points.length + 1, points.length + 1);
  return { ...explorer.summary(), workload, operations, crashPoints: points.length, seconds: (performance.now() - start) / 1000 };
}

class Explorer {
  readonly states = Object.fromEntries(EXPLORE_KINDS.map((k) => [k, 0])) as Record<ExploreKind, number>;
  readonly bounded = Object.fromEntries(EXPLORE_KINDS.map((k) => [k, 0])) as Record<ExploreKind, number>;
  readonly violations: ExploreViolation[] = [];
  acksChecked = 0;

  constructor(
    private readonly engine: EngineModule,
    private readonly workload: 'full' | 'small',
    private readonly variantsMax: number,
    private readonly stopOnViolation: boolean,
  ) {}

  get stopped(): boolean {
    return this.stopOnViolation && this.violations.length > 0;
  }

  summary(): Pick<ExploreSummary, 'states' | 'bounded' | 'acksChecked' | 'violations'> {
    return { states: this.states, bounded: this.bounded, acksChecked: this.acksChecked, violations: this.violations };
  }

  async countOperations(): Promise<number> {
    const fs = new SimFs({ trace: false });
    await this.run(fs, 'count');
    return fs.opCount;
  }

  async crashPoint(opIndex: number, when: 'before' | 'after'): Promise<void> {
    const fs = new SimFs({ crashAt: { opIndex, when }, trace: false });
    const where = `${when} op #${opIndex}`;
    const issued = await this.run(fs, where);
    fs.crashNow();
    for (const kind of CRASH_KINDS) {
      const outcomes = enumerateOutcomes(fs, kind, this.variantsMax + 1);
      if (outcomes.length > this.variantsMax) this.bounded[kind]++;
      for (const outcome of outcomes.slice(0, this.variantsMax)) {
        if (this.stopped) return;
        this.states[kind]++;
        await this.recover(fs.crashImage(outcome, { trace: false }), issued, where, outcome, undefined);
      }
    }
  }

  async bitFlips(): Promise<void> {
    const fs = new SimFs({ trace: false });
    const issued = await this.run(fs, 'complete run');
    fs.crashNow();
    const segments = segmentFiles(fs.durableView(), DB_DIR);
    for (const [name, bytes] of segments) {
      for (let bit = 0; bit < bytes.length * 8 && !this.stopped; bit++) {
        const outcome: CrashOutcome = { kind: 'bit-rot', flips: [{ path: `${DB_DIR}/${name}`, bit }] };
        const record = firstDamagedRecord(segments, [{ segment: name, offset: bit >> 3 }]);
        const bitRot: BitRot | undefined = record === null ? undefined : { seqStart: record.seqStart, segment: record.segment, offset: record.offset };
        this.states['bit-flip']++;
        await this.recover(fs.crashImage(outcome, { trace: false }), issued, 'after the last operation', outcome, bitRot);
      }
    }
  }

  /** The workload; records acknowledgements and checks each against the durable view. */
  private async run(fs: SimFs, where: string): Promise<Issued[]> {
    const { segmentBytesMax, waves } = WORKLOADS[this.workload];
    const issued: Issued[] = [];
    let db: EngineDatabase;
    try {
      db = await this.engine.Database.open(DB_DIR, { fs, segmentBytesMax });
    } catch (error) {
      if (fs.crashed) return issued;
      throw error;
    }
    for (const wave of waves) {
      if (fs.crashed) break;
      await Promise.all(wave.map((batch) => this.write(db, fs, batch, issued, where)));
    }
    await db.close().catch((error: unknown) => {
      if (!fs.crashed) throw error; // a crash may come at the close itself
    });
    return issued;
  }

  private async write(db: EngineDatabase, fs: SimFs, batch: Batch, issued: Issued[], where: string): Promise<void> {
    const entry: Issued = { batch, seqStart: null, failed: null };
    issued.push(entry);
    try {
      entry.seqStart = (await db.write(batch)).seqStart;
    } catch (error) {
      if (!fs.crashed) entry.failed = String((error as { code?: unknown }).code);
      return;
    }
    this.acksChecked++;
    const history = historyOf(issued);
    const id = issued.indexOf(entry) + 1;
    this.judge(checkAckDurable(history, id, fs.durableView(), DB_DIR), where, 'ack (no crash yet)');
  }

  private async recover(image: SimFs, issued: Issued[], where: string, outcome: CrashOutcome, bitRot: BitRot | undefined): Promise<void> {
    const history = historyOf(issued);
    const before = filesNow(image);
    const what = describeOutcome(outcome);
    let db: EngineDatabase;
    try {
      db = await this.engine.Database.open(DB_DIR, { fs: image, segmentBytesMax: WORKLOADS[this.workload].segmentBytesMax });
    } catch (error) {
      const e = error as { code?: unknown; segment?: unknown; offset?: unknown; reason?: unknown };
      const opened = { code: String(e.code), segment: e.segment as string, offset: e.offset as number, reason: e.reason as string };
      this.judge(checkRecovery(history, { opened: false, error: opened }, bitRot === undefined ? {} : { bitRot }), where, what);
      return;
    }
    const verdict = checkRecovery(history, observe(db), bitRot === undefined ? { outcome: what } : { bitRot, outcome: what });
    this.judge(verdict, where, what);
    if (!verdict.ok || verdict.k === null) return;
    this.judge(checkSetAside(before, filesNow(image), db), where, what);
    history.truncateTo(verdict.k, verdict.line);
    const id = history.issue(AFTER_RECOVERY);
    const { seqStart } = await db.write(AFTER_RECOVERY);
    history.ack(id, seqStart);
    this.judge(checkContinuation(history, history.lastSeqAtRecovery, seqStart), where, `${what}; then one more batch`);
    this.judge(checkAckDurable(history, id, image.durableView(), DB_DIR), where, `${what}; then one more batch`);
    await db.close();
  }

  private judge(verdict: Verdict | RecoveryVerdict, crashPoint: string, outcome: string): void {
    if (verdict.ok) return;
    const report = [formatVerdict(verdict), `  crash:    ${crashPoint}`, `  outcome:  ${outcome}`, `  workload: ${this.workload} (walcheck explore${this.workload === 'small' ? ' --small' : ''})`].join('\n');
    this.violations.push({ report, rule: verdict.rule, ruleName: verdict.ruleName, crashPoint, outcome });
  }
}

/** A History of the workload run as the oracle needs it (a fresh one per judged state). */
function historyOf(issued: readonly Issued[]): History {
  const history = new History();
  for (const entry of issued) {
    const id = history.issue(entry.batch);
    if (entry.seqStart !== null) history.ack(id, entry.seqStart);
    else if (entry.failed !== null) history.fail(id, entry.failed);
  }
  return history;
}
