// Exhaustive exploration of one small workload: every crash point (before and after every
// filesystem operation) times every outcome variant the crash model allows there
// (lose-unsynced; every keep-prefix cut; every torn-sector subset and length up to a
// bound; every subset of the unsynced directory operations up to a bound), and every
// single-bit flip of the durable WAL bytes, and every bit of every header and logical-record
// length/kind field flipped with the CRC recomputed (so that the checks after the checksum,
// count, seqStart and payload parsing, are what must catch it; flips that leave a valid
// record are skipped). Each state is recovered and
// judged by the oracle, and recovery must go on: one more batch, acknowledged from lastSeq + 1.
// Bit and field flips aim at walcheck's WAL records: only an engine writing that format gets
// them; any other engine is explored over every crash point and outcome.

import { performance } from 'node:perf_hooks';
import type { Batch } from '../../src/batch.ts';
import { judgeFirstAck, judgeRecovery } from '../../model/judge.ts';
import { errorCode, errorMessage, openFailureOf } from '../../model/open-failure.ts';
import {
  decodeLog,
  firstDamagedRecord,
  History,
  segmentFiles,
  type Verdict,
  type RecoveryVerdict,
  type BitRot,
} from '../../model/oracle.ts';
import { checkRefusedWrite } from '../../model/check-continuation.ts';
import { formatVerdict } from '../../model/verdict.ts';
import {
  asCrashTestEngine,
  type EngineUnderTest,
  shippedEngine,
  writesWalcheckWal,
} from '../engine/engine-under-test.ts';
import { checkSetAside, observe, seenOf } from '../judge/observe.ts';
import { DB_DIR, filesNow } from '../disk/db-files.ts';
import type {
  CrashTestDatabase,
  CrashTestEngine,
  CrashTestFeatures,
} from '../engine/engine-interface.ts';
import { type AckRule, ackRuleFor, judgedSeqStart } from '../judge/ack-rule.ts';
import {
  type CrashOutcome,
  describeOutcome,
  enumerateOutcomes,
  type OutcomeKind,
} from '../disk/crash-outcome.ts';
import { SimFs } from '../disk/sim-fs.ts';
import { exploreRecoveries, type RecoveryKind } from './explore-recovery.ts';
import { BoundedFs } from '../disk/bounded-fs.ts';
import { settleJudged } from '../judge/liveness.ts';
import {
  applyInjection,
  type Injection,
  type LogicalField,
  RECORD_FIELDS,
  type RecordField,
  walkRecords,
} from '../disk/wal-injectors.ts';

export type ExploreKind =
  Exclude<OutcomeKind, 'bit-rot'> | 'bit-flip' | 'field-flip' | RecoveryKind;
export const EXPLORE_KINDS: readonly ExploreKind[] = [
  'lose-unsynced',
  'keep-prefix',
  'tear-sectors',
  'reorder-metadata',
  'bit-flip',
  'field-flip',
  'recovery-mode',
  'recovery-crash',
  'recovery-fault',
];

/** Header and logical-record fields flipped with the CRC recomputed (a record valid to its checksum, wrong inside). */
const HEADER_FIELDS: readonly RecordField[] = [
  'length',
  'type',
  'flags',
  'reserved',
  'seqStart',
  'count',
];
const LOGICAL_FIELDS: readonly LogicalField[] = ['keyLen', 'valLen', 'kind'];
const CRASH_KINDS: readonly Exclude<OutcomeKind, 'bit-rot'>[] = [
  'lose-unsynced',
  'keep-prefix',
  'tear-sectors',
  'reorder-metadata',
];

export interface ExploreOptions {
  /** The engine under test (default: walcheck's own). */
  engine?: EngineUnderTest;
  /** 'full': 5 batches, a group commit of two writers, one rotation; 'small': 3 batches. */
  workload?: 'full' | 'small';
  /** Variants per crash point and kind at most (torn-sector subsets, metadata subsets). */
  variantsMax?: number;
  stopOnViolation?: boolean;
  /** Stop once aborted (SIGINT, SIGTERM): the summary is marked interrupted. */
  signal?: AbortSignal;
  /**
   * Crash points done of the total (the summary's crashPoints), then once with phase
   * 'flips' when the bit and field flips of the complete run's WAL begin.
   */
  onProgress?: (done: number, total: number, phase: 'crash points' | 'flips') => void;
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
  /** Stopped by a signal before exploring everything. */
  interrupted: boolean;
  seconds: number;
}

/** One issued batch of a workload run, and what became of it. */
interface Issued {
  batch: Batch;
  acked: boolean;
  /** The seqStart the engine reported, when it reports one. */
  seqStart: number | undefined;
  failed: string | null;
}

const b = (text: string): Uint8Array => Buffer.from(text);
const WORKLOADS: Record<'full' | 'small', { segmentBytesMax: number; waves: Batch[][] }> = {
  // Small records, one of 1,100 bytes spanning three 512-byte sectors, and a 1,300-byte
  // segment limit: the last batch rotates to a second segment.
  full: {
    segmentBytesMax: 1300,
    waves: [
      [
        [
          { type: 'put', key: b('a'), value: b('1') },
          { type: 'put', key: b('b'), value: b('2') },
        ],
      ],
      // Three concurrent writers: the first leads alone, the other two form one group.
      [
        [
          { type: 'put', key: b('c'), value: b('3') },
          { type: 'del', key: b('a') },
        ],
        [{ type: 'put', key: b('a'), value: b('4') }],
        [{ type: 'put', key: b('d'), value: b('5') }],
      ],
      [[{ type: 'put', key: b(''), value: new Uint8Array(1100).fill(0x5a) }]],
      [
        [
          { type: 'del', key: b('c') },
          { type: 'put', key: b('b'), value: b('') },
        ],
      ],
    ],
  },
  small: {
    segmentBytesMax: 100,
    waves: [
      [[{ type: 'put', key: b('a'), value: b('1') }]],
      [
        [{ type: 'put', key: b('b'), value: b('2') }],
        [{ type: 'del', key: b('a') }],
        [{ type: 'put', key: b('c'), value: b('3') }],
      ],
    ],
  },
};
/** States recovered between two turns of the event loop (signals, progress output). */
const YIELD_EVERY_STATES = 32;
const AFTER_RECOVERY: Batch = [{ type: 'put', key: b('z'), value: b('after') }];
/** Returned by a bounded wait whose promise never settled (the violation is recorded). */
const STALLED = Symbol('stalled');

export async function runExplore(options: ExploreOptions = {}): Promise<ExploreSummary> {
  const engine = asCrashTestEngine(options.engine ?? (await shippedEngine()));
  const workload = options.workload ?? 'full';
  const variantsMax = options.variantsMax ?? 4096;
  const start = performance.now();
  const explorer = new Explorer(
    engine,
    workload,
    variantsMax,
    options.stopOnViolation !== false,
    options.signal,
  );
  const operations = await explorer.countOperations();
  const points = Array.from({ length: operations }, (_, i) => [
    { opIndex: i, when: 'before' as const },
    { opIndex: i, when: 'after' as const },
  ]).flat();
  for (const [i, point] of points.entries()) {
    if (explorer.stopped) break;
    await explorer.crashPoint(point.opIndex, point.when);
    options.onProgress?.(i + 1, points.length, 'crash points');
  }
  if (!explorer.stopped) options.onProgress?.(points.length, points.length, 'flips');
  if (!explorer.stopped) await explorer.bitFlips();
  if (!explorer.stopped) await explorer.fieldFlips();
  if (!explorer.stopped) await explorer.recoveries();
  return {
    ...explorer.summary(),
    workload,
    operations,
    crashPoints: points.length,
    interrupted: options.signal?.aborted === true,
    seconds: (performance.now() - start) / 1000,
  };
}

class Explorer {
  private readonly ackRule: AckRule;
  private readonly decodable: boolean;
  readonly states = Object.fromEntries(EXPLORE_KINDS.map((k) => [k, 0])) as Record<
    ExploreKind,
    number
  >;
  readonly bounded = Object.fromEntries(EXPLORE_KINDS.map((k) => [k, 0])) as Record<
    ExploreKind,
    number
  >;
  readonly violations: ExploreViolation[] = [];
  acksChecked = 0;
  private recovered = 0;

  constructor(
    private readonly engine: CrashTestEngine,
    private readonly workload: 'full' | 'small',
    private readonly variantsMax: number,
    private readonly stopOnViolation: boolean,
    private readonly signal: AbortSignal | undefined,
  ) {
    this.ackRule = ackRuleFor(engine, DB_DIR, { segmentBytesMax: this.segmentBytesMax });
    this.decodable = writesWalcheckWal(engine);
  }

  private get segmentBytesMax(): number {
    return WORKLOADS[this.workload].segmentBytesMax;
  }

  get stopped(): boolean {
    return (this.stopOnViolation && this.violations.length > 0) || this.signal?.aborted === true;
  }

  summary(): Pick<ExploreSummary, 'states' | 'bounded' | 'acksChecked' | 'violations'> {
    return {
      states: this.states,
      bounded: this.bounded,
      acksChecked: this.acksChecked,
      violations: this.violations,
    };
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
        await this.recover(
          fs.crashImage(outcome, { trace: false }),
          issued,
          where,
          outcome,
          undefined,
        );
      }
    }
  }

  async bitFlips(): Promise<void> {
    if (!this.decodable) return;
    const fs = new SimFs({ trace: false });
    const issued = await this.run(fs, 'complete run');
    fs.crashNow();
    const segments = segmentFiles(fs.durableView(), DB_DIR);
    for (const [name, bytes] of segments) {
      for (let bit = 0; bit < bytes.length * 8 && !this.stopped; bit++) {
        const outcome: CrashOutcome = {
          kind: 'bit-rot',
          flips: [{ path: `${DB_DIR}/${name}`, bit }],
        };
        const record = firstDamagedRecord(segments, [{ segment: name, offset: bit >> 3 }]);
        const bitRot: BitRot | undefined =
          record === null
            ? undefined
            : { seqStart: record.seqStart, segment: record.segment, offset: record.offset };
        this.states['bit-flip']++;
        await this.recover(
          fs.crashImage(outcome, { trace: false }),
          issued,
          'after the last operation',
          outcome,
          bitRot,
        );
      }
    }
  }

  async fieldFlips(): Promise<void> {
    if (!this.decodable) return;
    const fs = new SimFs({ trace: false });
    const issued = await this.run(fs, 'complete run');
    fs.crashNow();
    const durable = fs.durableView();
    const segments = segmentFiles(durable, DB_DIR);
    for (const [name, bytes] of segments) {
      for (const [index, record] of walkRecords(bytes).entries()) {
        for (const injection of fieldInjections(index, record.logical.length)) {
          if (this.stopped) return;
          const damaged = injectOrSkip(bytes, injection);
          if (damaged === null) continue;
          const files = new Map(durable);
          files.set(`${DB_DIR}/${name}`, damaged);
          // A flip that still leaves a valid record (a DELETE turned into a PUT of an empty
          // value, say) is another history, not damage any format can detect: judged are
          // only the flips the checks of src/wal/wal-format.md section 6 make invalid at this record.
          const invalid = decodeLog(segmentFiles(files, DB_DIR)).firstInvalid;
          if (invalid === null || invalid.segment !== name || invalid.offset !== record.offset)
            continue;
          const bitRot: BitRot = {
            seqStart: record.seqStart,
            segment: name,
            offset: record.offset,
          };
          const outcome: CrashOutcome = { kind: 'bit-rot', flips: [] };
          this.states['field-flip']++;
          await this.recover(
            SimFs.fromFiles(files, { trace: false }),
            issued,
            'after the last operation',
            outcome,
            bitRot,
            describeField(name, injection),
          );
        }
      }
    }
  }

  /** Damaged logs opened in every mode, read-only and not, and recoveries that die (explore-recovery.ts). */
  async recoveries(): Promise<void> {
    const fs = new SimFs({ trace: false });
    const issued = await this.run(fs, 'complete run');
    fs.crashNow();
    await exploreRecoveries({
      engine: this.engine,
      segmentBytesMax: WORKLOADS[this.workload].segmentBytesMax,
      files: fs.durableView(),
      history: () => historyOf(issued),
      stopped: () => this.stopped,
      count: (kind) => this.states[kind]++,
      judge: (verdict, where, what) => this.judge(verdict, where, what),
    });
  }

  /** The workload; records acknowledgements and checks each against the durable view. */
  private async run(fs: SimFs, where: string): Promise<Issued[]> {
    const { segmentBytesMax, waves } = WORKLOADS[this.workload];
    const issued: Issued[] = [];
    const engineFs = new BoundedFs(fs);
    const within = <T>(promise: Promise<T>, what: string) =>
      this.within(engineFs, fs, promise, () => historyOf(issued), what, where);
    let db: CrashTestDatabase | typeof STALLED;
    try {
      db = await within(this.engine.open(DB_DIR, { fs: engineFs, segmentBytesMax }), 'open');
    } catch (error) {
      if (fs.crashed) return issued;
      throw error;
    }
    if (db === STALLED) return issued;
    for (const wave of waves) {
      if (fs.crashed) break;
      const writes = Promise.all(wave.map((batch) => this.write(db, fs, batch, issued, where)));
      if ((await within(writes, 'writes of a wave')) === STALLED) return issued;
    }
    await within(db.close(), 'close').catch((error: unknown) => {
      if (!fs.crashed) throw error; // a crash may come at the close itself
    });
    return issued;
  }

  /** Awaits `promise` within the liveness bound (judge/liveness.ts); a stall is a violation unless the process died. */
  private async within<T>(
    engineFs: BoundedFs,
    fs: SimFs,
    promise: Promise<T>,
    history: () => History,
    what: string,
    where: string,
  ): Promise<T | typeof STALLED> {
    const judged = await settleJudged(engineFs, fs, promise, history, what);
    if (judged.settled) return judged.value;
    if (judged.stalled !== null) this.judge(judged.stalled, where, 'liveness');
    return STALLED;
  }

  private async write(
    db: CrashTestDatabase,
    fs: SimFs,
    batch: Batch,
    issued: Issued[],
    where: string,
  ): Promise<void> {
    const entry: Issued = { batch, acked: false, seqStart: undefined, failed: null };
    issued.push(entry);
    try {
      entry.seqStart = judgedSeqStart(db, await db.write(batch));
      entry.acked = true;
    } catch (error) {
      if (!fs.crashed) entry.failed = errorCode(error);
      return;
    }
    this.acksChecked++;
    const history = historyOf(issued);
    const id = issued.indexOf(entry) + 1;
    const durable = this.ackRule(history, id, fs);
    this.judge(durable instanceof Promise ? await durable : durable, where, 'ack (no crash yet)');
  }

  /** Recovers one crash state, judges it, and goes on: one more batch, acknowledged durably from lastSeq + 1. */
  private async recover(
    image: SimFs,
    issued: Issued[],
    where: string,
    outcome: CrashOutcome,
    bitRot: BitRot | undefined,
    described?: string,
  ): Promise<void> {
    // The simulated filesystem resolves on microtasks only: without a turn of the event loop
    // now and then, a signal's handler would not run until the whole exploration ended.
    if (++this.recovered % YIELD_EVERY_STATES === 0) await new Promise(setImmediate);
    const history = historyOf(issued);
    const before = this.decodable ? filesNow(image) : null;
    const what = described ?? describeOutcome(outcome);
    const context = bitRot === undefined ? { outcome: what } : { bitRot, outcome: what };
    const engineFs = new BoundedFs(image);
    const within = <T>(promise: Promise<T>, step: string) =>
      this.within(engineFs, image, promise, () => history, step, where);
    let db: CrashTestDatabase;
    try {
      const opened = await within(
        this.engine.open(DB_DIR, { fs: engineFs, segmentBytesMax: this.segmentBytesMax }),
        `recovery after ${what}`,
      );
      if (opened === STALLED) return;
      db = opened;
    } catch (error) {
      const observed = { opened: false as const, error: openFailureOf(error) };
      this.judge(judgeRecovery(history, { box: 'white', observed, context }), where, what);
      return;
    }
    const verdict = judgeRecovery(history, seenOf(observe(db, this.features), context));
    this.judge(verdict, where, what);
    if (!verdict.ok || verdict.k === null) return;
    if (before !== null) this.judge(checkSetAside(before, filesNow(image), db), where, what);
    await this.oneMore(db, image, history, where, `${what}; then one more batch`, within);
  }

  /** Rule 5 after a recovery: one more batch is acknowledged from lastSeq + 1, durably. */
  private async oneMore(
    db: CrashTestDatabase,
    image: SimFs,
    history: History,
    where: string,
    what: string,
    within: <T>(promise: Promise<T>, step: string) => Promise<T | typeof STALLED>,
  ): Promise<void> {
    const id = history.issue(AFTER_RECOVERY);
    let seqStart: number | undefined;
    try {
      const written = await within(db.write(AFTER_RECOVERY), 'one more batch after recovery');
      if (written === STALLED) return;
      seqStart = judgedSeqStart(db, written);
    } catch (error) {
      // Nothing failed on the filesystem: an engine that cannot go on breaks rule 5.
      const refused = checkRefusedWrite(
        errorCode(error),
        errorMessage(error),
        false,
        'after recovery',
      );
      this.judge(refused, where, what);
      return;
    }
    history.ack(id, seqStart);
    if (seqStart !== undefined) this.judge(judgeFirstAck(history, seqStart), where, what);
    const durable = this.ackRule(history, id, image);
    this.judge(durable instanceof Promise ? await durable : durable, where, what);
    await within(db.close(), 'close after recovery');
  }

  private get features(): CrashTestFeatures {
    return this.engine.features ?? {};
  }

  private judge(verdict: Verdict | RecoveryVerdict, crashPoint: string, outcome: string): void {
    if (verdict.ok) return;
    const report = [
      formatVerdict(verdict),
      `  crash:    ${crashPoint}`,
      `  outcome:  ${outcome}`,
      `  workload: ${this.workload} (walcheck explore${this.workload === 'small' ? ' --small' : ''})`,
    ].join('\n');
    this.violations.push({
      report,
      rule: verdict.rule,
      ruleName: verdict.ruleName,
      crashPoint,
      outcome,
    });
  }
}

/** A History of the workload run as the oracle needs it (a fresh one per judged state). */
function historyOf(issued: readonly Issued[]): History {
  const history = new History();
  for (const entry of issued) {
    const id = history.issue(entry.batch);
    if (entry.acked) history.ack(id, entry.seqStart);
    else if (entry.failed !== null) history.fail(id, entry.failed);
  }
  return history;
}

/** Every bit of every header field but the CRC, and of each logical record's lengths and kind. */
function fieldInjections(record: number, logicalCount: number): Injection[] {
  const out: Injection[] = [];
  for (const field of HEADER_FIELDS) {
    for (let bit = 0; bit < RECORD_FIELDS[field][1] * 8; bit++)
      out.push({ kind: 'record-field', record, field, bit, recrc: true });
  }
  for (let logical = 0; logical < logicalCount; logical++) {
    for (const field of LOGICAL_FIELDS) {
      const bits = field === 'kind' ? 8 : 32;
      for (let bit = 0; bit < bits; bit++)
        out.push({ kind: 'logical-field', record, logical, field, bit, recrc: true });
    }
  }
  return out;
}

function describeField(segment: string, injection: Injection): string {
  if (injection.kind === 'record-field')
    return `${segment} record ${injection.record}: bit ${injection.bit} of ${injection.field} flipped, CRC recomputed`;
  if (injection.kind === 'logical-field') {
    return `${segment} record ${injection.record} logical ${injection.logical}: bit ${injection.bit} of ${injection.field} flipped, CRC recomputed`;
  }
  return segment;
}

/** The damaged bytes, or null when the CRC cannot be recomputed (a length flipped past the end: plain bit-flips cover that). */
function injectOrSkip(bytes: Uint8Array, injection: Injection): Uint8Array | null {
  try {
    return applyInjection(bytes, injection);
  } catch (error) {
    if (error instanceof RangeError) return null;
    throw error;
  }
}
