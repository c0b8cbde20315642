// The real-filesystem suite (walcheck real) in short: the power-loss filesystem's
// semantics on a real temp directory; the black-box oracle helper; a few kill/recover
// cycles of our engine plain, under power-loss emulation and with damage; two broken
// black-box engines (acks before durable, numbering restarted after recovery) that must be
// caught; and the command's contract (exit status, JSON summary, usage errors).
// Long runs: `npx tsx scripts/walcheck.ts real --kills 1000 --seed N [--power-loss] [--damage ...]`.

import { existsSync } from 'node:fs';
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { checkBlackBoxRecovery } from '../model/check-black-box.ts';
import { History } from '../model/history.ts';
import { PowerLossFileSystem, splitUnits } from '../faults/disk/power-loss-fs.ts';
import { Database } from '../src/db/database.ts';
import { NodeFileSystem } from '../src/fs/node-fs.ts';
import type { FileHandle, OpenMode } from '../src/fs/types.ts';
import { quoteCommand, splitCommand } from '../faults/engine/protocol/engine-process.ts';
import { runRealSuite, type RealOptions } from '../faults/real/real-suite.ts';
import { walcheck } from './support/walcheck-cli.ts';
import { makeTempDir, removeTempDirs } from './support/temp-dirs.ts';
import { fakeEngine } from './support/fake-engine.ts';

const SEED = Number(process.env.WALCHECK_SEED ?? 4242);
const bytes = (text: string): Uint8Array => new TextEncoder().encode(text);
const text = (data: Uint8Array): string => new TextDecoder().decode(data);

afterAll(removeTempDirs);

/** node:fs, logging the writes and datasyncs that reach it. */
class RecordingFileSystem extends NodeFileSystem {
  readonly log: string[] = [];

  override async open(path: string, mode: OpenMode): Promise<FileHandle> {
    const handle = await super.open(path, mode);
    const log = this.log;
    return {
      read: (buffer, offset, length, position) => handle.read(buffer, offset, length, position),
      write: (data, position) => {
        log.push(`write ${position} ${data.length}`);
        return handle.write(data, position);
      },
      datasync: () => {
        log.push('datasync');
        return handle.datasync();
      },
      truncate: (size) => handle.truncate(size),
      size: () => handle.size(),
      close: () => handle.close(),
    };
  }
}

describe('PowerLossFileSystem: the disk holds only what was synced', () => {
  it('keeps unsynced writes in memory; datasync writes them through', async () => {
    const dir = await makeTempDir('plfs-data');
    await writeFile(join(dir, 'f'), 'durable');
    const fs = new PowerLossFileSystem();
    const file = await fs.open(join(dir, 'f'), 'write');
    await file.write(bytes('DUR'), 0);
    await file.write(bytes('+more'), 7);
    expect(text(await fs.readFile(join(dir, 'f')))).toBe('DURable+more');
    expect(await file.size()).toBe(12);
    expect(await readFile(join(dir, 'f'), 'utf8')).toBe('durable'); // a kill now loses both writes
    await file.datasync();
    expect(await readFile(join(dir, 'f'), 'utf8')).toBe('DURable+more');
    await file.truncate(3);
    expect((await fs.stat(join(dir, 'f')))?.size).toBe(3);
    expect(await readFile(join(dir, 'f'), 'utf8')).toBe('DURable+more');
    await file.close();
  });

  it('a new file exists on disk only once its directory is synced, with only its synced bytes', async () => {
    const dir = await makeTempDir('plfs-create');
    const fs = new PowerLossFileSystem();
    const file = await fs.open(join(dir, 'new'), 'create');
    await file.write(bytes('synced'), 0);
    await file.datasync();
    await file.write(bytes('-not'), 6);
    expect(await fs.list(dir)).toEqual(['new']);
    expect(await readdir(dir)).toEqual([]); // datasync of a new file does not make its name durable
    await fs.syncDir(dir);
    expect(await readFile(join(dir, 'new'), 'utf8')).toBe('synced');
    await file.datasync();
    expect(await readFile(join(dir, 'new'), 'utf8')).toBe('synced-not');
  });

  it('rename and unlink are durable per directory; a rename synced on the target side first keeps both names', async () => {
    const dir = await makeTempDir('plfs-rename');
    await writeFile(join(dir, 'a'), 'aaa');
    await writeFile(join(dir, 'b'), 'bbb');
    const fs = new PowerLossFileSystem();
    await fs.mkdir(join(dir, 'q'));
    await fs.syncDir(dir);
    expect(existsSync(join(dir, 'q'))).toBe(true);
    await fs.rename(join(dir, 'a'), join(dir, 'q', 'a'));
    await fs.unlink(join(dir, 'b'));
    expect(await fs.list(dir)).toEqual(['q']);
    expect((await readdir(dir)).sort()).toEqual(['a', 'b', 'q']);
    await fs.syncDir(join(dir, 'q'));
    expect((await readdir(dir)).sort()).toEqual(['a', 'b', 'q']); // the source directory is not synced yet
    expect(await readFile(join(dir, 'q', 'a'), 'utf8')).toBe('aaa');
    await fs.syncDir(dir);
    expect(await readdir(dir)).toEqual(['q']);
    expect(text(await fs.readFile(join(dir, 'q', 'a')))).toBe('aaa');
  });

  it('a rename whose source directory is synced first leaves the file nowhere on disk until the target is synced', async () => {
    const dir = await makeTempDir('plfs-rename-order');
    await mkdir(join(dir, 'q'));
    await writeFile(join(dir, 'a'), 'aaa');
    const fs = new PowerLossFileSystem();
    await fs.rename(join(dir, 'a'), join(dir, 'q', 'a'));
    await fs.syncDir(dir);
    expect(await readdir(dir)).toEqual(['q']);
    expect(await readdir(join(dir, 'q'))).toEqual([]);
    expect(text(await fs.readFile(join(dir, 'q', 'a')))).toBe('aaa');
    await fs.syncDir(join(dir, 'q'));
    expect(await readFile(join(dir, 'q', 'a'), 'utf8')).toBe('aaa');
  });

  it('with tear, a datasync goes in two synced steps, a seeded prefix first (a kill between leaves a torn tail)', async () => {
    const dir = await makeTempDir('plfs-tear');
    await writeFile(join(dir, 'f'), '');
    const inner = new RecordingFileSystem();
    const fs = new PowerLossFileSystem(inner, { tear: { seed: SEED, probability: 1 } });
    const file = await fs.open(join(dir, 'f'), 'write');
    await file.write(bytes('0123456789'), 0);
    expect(inner.log).toEqual([]);
    await file.datasync();
    const [first, sync1, second, sync2] = inner.log;
    const cut = Number(/^write 0 (\d+)$/.exec(first ?? '')?.[1]);
    expect(cut).toBeGreaterThanOrEqual(1);
    expect(cut).toBeLessThan(10);
    expect([sync1, second, sync2]).toEqual(['datasync', `write ${cut} ${10 - cut}`, 'datasync']);
    expect(await readFile(join(dir, 'f'), 'utf8')).toBe('0123456789');
  });

  it('splitUnits cuts a write inside and keeps issue order', () => {
    const [first, rest] = splitUnits(
      [
        { kind: 'write', offset: 4, data: bytes('abcd') },
        { kind: 'truncate', size: 2 },
      ],
      2,
    );
    expect(first).toEqual([{ kind: 'write', offset: 4, data: bytes('ab') }]);
    expect(rest).toEqual([
      { kind: 'write', offset: 6, data: bytes('cd') },
      { kind: 'truncate', size: 2 },
    ]);
  });

  it('the engine on it: acknowledged batches are on disk, readable by a plain read-only open', async () => {
    const dir = join(await makeTempDir('plfs-engine'), 'db');
    const db = await Database.open(dir, { fs: new PowerLossFileSystem() });
    for (let i = 0; i < 20; i++)
      await db.write([{ type: 'put', key: bytes(`k${i % 7}`), value: bytes(`v${i}`) }]);
    // No close: the process "dies" here. What the disk holds is what a power cut leaves.
    const after = await Database.open(dir, { readOnly: true });
    expect(after.lastSeq).toBe(20);
    expect(text(after.get(bytes('k6'))!)).toBe('v13');
    await after.close();
  });
});

describe('checkBlackBoxRecovery', () => {
  const put = (k: string, v: string) => ({ type: 'put' as const, key: bytes(k), value: bytes(v) });
  const entry = (k: string, v: string) => [bytes(k), bytes(v)] as const;

  function history(): History {
    const h = new History();
    h.ack(h.issue([put('a', '1')]), 1);
    h.ack(h.issue([put('b', '2'), put('c', '3')]), 2);
    h.issue([put('a', '4')]);
    return h;
  }

  it('infers k from the state: every acked batch, pending ones optional', () => {
    expect(
      checkBlackBoxRecovery(
        history(),
        { opened: true, entries: [entry('a', '1'), entry('b', '2'), entry('c', '3')] },
        { kind: 'none' },
      ),
    ).toMatchObject({ ok: true, k: 2, lastSeq: 3 });
    expect(
      checkBlackBoxRecovery(
        history(),
        { opened: true, entries: [entry('a', '4'), entry('b', '2'), entry('c', '3')] },
        { kind: 'none' },
      ),
    ).toMatchObject({ ok: true, k: 3 });
    expect(
      checkBlackBoxRecovery(
        history(),
        { opened: true, entries: [entry('a', '1')] },
        { kind: 'none' },
      ),
    ).toMatchObject({ ok: false, rule: 2 });
  });

  it('known damage at batch j allows losing j and after, never serving it', () => {
    const damaged = { kind: 'known', bitRot: { seqStart: 2 } } as const;
    expect(
      checkBlackBoxRecovery(history(), { opened: true, entries: [entry('a', '1')] }, damaged),
    ).toMatchObject({ ok: true, k: 1 });
    expect(
      checkBlackBoxRecovery(
        history(),
        { opened: true, entries: [entry('a', '1'), entry('b', '2'), entry('c', '3')] },
        damaged,
      ),
    ).toMatchObject({ ok: false, rule: 6 });
  });

  it('unknown damage allows any whole prefix or a refused open, never part of a batch', () => {
    expect(
      checkBlackBoxRecovery(history(), { opened: true, entries: [] }, { kind: 'unknown' }),
    ).toMatchObject({ ok: true, k: 0 });
    expect(
      checkBlackBoxRecovery(
        history(),
        { opened: false, error: { code: 'CORRUPT' } },
        { kind: 'unknown' },
      ),
    ).toMatchObject({ ok: true, k: null });
    expect(
      checkBlackBoxRecovery(
        history(),
        { opened: true, entries: [entry('a', '1'), entry('b', '2')] },
        { kind: 'unknown' },
      ),
    ).toMatchObject({ ok: false, rule: 3 });
    expect(
      checkBlackBoxRecovery(
        history(),
        { opened: true, entries: [entry('a', '9')] },
        { kind: 'unknown' },
      ),
    ).toMatchObject({ ok: false, rule: 6 });
  });
});

describe('engine commands', () => {
  it('splitCommand reads quotes and escapes; quoteCommand writes what it reads back', () => {
    expect(splitCommand(`node --import tsx 'my dir/a.ts' "x \\"y\\"" z\\ w`)).toEqual([
      'node',
      '--import',
      'tsx',
      'my dir/a.ts',
      'x "y"',
      'z w',
    ]);
    const words = ['node', "it's here", 'plain'];
    expect(splitCommand(quoteCommand(words))).toEqual(words);
  });
});

function options(overrides: Partial<RealOptions>): RealOptions {
  return {
    kills: 3,
    seed: SEED,
    dir: null,
    powerLoss: false,
    damage: [],
    engine: null,
    segmentPattern: /^\d+\.(wal|log)$/,
    progress: () => undefined,
    ...overrides,
  };
}

describe(`walcheck real on our engine (seed ${SEED})`, () => {
  it.concurrent(
    'plain SIGKILLs: every recovery is a whole prefix with every acked batch',
    async ({ expect }) => {
      const summary = await runRealSuite(options({ kills: 3 }));
      expect(summary.failure).toBeNull();
      expect(summary).toMatchObject({ kills: 3, recovered: 3, violations: 0, lostAcked: 0 });
      expect(summary.acked).toBeGreaterThan(0);
    },
  );

  it.concurrent('power-loss emulation: unsynced data dies with the process', async ({ expect }) => {
    const summary = await runRealSuite(options({ kills: 3, seed: SEED + 1, powerLoss: true }));
    expect(summary.failure).toBeNull();
    expect(summary).toMatchObject({ kills: 3, recovered: 3, violations: 0, lostAcked: 0 });
  });

  it.concurrent(
    'damage to the last segment: only batches from the damaged one on are lost',
    async ({ expect }) => {
      const summary = await runRealSuite(
        options({
          kills: 3,
          seed: SEED + 2,
          powerLoss: true,
          damage: ['truncate', 'tear', 'flip'],
        }),
      );
      expect(summary.failure).toBeNull();
      expect(summary).toMatchObject({ kills: 3, recovered: 3, violations: 0, damageApplied: 3 });
    },
  );
});

/** A work directory for a run that keeps it (a violation): removed with the test's temp dirs. */
async function workDir(): Promise<string> {
  return join(await makeTempDir('real-kept'), 'work');
}

describe('walcheck real catches broken black-box engines', () => {
  it.concurrent(
    'acks before durable: an acknowledged batch is missing (rule 2)',
    async ({ expect }) => {
      const summary = await runRealSuite(
        options({ kills: 6, seed: 7, engine: await fakeEngine('lazy'), dir: await workDir() }),
      );
      expect(summary.violations).toBe(1);
      expect(summary.failure).toMatch(/VIOLATION rule 2 .*acknowledged batch b\d+ .* is missing/);
      expect(summary.failure).toMatch(
        /reproduce: npx tsx scripts\/walcheck.ts real --seed 7 --kills \d+ --engine /,
      );
    },
  );

  it.concurrent('sequence numbers restarted after recovery (rule 5)', async ({ expect }) => {
    const summary = await runRealSuite(
      options({ kills: 3, seed: 8, engine: await fakeEngine('renumber'), dir: await workDir() }),
    );
    expect(summary.violations).toBe(1);
    expect(summary.failure).toMatch(/VIOLATION rule 5 .*starts at seq 1, not at lastSeq \+ 1/);
  });
});

describe('walcheck real: the command', () => {
  it.concurrent(
    '--json: exit 0, progress on stderr, the summary as the last stdout line',
    async ({ expect }) => {
      const dir = join(await makeTempDir('real-cli'), 'work');
      const run = await walcheck([
        'real',
        '--kills',
        '2',
        '--seed',
        String(SEED),
        '--dir',
        dir,
        '--damage',
        'flip',
        '--json',
      ]);
      expect(run.code, run.stderr).toBe(0);
      expect(run.stderr).toMatch(/walcheck real: 2 kills, seed \d+, our engine, damage flip/);
      const summary = JSON.parse(run.stdout.trim().split('\n').at(-1)!) as Record<string, unknown>;
      expect(summary).toMatchObject({
        kills: 2,
        recovered: 2,
        damageApplied: 2,
        violations: 0,
        workDir: dir,
      });
      for (const field of ['acked', 'inFlightAtKill']) expect(typeof summary[field]).toBe('number');
      expect(await readdir(dir)).toEqual(['db-1']); // --dir is kept
    },
  );

  it.concurrent('usage errors exit 3', async ({ expect }) => {
    const both = await walcheck(['real', '--power-loss', '--engine', 'x']);
    expect(both.code).toBe(3);
    expect(both.stderr).toMatch(/--power-loss .* --engine/);
    const damage = await walcheck(['real', '--damage', 'truncate,melt']);
    expect(damage.code).toBe(3);
    expect(damage.stderr).toMatch(/'melt' is not one of truncate, tear, flip/);
    const missing = await walcheck(['real', '--kills', '1', '--engine', '/nonexistent/engine']);
    expect(missing.code).toBe(3);
  });
});
