// The audit's strace parser and trace model on traces recorded on Linux x86_64 with the flags
// the recorder uses (test/fixtures/strace/record.sh re-records them from the .py programs
// beside them; each program says, call by call, what the model must make of it).

import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { AuditOp, StartEntry, TracedOp } from '../faults/audit/trace/audit-ops.ts';
import {
  intArg,
  iovecArg,
  parseTrace,
  splitArgs,
  stringArg,
} from '../faults/audit/trace/trace-parse.ts';
import { traceToOps } from '../faults/audit/trace/trace-to-ops.ts';
import { HarnessInputError } from '../faults/base/harness-error.ts';

const FIXTURES = new URL('./fixtures/strace/', import.meta.url);
const DIR = '/tmp/wcfx/db';

function fixture(name: string): string {
  return readFileSync(new URL(`${name}.txt`, FIXTURES), 'utf8');
}

function model(
  text: string,
  start: StartEntry[] = [],
  ignore?: (path: string) => boolean,
): TracedOp[] {
  return traceToOps(parseTrace(text), {
    dirs: [DIR],
    cwd: '/tmp/wcfx',
    start,
    ...(ignore === undefined ? {} : { ignore }),
  });
}

/** An op with its bytes as text, for readable expectations. */
function plain(op: AuditOp): unknown {
  return op.kind === 'write' ? { ...op, data: Buffer.from(op.data).toString('latin1') } : op;
}

const bytes = (text: string): Uint8Array => Uint8Array.from(Buffer.from(text, 'latin1'));

describe('strace line parsing', () => {
  it('splits arguments at top-level commas only', () => {
    expect(splitArgs('3, "\\x2c\\x22", [{iov_base="a,b", iov_len=3}], /* a, b */ 0x1|2')).toEqual([
      '3',
      '"\\x2c\\x22"',
      '[{iov_base="a,b", iov_len=3}]',
      '/* a, b */ 0x1|2',
    ]);
    expect(splitArgs('')).toEqual([]);
  });

  it('reads integers, strings with escapes, truncation marks and iovecs', () => {
    expect(intArg('0x1200000|17')).toBe(0x1200011);
    expect(intArg('0644')).toBe(0o644);
    expect(intArg('-100')).toBe(-100);
    expect(intArg('NULL')).toBe(0);
    expect(intArg('/* comment */ 7')).toBe(7);
    expect(intArg('AT_FDCWD')).toBeNaN();
    expect(intArg(undefined)).toBeNaN();
    expect(stringArg('"\\x00\\xff\\n\\t\\\\\\"\\101é"')).toEqual({
      bytes: Uint8Array.of(0, 255, 10, 9, 92, 34, 65, 0xc3, 0xa9),
      truncated: false,
    });
    expect(stringArg('"\\x61\\x62"...')).toEqual({ bytes: bytes('ab'), truncated: true });
    expect(stringArg('0x7ffe1234')).toBeNull();
    expect(stringArg(undefined)).toBeNull();
    const iov = iovecArg(
      '[{iov_base="\\x61", iov_len=1}, {iov_base="\\x62\\x63", iov_len=2}, ...]',
    );
    expect(iov.map((part) => [Buffer.from(part.bytes).toString(), part.truncated])).toEqual([
      ['a', false],
      ['bc', false],
      ['', true],
    ]);
    expect(iovecArg('0x1234')).toEqual([]);
  });

  it('merges unfinished and resumed calls, skips signal and exit lines, reads errors', () => {
    const calls = parseTrace(
      [
        '7 openat(-100, "\\x61", 0x80000) = -1 ENOENT (No such file or directory)',
        '7 fsync(3 <unfinished ...>',
        '8 write(1, "\\x7b\\x7d\\x0a", 3 <unfinished ...>',
        '9 <... read resumed>"\\x61", 1) = 1',
        '7 --- SIGCHLD {si_signo=17, si_code=0x1, si_pid=9} ---',
        '8 <... write resumed>)             = 3',
        '7 <... fsync resumed>)              = 0',
        '9 exit_group(0)                     = ?',
        '9 +++ exited with 0 +++',
        '10 read(0,  <unfinished ...>',
        '10 <... read resumed> <unfinished ...>) = ?',
        '11 write(1, "\\x61", 1) = ? <unavailable>',
        '',
      ].join('\n'),
    );
    expect(calls).toEqual([
      {
        pid: 7,
        name: 'openat',
        args: ['-100', '"\\x61"', '0x80000'],
        result: -1,
        errno: 'ENOENT',
        startLine: 1,
        endLine: 1,
      },
      {
        pid: 8,
        name: 'write',
        args: ['1', '"\\x7b\\x7d\\x0a"', '3'],
        result: 3,
        errno: null,
        startLine: 3,
        endLine: 6,
      },
      { pid: 7, name: 'fsync', args: ['3'], result: 0, errno: null, startLine: 2, endLine: 7 },
      {
        pid: 9,
        name: 'exit_group',
        args: ['0'],
        result: null,
        errno: null,
        startLine: 8,
        endLine: 8,
      },
      {
        pid: 10,
        name: 'read',
        args: ['0', ''],
        result: null,
        errno: null,
        startLine: 10,
        endLine: 11,
      },
      {
        pid: 11,
        name: 'write',
        args: ['1', '"\\x61"', '1'],
        result: null,
        errno: null,
        startLine: 12,
        endLine: 12,
      },
    ]);
  });

  it('decodes a write of a megabyte in one line', () => {
    const data = '\\x5c\\x22'.repeat(500_000);
    const [call] = parseTrace(`1 write(3, "${data}", 1000000) = 1000000`);
    const bytes = stringArg(call!.args[1])!.bytes;
    expect(bytes.length).toBe(1_000_000);
    expect(Buffer.from(bytes.subarray(0, 4)).toString()).toBe('\\"\\"');
  });

  it('refuses a line that is no system call', () => {
    expect(() => parseTrace('7 write(1, "\\x61", 1')).toThrow(/trace line 1 is not a system call/);
    expect(() => parseTrace('garbage')).toThrow(HarnessInputError);
  });

  it('parses every line of the recorded fixtures', () => {
    for (const name of ['files', 'names', 'threads', 'unmodeled']) {
      const text = fixture(name);
      const lines = text.split('\n').filter((line) => /^\d+ [a-z_0-9]+\(/.test(line)).length;
      expect(parseTrace(text).length, name).toBe(lines);
    }
  });
});

describe('the trace model on recorded traces', () => {
  it('descriptors, positions, O_APPEND, O_DSYNC/O_SYNC, sizes, syncs and acks (files.py)', () => {
    const ops = model(fixture('files'));
    expect(ops.map((op) => plain(op.op))).toEqual([
      { kind: 'create', path: 'a' },
      { kind: 'write', path: 'a', offset: 0, data: 'hello', durable: false },
      { kind: 'write', path: 'a', offset: 1, data: 'XY', durable: false },
      { kind: 'write', path: 'a', offset: 5, data: 'ab\x00\xff\n', durable: false },
      { kind: 'write', path: 'a', offset: 20, data: 'pqrs', durable: false },
      { kind: 'write', path: 'a', offset: 2, data: 'L', durable: false },
      { kind: 'write', path: 'a', offset: 3, data: 'M', durable: false },
      { kind: 'write', path: 'a', offset: 4, data: 'N', durable: false },
      { kind: 'write', path: 'a', offset: 5, data: 'O', durable: false },
      { kind: 'truncate', path: 'a', size: 30 },
      { kind: 'truncate', path: 'a', size: 40 },
      { kind: 'fsync', path: 'a' },
      { kind: 'fsync', path: 'a' },
      { kind: 'write', path: 'a', offset: 40, data: 'tail', durable: false },
      { kind: 'write', path: 'a', offset: 44, data: 'pp', durable: false },
      { kind: 'write', path: 'a', offset: 15, data: 'R', durable: false },
      { kind: 'write', path: 'a', offset: 16, data: 'Q', durable: true },
      { kind: 'write', path: 'a', offset: 46, data: 'W', durable: false },
      { kind: 'truncate', path: 'a', size: 0 },
      { kind: 'create', path: 's' },
      { kind: 'write', path: 's', offset: 0, data: 'sync1', durable: true },
      { kind: 'create', path: 's2' },
      { kind: 'write', path: 's2', offset: 0, data: 'sync2', durable: true },
      { kind: 'truncate', path: 's', size: 2 },
      { kind: 'fsyncDir', path: '' },
      { kind: 'create', path: 'x' },
      { kind: 'write', path: 'x', offset: 0, data: 'viadirfd', durable: false },
      { kind: 'create', path: 'y' },
      { kind: 'write', path: 'y', offset: 0, data: 'rel', durable: false },
      { kind: 'create', path: 'z' },
      { kind: 'syncAll' },
      { kind: 'syncAll' },
      { kind: 'ack', lines: 2 },
      { kind: 'ack', lines: 1 },
      { kind: 'create', path: 'c' },
      { kind: 'write', path: 'c', offset: 0, data: 'c', durable: false },
      { kind: 'write', path: 'c', offset: 1, data: 'd', durable: false },
    ]);
    expect(ops.map((op) => op.index)).toEqual(ops.map((_, i) => i));
    expect(ops[4]!.text).toBe('#4 pwritev a @20 len=4');
    expect(ops[12]!.text).toBe('#12 fdatasync a');
    expect(ops[16]!.text).toBe('#16 pwritev2 a @16 len=1 durable');
    expect(ops[24]!.text).toBe('#24 fsync .');
    expect(ops[32]!.text).toBe('#32 write stdout 2 ack lines');
  });

  it('names: renames (of directories too), links, unlinks, mkdir, rmdir (names.py)', () => {
    const ops = model(fixture('names'));
    expect(ops.map((op) => plain(op.op))).toEqual([
      { kind: 'create', path: 'f1' },
      { kind: 'write', path: 'f1', offset: 0, data: 'one', durable: false },
      { kind: 'rename', from: 'f1', to: 'f2' },
      { kind: 'rename', from: 'f2', to: 'f3' },
      { kind: 'rename', from: 'f3', to: 'f4' },
      { kind: 'mkdir', path: 'sub' },
      { kind: 'mkdir', path: 'sub2' },
      { kind: 'create', path: 'sub/k' },
      { kind: 'rename', from: 'sub', to: 'moved' },
      { kind: 'write', path: 'moved/k', offset: 0, data: 'after', durable: false },
      { kind: 'link', from: 'f4', to: 'hard' },
      { kind: 'link', from: 'f4', to: 'hard2' },
      { kind: 'unlink', path: 'f4' },
      { kind: 'write', path: 'hard', offset: 3, data: '+', durable: false },
      { kind: 'unlink', path: 'hard2' },
      { kind: 'rmdir', path: 'sub2' },
      { kind: 'unlink', path: 'moved/k' },
      { kind: 'rmdir', path: 'moved' },
      { kind: 'create', path: 'tmp' },
      { kind: 'write', path: 'tmp', offset: 0, data: 'new', durable: false },
      { kind: 'rename', from: 'tmp', to: 'hard' },
      { kind: 'unlink', path: 'hard' },
      { kind: 'create', path: 'u' },
      { kind: 'unlink', path: 'u' },
      { kind: 'fsyncDir', path: '' },
    ]);
    expect(ops[21]!.text).toBe('#21 rename hard (moved out)');
  });

  it('threads and a forked child; fsync counts at its return, an ack at its start (threads.py)', () => {
    const text = fixture('threads');
    const calls = parseTrace(text);
    const ops = model(text);
    const kinds = ops.map((op) => op.op.kind);
    expect(kinds.filter((kind) => kind === 'ack')).toHaveLength(20);
    expect(kinds.filter((kind) => kind === 'fsync')).toHaveLength(40);
    const writes = ops.flatMap((op) => (op.op.kind === 'write' ? [plain(op.op)] : []));
    // O_APPEND through the inherited descriptor: the child's and the parent's writes follow on.
    expect(writes.slice(-2)).toEqual([
      { kind: 'write', path: 'log', offset: 60, data: 'child', durable: false },
      { kind: 'write', path: 'log', offset: 65, data: 'parent', durable: false },
    ]);
    expect(new Set(ops.map((op) => op.pid)).size).toBe(4);
    for (const op of ops) {
      const call = calls.find((c) =>
        op.op.kind === 'ack' ? c.startLine === op.line : c.endLine === op.line,
      );
      expect(call, op.text).toBeDefined();
    }
    const split = (kind: string) =>
      ops.filter((op) => {
        if (op.op.kind !== kind) return false;
        const call = calls.find((c) => c.startLine === op.line || c.endLine === op.line)!;
        return call.startLine !== call.endLine;
      });
    // The fixture does hold both shapes, so the rule above was exercised.
    expect(split('fsync').length).toBeGreaterThan(0);
    expect(split('ack').length).toBeGreaterThan(0);
    expect(ops.map((op) => op.line)).toEqual([...ops.map((op) => op.line!)].sort((a, b) => a - b));
  });

  it('execve drops close-on-exec descriptors; a shell redirects a file onto fd 1 (exec.py)', () => {
    const ops = model(fixture('exec'));
    expect(ops.map((op) => plain(op.op))).toEqual([
      { kind: 'create', path: 'e' },
      { kind: 'create', path: 'f' },
      // sh after execve: `echo y >&4` writes to the file dup2'd onto its stdout, no ack.
      { kind: 'write', path: 'f', offset: 0, data: 'y\n', durable: false },
      { kind: 'ack', lines: 1 },
      { kind: 'create', path: 'o2' },
      { kind: 'write', path: 'o2', offset: 0, data: 'two', durable: false },
      { kind: 'create', path: 'r' },
      { kind: 'write', path: 'r', offset: 0, data: 'r', durable: false },
      { kind: 'write', path: 'e', offset: 0, data: 'a', durable: false },
    ]);
    expect(new Set(ops.map((op) => op.pid)).size).toBe(2);
  });

  it('a close frees its number where it starts, so a reusing open in another thread stays', () => {
    const ops = model(
      [
        '1 openat(-100, "/tmp/wcfx/db/a", 0x41, 0644) = 3',
        '2 close(3 <unfinished ...>',
        '1 openat(-100, "/tmp/wcfx/db/b", 0x41, 0644) = 3',
        '2 <... close resumed>) = 0',
        '1 write(3, "\\x62", 1) = 1',
      ].join('\n'),
    );
    expect(ops.at(-1)!.op).toMatchObject({ kind: 'write', path: 'b' });
  });

  it('a child takes its descriptors when fork returns, not when it first runs', () => {
    const ops = model(
      [
        '1 openat(-100, "/tmp/wcfx/db/a", 0x41, 0644) = 3',
        '1 clone(child_stack=NULL, flags=0x1200000|17, child_tidptr=0x7f) = 2',
        '1 close(3) = 0',
        '2 write(3, "\\x61", 1) = 1',
        '1 write(3, "\\x62", 1) = -1 EBADF (Bad file descriptor)',
      ].join('\n'),
    );
    expect(ops.map((op) => [op.pid, op.op.kind])).toEqual([
      [1, 'create'],
      [2, 'write'],
    ]);
  });

  it('start entries give sizes: O_APPEND continues after the file the directory held', () => {
    const start: StartEntry[] = [
      { kind: 'dir', path: 'd' },
      { kind: 'file', path: 'd/log', data: bytes('0123') },
    ];
    const ops = model(
      [
        '1 openat(-100, "/tmp/wcfx/db/d/log", 0x441) = 3',
        '1 write(3, "\\x61\\x62", 2) = 2',
        '1 openat(-100, "/tmp/wcfx/db/d", 0x10000) = 4',
        '1 fsync(4) = 0',
      ].join('\n'),
      start,
    );
    expect(ops.map((op) => plain(op.op))).toEqual([
      { kind: 'write', path: 'd/log', offset: 4, data: 'ab', durable: false },
      { kind: 'fsyncDir', path: 'd' },
    ]);
  });

  it('edges the recorded programs do not reach', () => {
    const open = (fd: number, name: string, flags = '0x41') =>
      `1 openat(-100, "/tmp/wcfx/db/${name}", ${flags}, 0644) = ${fd}`;
    // F_SETFL O_APPEND moves later writes to the end; a descriptor from an unknown dirfd
    // and a pid nobody made are unknown, so their writes are dropped.
    const ops = model(
      [
        open(3, 'a'),
        '1 write(3, "\\x61\\x62", 2) = 2',
        '1 lseek(3, 0, 0) = 0',
        '1 fcntl(3, 0x4, 0x400) = 0',
        '1 write(3, "\\x63", 1) = 1',
        '1 openat(77, "\\x62", 0x41, 0644) = 5',
        '1 write(5, "\\x64", 1) = 1',
        '1 write(9, "\\x64"..., 100) = 100',
        '2 write(1, "\\x7b\\x7d\\x0a", 3) = 3',
        '1 fchdir(77) = 0',
        '1 link("/tmp/wcfx/out/x", "/tmp/wcfx/out/y") = 0',
        '1 rename("/tmp/wcfx/out/x", "/tmp/wcfx/out/y") = 0',
        '1 mkdir("/tmp/wcfx/out/d", 0777) = 0',
        '1 truncate("/tmp/wcfx/out/x", 0) = 0',
        '1 link("/tmp/wcfx/db/a", "/tmp/wcfx/db/a2") = 0',
        '1 rename("/tmp/wcfx/db/a2", "/tmp/wcfx/db/a") = 0',
      ].join('\n'),
    );
    expect(ops.map((op) => plain(op.op))).toEqual([
      { kind: 'create', path: 'a' },
      { kind: 'write', path: 'a', offset: 0, data: 'ab', durable: false },
      { kind: 'write', path: 'a', offset: 2, data: 'c', durable: false },
      { kind: 'link', from: 'a', to: 'a2' },
    ]);
    const ignored = (path: string) => path.endsWith('.lock');
    expect(() =>
      model(
        [open(3, 'a'), '1 rename("/tmp/wcfx/db/a", "/tmp/wcfx/db/b.lock") = 0'].join('\n'),
        [],
        ignored,
      ),
    ).toThrow(/rename a -> b\.lock at trace line 2: one name is ignored and the other is not/);
    expect(() => model('1 linkat(3, "", -100, "/tmp/wcfx/db/t", 0x1000) = 0')).toThrow(
      /linkat t at trace line 1: linking a descriptor/,
    );
  });

  it('a write longer than the string limit is refused, not recorded short', () => {
    const text = '1 openat(-100, "/tmp/wcfx/db/a", 0x41, 0644) = 3\n1 write(3, "\\x61"..., 9) = 9';
    expect(() => model(text)).toThrow(/write of 9 bytes at trace line 2: .*string limit/);
    expect(() => model('1 write(1, "\\x7b"..., 9) = 9')).toThrow(/string limit/);
  });
});

/** The sections of unmodeled.txt, each starting at its stat of /CASE-<name>. */
function cases(): Map<string, string> {
  const sections = new Map<string, string[]>();
  let current: string[] | null = null;
  for (const line of fixture('unmodeled').split('\n')) {
    const decoded = line.replace(/\\x([0-9a-f]{2})/g, (_, hex: string) =>
      String.fromCharCode(Number.parseInt(hex, 16)),
    );
    const name = /"\/CASE-([a-z-]+)"/.exec(decoded)?.[1];
    if (name !== undefined) sections.set(name, (current = []));
    else current?.push(line);
  }
  return new Map([...sections].map(([name, lines]) => [name, lines.join('\n')]));
}

describe('what the recorder cannot model is said (unmodeled.py)', () => {
  const expected: [string, RegExp, string | null][] = [
    ['mmap-shared', /^mmap of m1 \(PROT_WRITE, MAP_SHARED\) at trace line \d+: /, 'm1'],
    ['io-uring', /^io_uring_setup at trace line \d+: io_uring/, null],
    ['o-direct', /^openat direct at trace line \d+: O_DIRECT/, 'direct'],
    ['setfl-direct', /^fcntl F_SETFL O_DIRECT on setfl at trace line \d+/, 'setfl'],
    ['tmpfile', /^openat \. at trace line \d+: O_TMPFILE/, null],
    ['copy-file-range', /^copy_file_range into cfr at trace line \d+/, 'cfr'],
    ['sendfile', /^sendfile into sf at trace line \d+/, 'sf'],
    ['splice', /^splice into sp at trace line \d+/, 'sp'],
    ['exchange', /^renameat2 e1 -> e2 at trace line \d+: flags 2: RENAME_EXCHANGE/, 'e?'],
    ['punch-hole', /^fallocate ph mode=3 at trace line \d+/, 'ph'],
    ['symlink', /^symlink on sl at trace line \d+: the recorder does not model/, 'sl'],
    ['mknod', /^mknodat on fifo at trace line \d+: the recorder does not model/, 'fifo'],
    ['move-in', /^rename in at trace line \d+: a file from outside/, 'in'],
    ['not-created', /^openat pre at trace line \d+: the engine used a file the trace never/, 'pre'],
  ];
  const sections = cases();

  it.each(expected)('%s', (name, message, ignorable) => {
    const text = sections.get(name)!;
    let error: unknown = null;
    try {
      model(text);
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(HarnessInputError);
    expect((error as HarnessInputError).code).toBe('UNMODELED');
    expect((error as HarnessInputError).message).toMatch(message);
    const hint = /pass --ignore <glob> if this file does not matter$/;
    if (ignorable === null) {
      expect((error as HarnessInputError).message).not.toMatch(hint);
      return;
    }
    expect((error as HarnessInputError).message).toMatch(hint);
    const pattern = new RegExp(`^${ignorable.replace('?', '.')}$`);
    expect(() => model(text, [], (path) => pattern.test(path))).not.toThrow();
  });

  it('the file the directory held at the start is known; a private mapping is fine', () => {
    const ops = model(sections.get('not-created')!, [
      { kind: 'file', path: 'pre', data: bytes('') },
    ]);
    expect(ops.map((op) => plain(op.op))).toEqual([
      { kind: 'write', path: 'pre', offset: 0, data: 'p', durable: false },
    ]);
    expect(model(sections.get('mmap-private')!).map((op) => op.op.kind)).toEqual([
      'create',
      'truncate',
    ]);
  });

  it('an ignored file leaves no operation behind', () => {
    const ops = model(fixture('files'), [], (path) => path === 'a');
    expect(ops.some((op) => 'path' in op.op && op.op.path === 'a')).toBe(false);
    expect(ops.filter((op) => op.op.kind === 'ack')).toHaveLength(2);
  });
});
