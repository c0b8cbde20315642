// `--keep DIR`: what an audit recorded, saved so that any crash state can be rebuilt later
// without the engine (audit-replay.ts). One JSON file per cycle, `cycle-<N>.json`:
//
//   { "format": "walcheck-audit-run", "version": 1, "cycle": N, "seed": S, "engine": "...",
//     "lines": ["<batch line>", ...], "acks": [{"seqStart": N, "count": N}, ...],
//     "start": [{"kind": "file", "path": "log", "base64": "..."} | {"kind": "dir", "path": "d"}],
//     "ops": [{"index": 41, "pid": 123, "text": "#41 pwrite64 ...", "op": {..., "base64": "..."}}] }
//
// Written bytes are base64 (`data` of write ops and start files); everything else as in
// audit-ops.ts. The strace output itself goes beside it as `cycle-<N>.strace.txt`.

import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { HarnessInputError } from '../base/harness-error.ts';
import type { Ack } from '../engine/protocol/load-client.ts';
import type { AuditOp, RecordedRun, StartEntry, TracedOp } from './trace/audit-ops.ts';

const FORMAT = 'walcheck-audit-run';
const VERSION = 1;

export interface KeptCycle {
  cycle: number;
  seed: number;
  engine: string;
  lines: string[];
  acks: Ack[];
  run: RecordedRun;
}

export async function saveCycle(dir: string, kept: KeptCycle, traceText: string): Promise<void> {
  await mkdir(dir, { recursive: true });
  const json = {
    format: FORMAT,
    version: VERSION,
    cycle: kept.cycle,
    seed: kept.seed,
    engine: kept.engine,
    lines: kept.lines,
    acks: kept.acks,
    start: kept.run.start.map((e) =>
      e.kind === 'file' ? { kind: e.kind, path: e.path, base64: b64(e.data) } : e,
    ),
    ops: kept.run.ops.map((t) => ({ ...t, op: encodeOp(t.op) })),
  };
  await writeFile(join(dir, `cycle-${kept.cycle}.json`), `${JSON.stringify(json)}\n`);
  await writeFile(join(dir, `cycle-${kept.cycle}.strace.txt`), traceText);
}

export async function loadCycle(dir: string, cycle: number): Promise<KeptCycle> {
  const path = join(dir, `cycle-${cycle}.json`);
  let json: Record<string, unknown>;
  try {
    json = JSON.parse(await readFile(path, 'utf8')) as Record<string, unknown>;
  } catch (error) {
    throw new HarnessInputError(
      'BAD_OPTION',
      `--replay ${dir}: cannot read ${path} (${(error as Error).message})`,
    );
  }
  if (json.format !== FORMAT || json.version !== VERSION)
    throw new HarnessInputError(
      'BAD_OPTION',
      `--replay ${dir}: ${path} is not a walcheck audit run (format ${String(json.format)} version ${String(json.version)})`,
    );
  const start = (json.start as Array<Record<string, string>>).map((e): StartEntry =>
    e.kind === 'file'
      ? { kind: 'file', path: e.path!, data: unb64(e.base64!) }
      : { kind: 'dir', path: e.path! },
  );
  const ops = (json.ops as Array<TracedOp & { op: Record<string, unknown> }>).map(
    (t): TracedOp => ({ index: t.index, pid: t.pid, text: t.text, op: decodeOp(t.op) }),
  );
  return {
    cycle: json.cycle as number,
    seed: json.seed as number,
    engine: json.engine as string,
    lines: json.lines as string[],
    acks: json.acks as Ack[],
    run: { start, ops },
  };
}

function encodeOp(op: AuditOp): Record<string, unknown> {
  if (op.kind !== 'write') return { ...op };
  const { data, ...rest } = op;
  return { ...rest, base64: b64(data) };
}

function decodeOp(json: Record<string, unknown>): AuditOp {
  if (json.kind !== 'write') return json as unknown as AuditOp;
  const { base64, ...rest } = json;
  return {
    ...(rest as Omit<Extract<AuditOp, { kind: 'write' }>, 'data'>),
    data: unb64(base64 as string),
  };
}

function b64(data: Uint8Array): string {
  return Buffer.from(data.buffer, data.byteOffset, data.byteLength).toString('base64');
}

function unb64(text: string): Uint8Array {
  return new Uint8Array(Buffer.from(text, 'base64'));
}
