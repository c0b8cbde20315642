// The audit runner (faults/audit/audit-run.ts) on recorded runs made by hand, judged by the
// real scans of test/engines/applog.py (no strace needed): an acked record that was fsynced
// but whose directory entry never was is lost by a crash (caught), the same run with the
// directory synced passes, ack numbers that do not follow the model are a violation of the
// run itself, an engine that fails on an empty directory or on a crash state is exit 3, and
// an aborted run returns its partial summary marked interrupted.

import { crc32 } from '@node-rs/crc32';
import { describe, expect, it } from 'vitest';
import type { AuditOp, RecordedRun } from '../faults/audit/trace/audit-ops.ts';
import { type AuditOptions, runAudit } from '../faults/audit/audit-run.ts';
import type { LoadRecorder, Recording } from '../faults/audit/recorder.ts';
import { parseBatchLine } from '../faults/engine/protocol/batch-line.ts';
import { hexCodec } from '../faults/engine/protocol/codec.ts';
import { quoteCommand } from '../faults/engine/protocol/engine-process.ts';
import { APPLOG, PYTHON } from './support/audit-tools.ts';

const ENGINE = quoteCommand([PYTHON, APPLOG]);

/** applog.py for scans, `load` replaced by a shell snippet. */
function wrapped(load: string): string {
  const script = `if [ "$2" = load ]; then ${load}; exit; fi; exec "$0" "$@"`;
  return quoteCommand(['sh', '-c', script, PYTHON, APPLOG]);
}

/** An applog.py record of one batch line starting at `seq`. */
function record(line: string, seq: number): Uint8Array {
  const ops = parseBatchLine(line, hexCodec).map((op) =>
    op.type === 'put'
      ? ['put', hexCodec.encode(op.key, 'key'), hexCodec.encode(op.value, 'value')]
      : ['del', hexCodec.encode(op.key, 'key')],
  );
  const payload = Buffer.from(JSON.stringify({ seq, ops }).replaceAll(' ', ''));
  const header = Buffer.alloc(8);
  header.writeUInt32LE(payload.length, 0);
  header.writeUInt32LE(crc32(payload), 4);
  return Buffer.concat([header, payload]);
}

/** A recorder that writes each line as one fsynced applog record (dir synced or not) and acks. */
function handMade(syncDir: boolean, seqStarts?: number[]): LoadRecorder {
  return async ({ lines }): Promise<Recording> => {
    const ops: AuditOp[] = [{ kind: 'create', path: 'log' }];
    if (syncDir) ops.push({ kind: 'fsyncDir', path: '' });
    let offset = 0;
    let seq = 1;
    const acks = lines.map((line, i) => {
      const data = record(line, seq);
      ops.push({ kind: 'write', path: 'log', offset, data, durable: false });
      ops.push({ kind: 'fsync', path: 'log' }, { kind: 'ack', lines: 1 });
      offset += data.length;
      const count = parseBatchLine(line, hexCodec).length;
      const ack = { seqStart: seqStarts?.[i] ?? seq, count };
      seq += count;
      return ack;
    });
    const run: RecordedRun = {
      start: [],
      ops: ops.map((op, index) => ({ op, index, pid: 7, text: `#${index} ${op.kind}` })),
    };
    return { run, acks, exit: { code: 0, signal: null }, stderr: '', traceText: '' };
  };
}

function options(recorder: LoadRecorder, overrides: Partial<AuditOptions> = {}): AuditOptions {
  return {
    engine: ENGINE,
    seed: 3,
    batches: 2,
    cycles: 1,
    outcomes: ['lose-unsynced', 'reorder-metadata'],
    states: 2,
    workers: 2,
    continuations: 1,
    keepDir: null,
    ignore: [],
    progress: () => undefined,
    recorder,
    ...overrides,
  };
}

describe('audit runner on hand-made runs', () => {
  it('passes fsynced records whose directory entry is synced, and goes on', async () => {
    const summary = await runAudit(options(handMade(true)));
    expect(summary.reports.map((r) => r.report)).toEqual([]);
    expect(summary).toMatchObject({ violations: 0, acks: 2, continuations: 1, crashPoints: 9 });
    expect(summary.distinctImages).toBe(4); // no log, then an empty log, then 1 and 2 records
  });

  it('catches fsynced records whose directory entry was never synced', async () => {
    const summary = await runAudit(options(handMade(false)));
    expect(summary.violations).toBeGreaterThan(0);
    const report = summary.reports[0]!;
    expect(report).toMatchObject({ token: '1:4:lose-unsynced:e0', rule: 2 });
    expect(report.report).toContain('lost:      acked batch b1');
    expect(report.report).toContain('outcome:   lose-unsynced');
    expect(report.report).toContain('── power cut here ──');
  });

  it('holds the acks to the model numbering', async () => {
    const summary = await runAudit(options(handMade(true, [1, 9]), { continuations: 0 }));
    expect(summary.violations).toBe(1);
    expect(summary.reports[0]).toMatchObject({ token: null, rule: 5 });
  });

  it('is exit 3 when the engine fails on an empty directory, a rule-5 violation on a crash state', async () => {
    const failing: LoadRecorder = async (request) => ({
      ...(await handMade(true)(request)),
      acks: [],
      exit: { code: 1, signal: null },
      stderr: 'boom',
    });
    await expect(runAudit(options(failing))).rejects.toThrow(/failed on an empty directory/);
    let calls = 0;
    const secondFails: LoadRecorder = async (request) =>
      (calls += 1) === 1 ? handMade(true)(request) : failing(request);
    const summary = await runAudit(options(secondFails, { cycles: 2 }));
    expect(summary.violations).toBe(1);
    expect(summary.reports[0]).toMatchObject({ rule: 5, cycle: 1 });
    expect(summary.reports[0]!.report).toContain('cannot go on');
    expect(summary.reports[0]!.report).toContain('boom');
  });

  it('returns a partial summary marked interrupted when aborted', async () => {
    const before = new AbortController();
    before.abort();
    const none = await runAudit(options(handMade(true), { signal: before.signal }));
    expect(none).toMatchObject({ interrupted: true, cycles: [] });

    const during = new AbortController();
    const aborting: LoadRecorder = async () => {
      during.abort();
      throw new Error('recording stopped');
    };
    const partial = await runAudit(options(aborting, { signal: during.signal }));
    expect(partial).toMatchObject({ interrupted: true, cycles: [], violations: 0 });
  });

  it('reports a writable open that fails after the crash, and a numbering that does not go on', async () => {
    const failingLoad = wrapped('echo "cannot open: LOCKED" >&2; exit 3');
    const refused = await runAudit(options(handMade(true), { engine: failingLoad }));
    expect(refused.reports[0]).toMatchObject({ rule: 5 });
    expect(refused.reports[0]!.report).toContain('cannot go on');
    expect(refused.reports[0]!.report).toContain('cannot open: LOCKED');
    const gap = wrapped('cat >/dev/null; echo \'{"seqStart": 99, "count": 1}\'');
    const numbered = await runAudit(options(handMade(true), { engine: gap }));
    expect(numbered.reports[0]).toMatchObject({ rule: 5 });
    expect(numbered.reports[0]!.report).toContain('not at lastSeq + 1');
  });

  it('reports a scan that fails on a crash state', async () => {
    const engine = quoteCommand(['sh', '-c', 'echo scan broke >&2; exit 1', 'sh']);
    const summary = await runAudit(options(handMade(true), { engine, continuations: 0 }));
    expect(summary.reports[0]).toMatchObject({ rule: 2 });
    expect(summary.reports[0]!.report).toContain("the engine's scan failed");
    expect(summary.reports[0]!.report).toContain('scan broke');
  });

  it('refuses options out of range', async () => {
    await expect(runAudit(options(handMade(true), { states: 0 }))).rejects.toThrow(/--states/);
    await expect(runAudit(options(handMade(true), { outcomes: [] }))).rejects.toThrow(/--outcomes/);
  });
});
