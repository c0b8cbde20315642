// recordLoad end to end: a tiny stdio-protocol engine in python3 runs under strace, and its
// recorded operations, acks and the directory's starting content come back.

import { mkdir, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { recordLoad } from '../faults/audit/record-load.ts';
import { captureStart } from '../faults/audit/record-start.ts';
import { findStrace } from '../faults/audit/trace/strace-command.ts';
import { HarnessInputError } from '../faults/base/harness-error.ts';
import { makeTempDir, removeTempDirs } from './support/temp-dirs.ts';

afterAll(removeTempDirs);

/** An append-only log engine: creates its log, syncs the directory, fsyncs each batch, acks. */
const ENGINE = `
import json, os, sys
mode, d = sys.argv[1], sys.argv[2]
fd = os.open(os.path.join(d, 'log'), os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
dfd = os.open(d, os.O_RDONLY | os.O_DIRECTORY)
os.fsync(dfd)
os.close(dfd)
seq = 1
for line in sys.stdin:
    ops = json.loads(line)
    os.write(fd, line.encode())
    os.fsync(fd)
    sys.stdout.write(json.dumps({"seqStart": seq, "count": len(ops)}) + "\\n")
    sys.stdout.flush()
    seq += len(ops)
`;

async function engineFile(source: string): Promise<string> {
  const dir = await makeTempDir('audit-engine');
  const file = join(dir, 'engine.py');
  await writeFile(file, source);
  return file;
}

const LINES = ['[["put","6b01","aa"]]', '[["put","6b02","bb"],["del","6b01"]]', '[["del","6b02"]]'];

describe('recordLoad', () => {
  it('records create, directory fsync, and per batch a write, its fsync, then the ack', async () => {
    const engine = await engineFile(ENGINE);
    const dir = await makeTempDir('audit-db');
    await mkdir(join(dir, 'sub'));
    await writeFile(join(dir, 'sub', 'old'), 'xyz');
    const recording = await recordLoad({
      engine: ['python3', engine],
      dir,
      cwd: dir,
      lines: LINES,
      timeoutMs: 30_000,
    });
    expect(recording.exit).toEqual({ code: 0, signal: null });
    expect(recording.acks).toEqual([
      { seqStart: 1, count: 1 },
      { seqStart: 2, count: 2 },
      { seqStart: 4, count: 1 },
    ]);
    expect(recording.run.start).toEqual([
      { kind: 'dir', path: 'sub' },
      { kind: 'file', path: 'sub/old', data: Uint8Array.from(Buffer.from('xyz')) },
    ]);
    const ops = recording.run.ops.map(({ op }) =>
      op.kind === 'write' ? { ...op, data: Buffer.from(op.data).toString() } : op,
    );
    let offset = 0;
    const batches = LINES.flatMap((line) => {
      const write = { kind: 'write', path: 'log', offset, data: `${line}\n`, durable: false };
      offset += line.length + 1;
      return [write, { kind: 'fsync', path: 'log' }, { kind: 'ack', lines: 1 }];
    });
    expect(ops).toEqual([
      { kind: 'create', path: 'log' },
      { kind: 'fsyncDir', path: '' },
      ...batches,
    ]);
    expect(recording.run.ops[0]!.text).toBe('#0 openat log (create)');
    expect(recording.traceText).toContain('fsync(');
  });

  it('says when the engine breaks the protocol, stops it at the timeout, and obeys abort', async () => {
    const dir = await makeTempDir('audit-db');
    const chatty = await engineFile('import sys\nsys.stdin.readline()\nprint("hello")\n');
    await expect(
      recordLoad({ engine: ['python3', chatty], dir, cwd: dir, lines: LINES, timeoutMs: 30_000 }),
    ).rejects.toThrow(/recording 'load': stdout line is not JSON: hello/);
    const stuck = await engineFile('import time\ntime.sleep(60)\n');
    const late = recordLoad({
      engine: ['python3', stuck],
      dir,
      cwd: dir,
      lines: LINES,
      timeoutMs: 500,
    });
    await expect(late).rejects.toMatchObject({ code: 'BAD_ENGINE' });
    await expect(late).rejects.toThrow(/did not finish within 0.5 s/);
    const controller = new AbortController();
    const aborted = recordLoad({
      engine: ['python3', stuck],
      dir,
      cwd: dir,
      lines: LINES,
      timeoutMs: 30_000,
      signal: controller.signal,
    });
    setTimeout(() => controller.abort(new Error('stop now')), 300);
    await expect(aborted).rejects.toThrow('stop now');
  });

  it('an engine that exits early returns the acks it gave, its exit status and stderr', async () => {
    const dir = await makeTempDir('audit-db');
    const quitter = await engineFile(
      'import os, sys\nsys.stdin.readline()\nprint("{}", flush=True)\nsys.stderr.write("uring=" + os.environ["UV_USE_IO_URING"])\nsys.exit(2)\n',
    );
    const recording = await recordLoad({
      engine: ['python3', quitter],
      dir,
      cwd: dir,
      lines: LINES,
      timeoutMs: 30_000,
    });
    expect(recording.acks).toEqual([{}]);
    expect(recording.exit).toEqual({ code: 2, signal: null });
    expect(recording.stderr).toBe('uring=0'); // libuv engines kept off io_uring
    expect(recording.run.ops.map((op) => op.op)).toEqual([{ kind: 'ack', lines: 1 }]);
  });

  it('an engine that cannot be started ends like one that failed, with strace saying why', async () => {
    const dir = await makeTempDir('audit-db');
    const recording = await recordLoad({
      engine: ['/nonexistent/engine'],
      dir,
      cwd: dir,
      lines: LINES,
      timeoutMs: 30_000,
    });
    expect(recording.exit.code).not.toBe(0);
    expect(recording.stderr).toMatch(/nonexistent\/engine/);
    expect(recording.acks).toEqual([]);
    expect(recording.run.ops).toEqual([]);
  });

  it('acks written where the recorder cannot see them are said', async () => {
    const dir = await makeTempDir('audit-db');
    const sideways = await engineFile(
      "import socket, sys\nout = socket.socket(fileno=1)\nfor line in sys.stdin:\n    out.sendmsg([b'{}\\n'])\n",
    );
    await expect(
      recordLoad({ engine: ['python3', sideways], dir, cwd: dir, lines: LINES, timeoutMs: 30_000 }),
    ).rejects.toMatchObject({
      code: 'UNMODELED',
      message: expect.stringMatching(
        /read 3 lines from the engine's stdout, but the trace shows 0/,
      ),
    });
  });

  it('captures the starting content in path order and refuses a symlink', async () => {
    const dir = await makeTempDir('audit-db');
    await mkdir(join(dir, 'b'));
    await writeFile(join(dir, 'b', 'y'), 'y');
    await writeFile(join(dir, 'c'), 'c');
    await writeFile(join(dir, 'a'), '');
    expect((await captureStart(dir)).map((entry) => [entry.kind, entry.path])).toEqual([
      ['file', 'a'],
      ['dir', 'b'],
      ['file', 'b/y'],
      ['file', 'c'],
    ]);
    await symlink('c', join(dir, 'link'));
    await expect(captureStart(dir)).rejects.toMatchObject({
      code: 'UNMODELED',
      message: expect.stringMatching(/link is neither a file nor a directory/),
    });
  });

  it('without strace on PATH: a usage error that says how to install it', async () => {
    await expect(findStrace('/nonexistent:')).rejects.toMatchObject({
      code: 'NO_STRACE',
      message: expect.stringContaining('apt-get install -y strace'),
    });
    await expect(findStrace('/nonexistent')).rejects.toBeInstanceOf(HarnessInputError);
    expect(await findStrace(process.env.PATH)).toMatch(/\/strace$/);
  });
});
