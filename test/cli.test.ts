// The walcheck command as scripts use it: spawned as a child process (cwd = project root)
// on copies of the golden vectors and on fresh temp directories. Checks the scripts/cli.md
// contract: exit statuses, the JSON of verify/dump/scan/load, read-only inspection,
// load's in-order durable acks and its refusal of a malformed line, --help, usage errors.

import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parseArgv, UsageError } from '../scripts/cli/args.ts';
import { ROOT, walcheck } from './support/walcheck-cli.ts';
import { makeTempDir, removeTempDirs, snapshotTree } from './support/temp-dirs.ts';
import {
  copyVector,
  expectedEntries,
  listVectorNames,
  readExpectation,
} from './support/vectors.ts';

const EXIT_BY_STATUS = { clean: 0, 'torn-tail': 1, corrupt: 2 } as const;
const names = await listVectorNames();

afterAll(removeTempDirs);

function jsonLines(text: string): unknown[] {
  return text
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => JSON.parse(line) as unknown);
}

function entryPairs(text: string): [string, string][] {
  return (jsonLines(text) as { key: string; value: string }[]).map((e) => [e.key, e.value]);
}

async function vectorCopy(name: string): Promise<string> {
  const dir = await makeTempDir(`cli-${name}`);
  await copyVector(name, dir);
  return dir;
}

it('finds the golden vectors', () => {
  expect(names).toEqual(
    expect.arrayContaining([
      'binary',
      'empty',
      'mixed',
      'multi-segment',
      'single-put',
      'torn-tail',
    ]),
  );
});

describe.concurrent.each(names)('vector %s', (name) => {
  it('verify --json: the status exit code and the scripts/cli.md object; nothing changes', async ({
    expect,
  }) => {
    const expected = await readExpectation(name);
    const dir = await vectorCopy(name);
    const before = await snapshotTree(dir);
    const run = await walcheck(['verify', dir, '--json']);

    expect(run.code).toBe(EXIT_BY_STATUS[expected.status]);
    const lines = jsonLines(run.stdout);
    expect(lines).toHaveLength(1);
    const report = lines[0] as { segments: { name: string; bytes: number; records: number }[] };
    // A directory with no segment is clean with nothing checked, and stderr says so.
    expect(run.stderr).toBe(
      report.segments.length === 0
        ? `walcheck verify: no segment in ${dir}: nothing was checked (segments are named like 00000000000000000001.wal)\n`
        : '',
    );
    expect(Object.keys(report)).toEqual([
      'status',
      'records',
      'lastSeq',
      'firstInvalid',
      'segments',
    ]);
    expect(report).toMatchObject({
      status: expected.status,
      records: expected.records,
      lastSeq: expected.lastSeq,
      firstInvalid: expected.firstInvalid,
    });
    const segmentFiles = Object.keys(before).filter((path) => path.endsWith('.wal'));
    expect(report.segments.map((s) => s.name)).toEqual(segmentFiles);
    for (const segment of report.segments)
      expect(segment.bytes).toBe(before[segment.name]!.length / 2);
    expect(report.segments.reduce((sum, s) => sum + s.records, 0)).toBe(expected.records);
    expect(await snapshotTree(dir)).toEqual(before);
  });

  it('scan prints exactly the expected state in key order; nothing changes', async ({ expect }) => {
    const expected = await readExpectation(name);
    const dir = await vectorCopy(name);
    const before = await snapshotTree(dir);
    const run = await walcheck(['scan', dir]);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(entryPairs(run.stdout)).toEqual(expectedEntries(expected.state));
    expect(await snapshotTree(dir)).toEqual(before);
  });
});

describe.concurrent('inspecting', () => {
  it('dump --json of the torn vector: every record, then the first invalid one', async ({
    expect,
  }) => {
    const run = await walcheck(['dump', await vectorCopy('torn-tail'), '--json']);
    expect(run.code).toBe(0);
    const segment = '00000000000000000001.wal';
    expect(jsonLines(run.stdout)).toEqual([
      {
        segment,
        offset: 0,
        seqStart: 1,
        count: 1,
        records: [{ kind: 'put', key: '61', value: '31' }],
      },
      {
        segment,
        offset: 35,
        seqStart: 2,
        count: 2,
        records: [
          { kind: 'put', key: '62', value: '32' },
          { kind: 'del', key: '61' },
        ],
      },
      {
        segment,
        offset: 80,
        seqStart: 4,
        count: 2,
        records: [
          { kind: 'put', key: '', value: '656d7074792d6b6579' },
          { kind: 'put', key: '63', value: '' },
        ],
      },
      { invalid: { segment, offset: 132, reason: 'truncated-payload' } },
    ]);
  });

  it('dump --json --utf8 of one segment file starts at its own first seqStart', async ({
    expect,
  }) => {
    const dir = await vectorCopy('multi-segment');
    const run = await walcheck(['dump', join(dir, '00000000000000000002.wal'), '--json', '--utf8']);
    expect(run.code).toBe(0);
    const lines = jsonLines(run.stdout) as { seqStart: number; records: unknown[] }[];
    expect(lines.map((l) => l.seqStart)).toEqual([6, 8]);
    expect(lines[0]!.records).toEqual([
      { kind: 'put', key: 'b', value: '22' },
      { kind: 'del', key: 'zz' },
    ]);
  });

  it('verify without --json: a human summary, exit 1 for a torn tail', async ({ expect }) => {
    const run = await walcheck(['verify', await vectorCopy('torn-tail')]);
    expect(run.code).toBe(1);
    expect(run.stdout).toMatch(/^torn-tail: 3 valid records, lastSeq 5/);
    expect(run.stdout).toContain('offset 132: truncated-payload');
  });

  it('scan --recovery strict of a torn tail: exit 2, nothing on stdout, the reason on stderr', async ({
    expect,
  }) => {
    const run = await walcheck(['scan', await vectorCopy('torn-tail'), '--recovery', 'strict']);
    expect(run.code).toBe(2);
    expect(run.stdout).toBe('');
    expect(run.stderr).toContain('truncated-payload');
  });

  it('scan --at reads a snapshot; --recovery point-in-time --utf8 prints text', async ({
    expect,
  }) => {
    const dir = await vectorCopy('torn-tail');
    const [at3, text] = await Promise.all([
      walcheck(['scan', dir, '--at', '3']),
      walcheck(['scan', dir, '--recovery=point-in-time', '--utf8']),
    ]);
    expect(at3.code).toBe(0);
    expect(entryPairs(at3.stdout)).toEqual([['62', '32']]); // seq 3 deleted 61
    expect(text.code).toBe(0);
    expect(entryPairs(text.stdout)).toEqual([
      ['', 'empty-key'],
      ['b', '2'],
      ['c', ''],
    ]);
  });

  it('a missing directory is an I/O error: exit 3 naming it', async ({ expect }) => {
    const missing = join(await makeTempDir('cli-missing'), 'nothing-here');
    const run = await walcheck(['verify', missing]);
    expect(run.code).toBe(3);
    expect(run.stderr).toContain(missing);
  });
});

describe.concurrent('load', () => {
  it('round trip: acks in order, then scan shows puts, a del, an empty key and an empty value', async ({
    expect,
  }) => {
    const dir = join(await makeTempDir('cli-load'), 'db'); // load creates it
    const input = [
      '[["put","61","31"],["put","","00ff"]]',
      '',
      '[["del","61"],["put","62",""]]',
      '[["put","6B","FF"]]\r', // CRLF input and upper-case hex are accepted
    ].join('\n');
    const load = await walcheck(['load', dir], input);
    expect(load.stderr).toBe('');
    expect(load.code).toBe(0);
    expect(jsonLines(load.stdout)).toEqual([
      { seqStart: 1, count: 2 },
      { seqStart: 3, count: 2 },
      { seqStart: 5, count: 1 },
    ]);
    const scan = await walcheck(['scan', dir]);
    expect(entryPairs(scan.stdout)).toEqual([
      ['', '00ff'],
      ['62', ''],
      ['6b', 'ff'],
    ]);
  });

  it('--utf8 reads and prints text', async ({ expect }) => {
    const dir = await makeTempDir('cli-utf8');
    const load = await walcheck(
      ['load', dir, '--utf8'],
      '[["put","clé","välue"],["put","","e"]]\n[["del","x"]]\n',
    );
    expect(load.code).toBe(0);
    expect(jsonLines(load.stdout)).toEqual([
      { seqStart: 1, count: 2 },
      { seqStart: 3, count: 1 },
    ]);
    const [text, hex] = await Promise.all([
      walcheck(['scan', dir, '--utf8']),
      walcheck(['scan', dir]),
    ]);
    expect(entryPairs(text.stdout)).toEqual([
      ['', 'e'],
      ['clé', 'välue'],
    ]);
    expect(entryPairs(hex.stdout)).toEqual([
      ['', '65'],
      [Buffer.from('clé').toString('hex'), Buffer.from('välue').toString('hex')],
    ]);
  });

  it('pipelined lines are acked in order with contiguous sequence numbers', async ({ expect }) => {
    const dir = await makeTempDir('cli-many');
    const lineCount = 3000;
    const lines = Array.from({ length: lineCount }, (_, i) => {
      const key = i.toString(16).padStart(6, '0');
      return i % 7 === 6
        ? `[["del","${key}"],["put","${key}","0${i % 10}"]]`
        : `[["put","${key}","ab"]]`;
    });
    const load = await walcheck(['load', dir], `${lines.join('\n')}\n`);
    expect(load.code).toBe(0);
    const acks = jsonLines(load.stdout) as { seqStart: number; count: number }[];
    expect(acks).toHaveLength(lineCount);
    let next = 1;
    for (const [i, ack] of acks.entries()) {
      expect(ack).toEqual({ seqStart: next, count: i % 7 === 6 ? 2 : 1 });
      next += ack.count;
    }
  });

  it('a malformed line: exit 3 naming it; earlier lines durable; nothing of it or after it written', async ({
    expect,
  }) => {
    const dir = await makeTempDir('cli-bad-line');
    const input = [
      '[["put","61","31"]]',
      '[["put","62","32"]]',
      '[["put","63","3"]]',
      '[["put","64","34"]]',
    ].join('\n');
    const load = await walcheck(['load', dir], input);
    expect(load.code).toBe(3);
    expect(load.stderr).toMatch(/line 3\b.*not hex: odd length/);
    expect(jsonLines(load.stdout)).toEqual([
      { seqStart: 1, count: 1 },
      { seqStart: 2, count: 1 },
    ]);
    const verify = await walcheck(['verify', dir, '--json']);
    expect(verify.code).toBe(0);
    expect(jsonLines(verify.stdout)[0]).toMatchObject({ status: 'clean', records: 2, lastSeq: 2 });
  });

  it('bad JSON and a bad operation name their line', async ({ expect }) => {
    const dir = await makeTempDir('cli-bad-op');
    const [badJson, badOp] = await Promise.all([
      walcheck(['load', join(dir, 'a')], '[["put","61","31"]\n'),
      walcheck(['load', join(dir, 'b')], '[["put","61","31"]]\n[["upsert","61","31"]]\n'),
    ]);
    expect(badJson.code).toBe(3);
    expect(badJson.stderr).toMatch(/line 1: not JSON/);
    expect(badOp.code).toBe(3);
    expect(badOp.stderr).toMatch(
      /line 2: operation 1: the kind must be "put" or "del", got "upsert"/,
    );
    expect(jsonLines(badOp.stdout)).toEqual([{ seqStart: 1, count: 1 }]);
  });

  it('on a torn log, recovers (tail to quarantine/) and continues the sequence', async ({
    expect,
  }) => {
    const dir = await vectorCopy('torn-tail');
    const load = await walcheck(['load', dir], '[["put","64","34"]]\n');
    expect(load.code).toBe(0);
    expect(jsonLines(load.stdout)).toEqual([{ seqStart: 6, count: 1 }]);
    expect((await stat(join(dir, 'quarantine'))).isDirectory()).toBe(true);
    const verify = await walcheck(['verify', dir, '--json']);
    expect(verify.code).toBe(0);
    expect(jsonLines(verify.stdout)[0]).toMatchObject({ status: 'clean', records: 4, lastSeq: 6 });
  });
});

describe.concurrent('usage', () => {
  it.for(['verify', 'dump', 'scan', 'load'])(
    '%s --help exits 0 and prints its usage',
    async (command, { expect }) => {
      const run = await walcheck([command, '--help']);
      expect(run.code).toBe(0);
      expect(run.stdout).toMatch(new RegExp(`^Usage: walcheck ${command} `));
      expect(run.stdout).toContain('--help');
    },
  );

  it('--help lists every command', async ({ expect }) => {
    const run = await walcheck(['--help']);
    expect(run.code).toBe(0);
    for (const command of ['verify', 'dump', 'scan', 'load'])
      expect(run.stdout).toMatch(new RegExp(`^  ${command} `, 'm'));
  });

  it('--version, -v and version print the version of package.json; an argument after it is a usage error', async ({
    expect,
  }) => {
    const { version } = JSON.parse(await readFile(join(ROOT, 'package.json'), 'utf8')) as {
      version: string;
    };
    const runs = await Promise.all(
      [['--version'], ['-v'], ['version'], ['--version', 'crash']].map((args) => walcheck(args)),
    );
    expect(runs.map((run) => [run.code, run.stdout])).toEqual([
      [0, `${version}\n`],
      [0, `${version}\n`],
      [0, `${version}\n`],
      [3, ''],
    ]);
    expect(runs[3]!.stderr).toContain('--version takes no arguments');
  });

  it('an unknown option, an unknown command or a bad value: exit 3 with a message naming it', async ({
    expect,
  }) => {
    const dir = await vectorCopy('mixed');
    const [option, command, value] = await Promise.all([
      walcheck(['verify', dir, '--frobnicate']),
      walcheck(['frobnicate']),
      walcheck(['scan', dir, '--recovery', 'lenient']),
    ]);
    expect([option.code, command.code, value.code]).toEqual([3, 3, 3]);
    expect(option.stderr).toContain('unknown option --frobnicate');
    expect(command.stderr).toContain("unknown command 'frobnicate'");
    expect(value.stderr).toContain(
      '--recovery must be one of strict, tolerate-tail, point-in-time',
    );
    expect(option.stdout + command.stdout + value.stdout).toBe('');
  });
});

describe('argument parser (in process)', () => {
  const spec = {
    positionals: [{ name: 'dir', description: 'd' }],
    options: {
      json: { type: 'boolean', description: 'j' },
      at: { type: 'string', description: 'a', valueName: 'SEQ', integer: { min: 0, max: 100 } },
      mode: { type: 'string', description: 'm', choices: ['x', 'y'], default: 'x' },
    },
  } as const;
  const parse = (...argv: string[]) => parseArgv({ ...spec, options: { ...spec.options } }, argv);

  it('reads flags, values (separate or inline), defaults and positionals', () => {
    const args = parse('d1', '--at=7', '--json');
    expect(args).not.toBe('help');
    if (args === 'help') return;
    expect([
      args.positional('dir'),
      args.integer('at'),
      args.flag('json'),
      args.string('mode'),
    ]).toEqual(['d1', 7, true, 'x']);
    const other = parse('--mode', 'y', 'd2');
    if (other === 'help') throw new Error('unexpected help');
    expect([
      other.positional('dir'),
      other.integer('at'),
      other.flag('json'),
      other.string('mode'),
    ]).toEqual(['d2', undefined, false, 'y']);
  });

  it('-h or --help wins over anything else', () => {
    expect(parse('-h')).toBe('help');
    expect(parse('--bogus', '--help')).toBe('help');
  });

  it.each([
    [['d', '--at', '101'], 'option --at must be an integer from 0 to 100'],
    [['d', '--at', '1.5'], 'option --at must be an integer'],
    [['d', '--at'], 'option --at needs a value (--at SEQ)'],
    [['d', '--at', '--json'], 'option --at needs a value'],
    [['d', '--mode', 'z'], "option --mode must be one of x, y; got 'z'"],
    [['d', '--json', '--json'], 'option --json given more than once'],
    [['d', '--json=yes'], 'option --json takes no value'],
    [['d', '-q'], 'unknown option -q'],
    [[], 'missing argument <dir>'],
    [['d', 'e'], "unexpected argument 'e'"],
  ])('%j is a usage error: %s', (argv, message) => {
    expect(() => parse(...argv)).toThrow(UsageError);
    expect(() => parse(...argv)).toThrow(message);
  });
});
