// `walcheck audit` as scripts and CI run it: help and usage errors (exit 3), a run on the
// correct applog.py engine with --json as the last stdout line, --keep then --replay
// --materialize of a broken variant's violation, and our own engine passing (its scans start
// node with tsx, ~1 s each, so the run is kept small).

import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { applog, HAS_STRACE } from './support/audit-tools.ts';
import { makeTempDir, removeTempDirs, snapshotTree } from './support/temp-dirs.ts';
import { walcheck, walcheckInterrupted } from './support/walcheck-cli.ts';

afterAll(removeTempDirs);

describe('walcheck audit (command line)', () => {
  it('--help says what it checks and what it needs', async () => {
    const run = await walcheck(['audit', '--help']);
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('apt-get install -y strace');
    expect(run.stdout).toContain('--replay DIR');
  });

  it('refuses bad options with exit 3 and one line naming them', async () => {
    for (const [args, message] of [
      [['--outcomes', 'bit-rot'], "'bit-rot' is not one of"],
      [['--state', '1:0:lose-unsynced:e0'], '--state and --materialize go with --replay'],
      [['--replay', '/nonexistent-walcheck'], '--replay DIR needs --state'],
      [['--replay', '/nonexistent-walcheck', '--state', 'nope'], "state token 'nope'"],
      [['--replay', '/nonexistent-walcheck', '--state', '1:0:lose-unsynced:e0'], 'cannot read'],
    ] as const) {
      const run = await walcheck(['audit', ...args]);
      expect(run.code, args.join(' ')).toBe(3);
      expect(run.stderr).toContain(message);
    }
  });
});

describe.skipIf(!HAS_STRACE)('walcheck audit runs (command line)', () => {
  it('passes the correct applog engine and prints the summary as JSON last', async () => {
    const run = await walcheck([
      'audit',
      '--engine',
      applog('ok'),
      '--batches',
      '4',
      '--states',
      '2',
      '--json',
    ]);
    expect(run.code, run.stderr).toBe(0);
    const lines = run.stdout.trim().split('\n');
    const summary = JSON.parse(lines.at(-1)!) as Record<string, number>;
    expect(summary).toMatchObject({ acks: 4, violations: 0, interrupted: false });
    expect(summary.distinctImages).toBeGreaterThan(5);
    expect(run.stdout).toContain('| cycle | ops traced |');
    expect(run.stderr).toContain('cycle 1: recording');
  });

  it('keeps a violating run, writes JUnit, and --replay --materialize rebuilds its state', async () => {
    const work = await makeTempDir('audit-cli');
    const keep = join(work, 'kept');
    const junit = join(work, 'audit.xml');
    const run = await walcheck([
      'audit',
      '--engine',
      applog('no-dir-fsync'),
      '--batches',
      '2',
      '--states',
      '1',
      '--outcomes',
      'lose-unsynced',
      '--keep',
      keep,
      '--junit',
      junit,
    ]);
    expect(run.code, run.stderr).toBe(1);
    const token = /--state (\S+) --materialize OUT/.exec(run.stdout)?.[1];
    expect(token).toBeDefined();
    const { readFile } = await import('node:fs/promises');
    expect(await readFile(junit, 'utf8')).toContain('failures="1"');
    const out = join(work, 'state');
    const replay = await walcheck([
      'audit',
      '--replay',
      keep,
      '--state',
      token!,
      '--materialize',
      out,
      '--json',
    ]);
    expect(replay.code, replay.stderr).toBe(0);
    expect(replay.stdout).toContain(`state ${token}`);
    expect(replay.stdout).toContain('lose-unsynced');
    expect(await snapshotTree(out)).toEqual({}); // the log's directory entry never became durable
    expect(JSON.parse(replay.stdout.trim().split('\n').at(-1)!)).toMatchObject({ token });
  });

  it('SIGTERM: the summary of what was judged, marked interrupted, exit 143', async () => {
    const run = await walcheckInterrupted(
      ['audit', '--engine', applog('ok'), '--batches', '10', '--states', '8', '--json'],
      /distinct images to scan/,
      'SIGTERM',
    );
    expect(run.code, run.stderr).toBe(143);
    expect(run.stdout).toContain('INTERRUPTED');
    expect(JSON.parse(run.stdout.trim().split('\n').at(-1)!)).toMatchObject({ interrupted: true });
  });

  // Continuations reopen crash states for writing: a LOCK the cut left empty or torn must not
  // refuse them (the audit found that bug in the lock protocol before it was fixed).
  it('passes our own engine (a small run, with continuations)', async () => {
    const run = await walcheck([
      'audit',
      '--batches',
      '2',
      '--states',
      '1',
      '--continuations',
      '2',
      '--json',
    ]);
    expect(run.code, `${run.stdout}\n${run.stderr}`).toBe(0);
    const summary = JSON.parse(run.stdout.trim().split('\n').at(-1)!) as Record<string, number>;
    expect(summary).toMatchObject({ acks: 2, violations: 0, continuations: 2 });
    expect(summary.distinctImages).toBeGreaterThan(3);
  });
});
