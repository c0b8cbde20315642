// walcheck audit end to end on a small python append-log engine (test/engines/applog.py)
// recorded under strace: the correct engine passes, over two cycles too; each broken variant
// (no fsync before the ack, no directory fsync after creating the log, compaction renaming an
// unsynced file over the log) is caught with the rule, and the state its token names, rebuilt
// from the kept run with no engine, shows the acknowledged batch lost when the engine scans it.

import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { checkBlackBoxRecovery } from '../model/check-black-box.ts';
import { History } from '../model/history.ts';
import { loadCycle } from '../faults/audit/audit-keep.ts';
import { replayState } from '../faults/audit/audit-replay.ts';
import { type AuditOptions, runAudit } from '../faults/audit/audit-run.ts';
import { parseToken } from '../faults/audit/crash-states.ts';
import { straceRecorder } from '../faults/audit/recorder.ts';
import { parseBatchLine } from '../faults/engine/protocol/batch-line.ts';
import { hexCodec } from '../faults/engine/protocol/codec.ts';
import { blackBoxEngine, scanArgv } from '../faults/engine/protocol/engine-command.ts';
import { runScanSession } from '../faults/engine/protocol/scan-session.ts';
import { applog, HAS_STRACE } from './support/audit-tools.ts';
import { makeTempDir, removeTempDirs, snapshotTree } from './support/temp-dirs.ts';
import { ROOT } from './support/walcheck-cli.ts';

afterAll(removeTempDirs);

const SEED = Number(process.env.WALCHECK_SEED ?? 1);

function options(engine: string, overrides: Partial<AuditOptions> = {}): AuditOptions {
  return {
    engine,
    seed: SEED,
    batches: 5,
    cycles: 1,
    outcomes: ['lose-unsynced', 'keep-prefix', 'tear-sectors', 'reorder-metadata'],
    states: 3,
    workers: 2,
    continuations: 2,
    keepDir: null,
    ignore: [],
    progress: () => undefined,
    recorder: straceRecorder,
    ...overrides,
  };
}

describe.skipIf(!HAS_STRACE)('walcheck audit on applog.py', () => {
  it(`passes the correct engine (seed ${SEED})`, async () => {
    const summary = await runAudit(options(applog('ok')));
    expect(summary.reports.map((r) => r.report)).toEqual([]);
    expect(summary.violations).toBe(0);
    expect(summary.acks).toBe(5);
    expect(summary.opsTraced).toBeGreaterThan(10);
    expect(summary.crashPoints).toBe(summary.opsTraced + 1);
    expect(summary.distinctImages).toBeGreaterThan(10);
    expect(summary.continuations).toBe(2);
    expect(summary.interrupted).toBe(false);
  });

  it(`goes on from a crash state in a second cycle (seed ${SEED})`, async () => {
    const keepDir = await makeTempDir('audit-cycles');
    const summary = await runAudit(
      options(applog('ok'), { cycles: 2, states: 1, continuations: 1, keepDir }),
    );
    expect(summary.violations).toBe(0);
    expect(summary.cycles).toHaveLength(2);
    const next = summary.cycles[0]!.next!;
    expect(parseToken(next.token).cycle).toBe(1);
    // cycle 2 started from that crash state: its recorded start is the image the token names
    const kept = await loadCycle(keepDir, 2);
    const state = await replayState(keepDir, next.token, null);
    expect(kept.run.start.filter((e) => e.kind === 'file').map((e) => e.path)).toEqual(
      state.files.map((f) => f.path),
    );
    expect(summary.cycles[1]!.acks).toBe(5);
  });

  for (const [variant, where] of [
    ['no-fsync', 'pwrite64 log'],
    ['no-dir-fsync', 'log'],
    ['rename-unsynced', 'rename log.tmp -> log'],
  ] as const) {
    it(`catches --variant ${variant} and rebuilds a state that lost an acked batch (seed ${SEED})`, async () => {
      const keepDir = await makeTempDir(`audit-${variant}`);
      const engine = applog(variant);
      // lose-unsynced and reorder-metadata suffice to catch each (the correct engine meets all kinds)
      const outcomes = ['lose-unsynced', 'reorder-metadata'] as const;
      const summary = await runAudit(options(engine, { keepDir, continuations: 0, outcomes }));
      expect(summary.violations).toBeGreaterThan(0);
      const report = summary.reports.find((r) => r.token !== null)!;
      expect(report.rule).toBe(2);
      expect(report.report).toContain('acknowledged batch');
      expect(report.report).toMatch(/lost: +acked batch b1/);
      expect(report.report).toContain(where);
      expect(report.report).toContain(`--replay ${keepDir} --state ${report.token}`);

      const out = join(await makeTempDir(`audit-${variant}-state`), 'db');
      const state = await replayState(keepDir, report.token!, out);
      const tree = await snapshotTree(out);
      if (variant === 'no-dir-fsync') expect(tree).toEqual({}); // the log's name was lost
      const scan = await runScanSession(scanArgv(blackBoxEngine(engine), out), ROOT);
      if (scan.kind !== 'entries') throw new Error(`scan: ${JSON.stringify(scan)}`);
      const kept = await loadCycle(keepDir, 1);
      const history = new History();
      kept.lines.forEach((line, i) => {
        const id = history.issue(parseBatchLine(line, hexCodec));
        if (i < state.acked) history.ack(id);
      });
      const verdict = checkBlackBoxRecovery(
        history,
        { opened: true, entries: scan.entries },
        { kind: 'none' },
      );
      expect(verdict.ok).toBe(false);
      expect(state.acked).toBeGreaterThan(0);
    });
  }
});
