// The testing commands as a CI job runs them (issue 10): nothing that checked nothing, or
// replayed something else, looks like a pass; a run's result is not lost (output paths
// checked first, summary before anything that can fail, SIGINT/SIGTERM print what ran);
// shards of one campaign merge into the summary of the whole, with JUnit a CI can track.

import { existsSync } from 'node:fs';
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runCampaign } from '../faults/campaign/campaign.ts';
import { runCampaignParallel } from '../faults/campaign/parallel.ts';
import { shippedEngine } from '../faults/engine/engine-under-test.ts';
import { reproduce } from '../faults/campaign/repro.ts';
import { encodeToken } from '../faults/campaign/repro-token.ts';
import { damageLastSegment } from '../faults/real/damage.ts';
import { Rng } from '../faults/base/rng.ts';
import { runRealSuite } from '../faults/real/real-suite.ts';
import {
  type CampaignJson,
  campaignJson,
  mergeCampaignJson,
  readCampaignJson,
  statsOf,
} from '../faults/campaign/shard-json.ts';
import { DEFAULT_SHAPE } from '../faults/campaign/scenario.ts';
import { runExplore } from '../faults/explore/explore.ts';
import { checkBlackBoxRecovery } from '../model/check-black-box.ts';
import { History } from '../model/history.ts';
import { diffStates, formatVerdict } from '../model/verdict.ts';
import { UsageError } from '../scripts/cli/args.ts';
import { emptyStats } from '../faults/campaign/stats.ts';
import { campaignJunit } from '../scripts/cli/junit.ts';
import { describeFailure } from '../scripts/cli/failure.ts';
import { isOneRecordTail } from '../scripts/cli/set-aside-notes.ts';
import { fakeEngine } from './support/fake-engine.ts';
import { makeTempDir, removeTempDirs } from './support/temp-dirs.ts';
import { walcheck, walcheckInterrupted } from './support/walcheck-cli.ts';

afterAll(removeTempDirs);

const lastJson = (stdout: string): CampaignJson =>
  JSON.parse(stdout.trim().split('\n').at(-1)!) as CampaignJson;

describe('errors', () => {
  it('an unforeseen error is exit 4, says it is a bug in walcheck and how to report it', () => {
    const [message, code] = describeFailure(new TypeError('x is undefined'), 'crash');
    expect(code).toBe(4);
    expect(message).toMatch(/^walcheck crash: internal error .*bug in walcheck/);
    expect(message).toMatch(/report it/);
    expect(message).toContain('TypeError: x is undefined'); // the stack
    expect(describeFailure(new UsageError('bad'), 'crash')[1]).toBe(3);
  });

  it.concurrent('a negative number says which range is accepted', async ({ expect }) => {
    const run = await walcheck(['crash', '--runs', '-5']);
    expect(run.code).toBe(3);
    expect(run.stderr).toContain("option --runs must be an integer from 1 to 100000000; got '-5'");
  });
});

describe.concurrent('repro refuses what does not name a scenario of this version', () => {
  const token = (fields: Partial<Parameters<typeof encodeToken>[0]>): string =>
    encodeToken({
      variant: 'engine',
      shape: DEFAULT_SHAPE,
      seed: 1592407870,
      path: '0',
      check: '00000000',
      ...fields,
    });

  it('a token of the old format (the issue example): exit 3 naming the version', async () => {
    const run = await walcheck(['repro', 'w1.lktr.3.40.1.1592407870.99:99:99']);
    expect(run.code).toBe(3);
    expect(run.stderr).toMatch(/version w1 is not this walcheck's \(w2\)/);
    expect(run.stdout).not.toContain('passes');
  });

  it('a mistyped token (its scenario does not match its check): exit 3', async () => {
    const run = await walcheck(['repro', token({})]);
    expect(run.code).toBe(3);
    expect(run.stderr).toMatch(/whose check is [0-9a-f]{8}, not 00000000: the token is mistyped/);
  });

  it('a path that leads to no scenario: exit 3', async () => {
    // The first scenario has far fewer than 100,000 shrinks, so the path leaves the shrink tree
    // at once (a path that stays in it replays shrinks, seconds each; the check-mismatch case
    // is the test above).
    const run = await walcheck(['repro', token({ path: '0:100000' })]);
    expect(run.code).toBe(3);
    expect(run.stderr).toMatch(/path 0:100000 leads to no scenario of seed 1592407870/);
  });

  it("a mutant's token without --mutant, or with another one: exit 3 naming the variant", async () => {
    const mutantToken = token({ variant: 'ack-before-fsync' });
    const bare = await walcheck(['repro', mutantToken]);
    expect(bare.code).toBe(3);
    expect(bare.stderr).toMatch(
      /belongs to the bug-zoo mutant ack-before-fsync, not to the shipped engine: replay it with --mutant ack-before-fsync/,
    );
    const other = await walcheck(['repro', mutantToken, '--mutant', 'crc-unchecked']);
    expect(other.code).toBe(3);
    expect(other.stderr).toMatch(/not to the bug-zoo mutant crc-unchecked/);
    const shipped = await walcheck(['repro', token({}), '--mutant', 'crc-unchecked']);
    expect(shipped.code).toBe(3);
    expect(shipped.stderr).toMatch(/belongs to the shipped engine.*replay it without --mutant/);
  });
});

describe.concurrent('crash: no false green, no lost run', () => {
  it('a shard that holds no run is a usage error, not a pass', async ({ expect }) => {
    const run = await walcheck(['crash', '--runs', '2', '--shard', '3/4']);
    expect(run.code).toBe(3);
    expect(run.stderr).toContain('--shard 3/4 of --runs 2 holds no scenario');
    expect(run.stdout).toBe('');
  });

  it('an unwritable --junit path is refused before running', async ({ expect }) => {
    const run = await walcheck(['crash', '--runs', '100000', '--junit', '/nonexistent/x.xml']);
    expect(run.code).toBe(3);
    expect(run.stderr).toContain('--junit: cannot write /nonexistent/x.xml');
    expect(run.stdout).toBe(''); // nothing ran
  });

  it('SIGINT: the summary of what ran, marked interrupted, exit 130', async ({ expect }) => {
    const run = await walcheckInterrupted(
      ['crash', '--runs', '1000000', '--json'],
      /^crash: seed 1, 1000000 scenarios/m,
      'SIGINT',
    );
    expect(run.code, run.stderr).toBe(130);
    const summary = lastJson(run.stdout);
    expect(summary).toMatchObject({ interrupted: true, stoppedBy: 'interrupted', violations: 0 });
    expect(summary.runs).toBeLessThan(summary.runsPlanned);
    expect(run.stdout).toMatch(/INTERRUPTED \(SIGINT\/SIGTERM\), not a complete run/);
    expect(run.stderr).toMatch(/SIGINT: finishing the work in progress/);
  });

  it('SIGTERM with worker threads: exit 143, the summary still printed', async ({ expect }) => {
    const run = await walcheckInterrupted(
      ['crash', '--runs', '1000000', '--workers', '2', '--json'],
      /^crash: seed/m,
      'SIGTERM',
    );
    expect(run.code, run.stderr).toBe(143);
    expect(lastJson(run.stdout)).toMatchObject({ interrupted: true });
  });

  it('--seconds runs until the budget is spent and says how many ran', async ({ expect }) => {
    const run = await walcheck(['crash', '--seconds', '2', '--json']);
    expect(run.code, run.stderr).toBe(0);
    const summary = lastJson(run.stdout);
    expect(summary.stoppedBy).toBe('deadline');
    expect(summary.runs).toBeGreaterThan(0);
    expect(summary.scenarios).toBe(summary.runs);
    expect(run.stdout).toMatch(/the --seconds budget ended the run/);
  });
});

describe('merge: shards of one campaign give the summary of the whole', () => {
  it.concurrent(
    'shards 0/2 and 1/2 merged have the counts of the unsharded run; JUnit per shard and rule',
    async ({ expect }) => {
      const dir = await makeTempDir('merge');
      const common = ['crash', '--seed', '5', '--runs', '16', '--json'];
      const [whole, s0, s1] = await Promise.all([
        walcheck(common),
        walcheck([...common, '--shard', '0/2']),
        walcheck([...common, '--shard', '1/2', '--junit', join(dir, 's1.xml')]),
      ]);
      for (const run of [whole, s0, s1]) expect(run.code, run.stderr).toBe(0);
      await writeFile(join(dir, 's0.json'), s0.stdout);
      await writeFile(join(dir, 's1.json'), s1.stdout);
      const merged = await walcheck([
        'merge',
        join(dir, 's1.json'),
        join(dir, 's0.json'),
        '--json',
        '--junit',
        join(dir, 'all.xml'),
      ]);
      expect(merged.code, merged.stderr).toBe(0);
      const m = lastJson(merged.stdout);
      const w = lastJson(whole.stdout);
      const counts = ({ shards: _s, seconds: _t, scenariosPerSec: _r, ...rest }: CampaignJson) =>
        rest;
      expect(counts(m)).toEqual(counts(w));
      expect(m.shards.map((s) => `${s.index}/${s.count}`)).toEqual(['0/2', '1/2']);
      const xml = await readFile(join(dir, 'all.xml'), 'utf8');
      expect(xml).toContain('name="walcheck crash seed 5 runs 16 shard 0/2: scenarios run"');
      expect(xml).toContain(
        'name="walcheck crash seed 5 runs 16 shard 1/2: rule 8 (nothing deleted)"',
      );
      expect(xml.match(/<testcase /g)).toHaveLength(2 * 9);
      const shardXml = await readFile(join(dir, 's1.xml'), 'utf8');
      expect(shardXml.match(/<testcase /g)).toHaveLength(9);
    },
  );

  const part = (fields: Partial<CampaignJson>, shard: [number, number]): CampaignJson => ({
    ...readCampaignJson(JSON.stringify({ command: 'crash', format: 1, shards: [] }), 'x'),
    walcheckVersion: '0.1.0',
    seed: 1,
    runsRequested: 10,
    shape: DEFAULT_SHAPE,
    variant: 'engine',
    shard: { index: shard[0], count: shard[1] },
    shards: [
      {
        index: shard[0],
        count: shard[1],
        runs: 5,
        runsPlanned: 5,
        stoppedBy: 'complete',
        seconds: 1,
      },
    ],
    runs: 5,
    runsPlanned: 5,
    stoppedBy: 'complete',
    interrupted: false,
    violations: 0,
    violationList: [],
    firstViolation: null,
    seconds: 1,
    scenariosPerSec: 5,
    ...emptyStats(),
    scenarios: 5,
    ...fields,
  });

  it('refuses parts of other campaigns, a shard twice, a shard missing', () => {
    const merge = (...parts: CampaignJson[]) =>
      mergeCampaignJson(parts.map((json, i) => ({ name: `f${i}`, json })));
    expect(() => merge(part({}, [0, 2]), part({ seed: 2 }, [1, 2]))).toThrow(
      /f1 is not part of the campaign of f0: seed 2, not 1/,
    );
    expect(() => merge(part({}, [0, 2]), part({ runsRequested: 12 }, [1, 2]))).toThrow(
      /runs 12, not 10/,
    );
    expect(() => merge(part({}, [0, 2]), part({ walcheckVersion: '9' }, [1, 2]))).toThrow(
      /version 9/,
    );
    expect(() => merge(part({}, [0, 2]), part({}, [0, 2]))).toThrow(
      /shard 0\/2 is in both f0 and f1/,
    );
    expect(() => merge(part({}, [0, 3]), part({}, [2, 3]))).toThrow(/shard 1\/3 missing/);
    expect(() => merge(part({}, [0, 2]), part({}, [1, 3]))).toThrow(
      /shard 1\/3, f0 is of 2 shards/,
    );
  });

  it('lists every violation with its token; JUnit names do not depend on the result', () => {
    const violation = {
      runIndex: 3,
      rule: 1,
      ruleName: 'acknowledged means durable',
      token: 'w2.engine.lk.3.40.1.7.0.0123abcd',
      report: 'VIOLATION rule 1 ...',
    };
    const bad = part({ violations: 1, violationList: [violation] }, [1, 2]);
    const merged = mergeCampaignJson([
      { name: 'a', json: part({}, [0, 2]) },
      { name: 'b', json: bad },
    ]);
    expect(merged.violationList).toEqual([violation]);
    expect(merged.firstViolation).toMatchObject({ rule: 1, token: violation.token });
    const names = (xml: string) => [...xml.matchAll(/ name="([^"]*)"/g)].map((m) => m[1]);
    const clean = mergeCampaignJson([
      { name: 'a', json: part({}, [0, 2]) },
      { name: 'b', json: part({}, [1, 2]) },
    ]);
    const failing = campaignJunit(merged, 'walcheck crash');
    expect(names(failing)).toEqual(names(campaignJunit(clean, 'walcheck crash')));
    expect(failing).toContain('failures="1"');
    expect(failing).toMatch(
      /name="walcheck crash seed 1 runs 10 shard 1\/2: rule 1 \(acknowledged means durable\)" time="0.000">\n {4}<failure message="rule 1 \(acknowledged means durable\) in run 3: walcheck repro w2\.engine/,
    );
  });
});

describe.concurrent('real: no false green, nothing left behind', () => {
  /** A private TMPDIR for the child: what the run leaves in it is what it leaves in /tmp. */
  /** What walcheck left in a TMPDIR (tsx keeps its cache there too). */
  const leftIn = async (dir: string): Promise<string[]> =>
    (await readdir(dir)).filter((name) => name.startsWith('walcheck-'));
  const privateTmp = async (): Promise<NodeJS.ProcessEnv> => ({
    TMPDIR: await makeTempDir('real-tmp'),
  });

  it('--engine "" or an unbalanced quote: exit 3 with one line, no work directory made', async ({
    expect,
  }) => {
    const env = await privateTmp();
    const empty = await walcheck(['real', '--kills', '1', '--engine', ''], '', env);
    expect(empty.code).toBe(3);
    expect(empty.stderr).toBe('walcheck real: --engine needs a command (got "")\n');
    const quote = await walcheck(['real', '--kills', '1', '--engine', "node 'x"], '', env);
    expect(quote.code).toBe(3);
    expect(quote.stderr).toMatch(/^walcheck real: --engine: unterminated ' quote in the command/);
    expect(quote.stderr.trim().split('\n')).toHaveLength(1);
    const missing = await walcheck(['real', '--kills', '1', '--engine', '/nonexistent/x'], '', env);
    expect(missing.code).toBe(3);
    expect(await leftIn(env.TMPDIR!)).toEqual([]); // the work directory is removed on failure too
  });

  it('--damage on an engine whose files match no --segment-pattern: exit 3 naming them', async ({
    expect,
  }) => {
    const env = await privateTmp();
    const engine = await fakeEngine('durable');
    const run = await walcheck(
      ['real', '--kills', '2', '--engine', engine, '--damage', 'flip'],
      '',
      env,
    );
    expect(run.code, run.stderr).toBe(3);
    expect(run.stderr).toMatch(
      /--damage: no file of .* matches --segment-pattern .* \(it holds state\.json/,
    );
    expect(await leftIn(env.TMPDIR!)).toEqual([]);
  });

  it('SIGINT: the summary of the cycles that ran, interrupted, exit 130, work dir removed', async ({
    expect,
  }) => {
    const env = await privateTmp();
    const run = await walcheckInterrupted(
      ['real', '--kills', '1000', '--json', '--junit', join(env.TMPDIR!, '..', 'real-int.xml')],
      /walcheck real: 1000 kills/,
      'SIGINT',
      env,
    );
    expect(run.code, run.stderr).toBe(130);
    const summary = JSON.parse(run.stdout.trim().split('\n').at(-1)!) as Record<string, unknown>;
    expect(summary).toMatchObject({ interrupted: true, stoppedBy: 'interrupted', violations: 0 });
    expect(summary.cyclesRun).toBeLessThan(1000);
    expect(run.stdout).toMatch(/INTERRUPTED \(SIGINT\/SIGTERM\) after \d+ cycles/);
    expect(await leftIn(env.TMPDIR!)).toEqual([]);
    const xml = await readFile(join(env.TMPDIR!, '..', 'real-int.xml'), 'utf8');
    expect(xml).toContain('name="walcheck real seed 1: kill/recover cycles"');
    expect(xml).toContain('<failure message="interrupted after');
    expect(xml.match(/<testcase /g)).toHaveLength(9);
  });

  it('--seconds ends the run when the budget is spent and says how many cycles ran', async ({
    expect,
  }) => {
    const env = await privateTmp();
    const run = await walcheck(['real', '--seconds', '1', '--json'], '', env);
    expect(run.code, run.stderr).toBe(0);
    const summary = JSON.parse(run.stdout.trim().split('\n').at(-1)!) as Record<string, unknown>;
    expect(summary.stoppedBy).toBe('deadline');
    // How many cycles fit in the second depends on the machine (a loaded one may set up the
    // database past it and run none): only that the summary and the text agree is asserted.
    expect(run.stdout).toContain(
      `the --seconds budget ended the run after ${String(summary.cyclesRun)} cycle`,
    );
    expect(await leftIn(env.TMPDIR!)).toEqual([]);
  });
});

// explore's progress against its summary is checked in explore.test.ts, on the run it makes anyway.
describe.concurrent('explore', () => {
  it('SIGTERM: the summary of what was explored, interrupted, exit 143, JUnit', async ({
    expect,
  }) => {
    const dir = await makeTempDir('explore-int');
    const run = await walcheckInterrupted(
      ['explore', '--json', '--junit', join(dir, 'e.xml')],
      /explore: the full workload/,
      'SIGTERM',
    );
    expect(run.code, run.stderr).toBe(143);
    expect(JSON.parse(run.stdout.trim().split('\n').at(-1)!)).toMatchObject({
      interrupted: true,
      violations: 0,
    });
    expect(run.stdout).toMatch(/INTERRUPTED +SIGINT\/SIGTERM stopped it/);
    const xml = await readFile(join(dir, 'e.xml'), 'utf8');
    expect(xml).toContain('name="walcheck explore full: every crash point and flip explored"');
    expect(xml.match(/<testcase /g)).toHaveLength(9);
  });
});

describe.concurrent('inspecting and loading: say what was not checked or was set aside', () => {
  it('verify of a directory with no segment, or with segment-like names it ignores, says so', async ({
    expect,
  }) => {
    const dir = await makeTempDir('verify-none');
    await writeFile(join(dir, '1.wal'), 'x');
    const run = await walcheck(['verify', dir]);
    expect(run.code).toBe(0); // clean, as scripts/cli.md says: stderr says nothing was checked
    expect(run.stderr).toContain('ignored 1.wal: not a segment name (20 digits + .wal)');
    expect(run.stderr).toContain(`no segment in ${dir}: nothing was checked`);
  });

  it('load of a segment of random bytes warns that more than one record was set aside', async ({
    expect,
  }) => {
    const dir = await makeTempDir('load-random');
    const noise = new Uint8Array(4096).map((_, i) => (i * 7919 + 13) % 251);
    await writeFile(join(dir, '00000000000000000001.wal'), noise);
    const run = await walcheck(['load', dir], '[["put", "01", "02"]]\n');
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toBe('{"seqStart":1,"count":1}\n');
    expect(run.stderr).toContain(
      'recovery set aside 4096 bytes of 00000000000000000001.wal from offset 0 to quarantine/',
    );
    expect(run.stderr).toContain('WARNING: that is more than the tail of one record');
  });

  it('the tail of one record is a note, not a warning', () => {
    const header = new Uint8Array(24);
    new DataView(header.buffer).setUint32(4, 100, true);
    header[8] = 1; // a batch record of 100 payload bytes
    const torn = new Uint8Array(24 + 60);
    torn.set(header);
    expect(isOneRecordTail(torn)).toBe(true);
    expect(isOneRecordTail(new Uint8Array(10))).toBe(true); // a cut header
    expect(isOneRecordTail(new Uint8Array(24 + 200).fill(0))).toBe(false); // zeros
    const longer = new Uint8Array(24 + 130);
    longer.set(header);
    expect(isOneRecordTail(longer)).toBe(false); // more bytes than that record
  });
});

describe('violation reports', () => {
  const bytes = (text: string): Uint8Array => new TextEncoder().encode(text);
  const put = (k: string, v: Uint8Array) => ({ type: 'put' as const, key: bytes(k), value: v });

  it('a differing value shows its first differing byte, not two identical prefixes', () => {
    const want = new Uint8Array(1100).fill(0x5a);
    const got = Uint8Array.from(want);
    got[500] = 0x00;
    const diff = diffStates('model → found', new Map([['k', want]]), [[bytes('k'), got]]);
    expect(diff).toContain(
      '~ "k": expected 1100 bytes, from byte 500: 0x5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a…, found 1100 bytes, from byte 500: 0x005a5a5a5a5a5a5a5a5a5a5a5a5a5a5a…',
    );
    const short = diffStates('m', new Map([['k', bytes('ab')]]), [[bytes('k'), bytes('ac')]]);
    expect(short).toContain('~ "k": expected "ab", found "ac"');
  });

  it('a scan out of order is named as such, with keys in hex; black boxes show no lastSeq -1', () => {
    const history = new History();
    history.ack(history.issue([put('a', bytes('1')), put('b', bytes('2'))]), 1);
    const unordered = checkBlackBoxRecovery(
      history,
      {
        opened: true,
        entries: [
          [bytes('b'), bytes('2')],
          [bytes('a'), bytes('1')],
        ],
      },
      { kind: 'none' },
    );
    const text = formatVerdict(unordered);
    expect(text).toContain(
      'scan out of order: entry 1, key 0x61, comes after entry 0, key 0x62 (a full scan returns each key once, in ascending byte order)',
    );
    expect(text).not.toMatch(/matches no whole prefix/);
    const unknown = checkBlackBoxRecovery(
      history,
      { opened: true, entries: [[bytes('z'), bytes('9')]] },
      { kind: 'none' },
    );
    expect(unknown.ok).toBe(false);
    expect(formatVerdict(unknown)).not.toContain('lastSeq -1');
    expect(formatVerdict(unknown)).toMatch(/found: +1 key; matches no whole prefix/);
  });
});

describe.concurrent('runners stop on a signal or a deadline (in process)', () => {
  it('campaign: an aborted signal runs nothing and says interrupted; a summary as JSON merges', async ({
    expect,
  }) => {
    const aborted = await runCampaign({ seed: 1, runs: 50, signal: AbortSignal.abort() });
    expect(aborted).toMatchObject({ runs: 0, runsPlanned: 50, stoppedBy: 'interrupted' });
    const whole = campaignJson(await runCampaign({ seed: 2, runs: 6 }));
    const parts = await Promise.all(
      [0, 1, 2].map(async (index) => ({
        name: `s${index}`,
        json: campaignJson(await runCampaign({ seed: 2, runs: 6, shard: { index, count: 3 } })),
      })),
    );
    const merged = mergeCampaignJson(parts);
    expect(statsOf(merged)).toEqual(statsOf(whole));
    expect([merged.runs, merged.runsPlanned, merged.stoppedBy]).toEqual([6, 6, 'complete']);
    const reread = readCampaignJson(`table\n${JSON.stringify(merged)}\n`, 'f');
    expect(reread).toEqual(merged);
    expect(() => readCampaignJson('no json here', 'f')).toThrow(/f holds no 'walcheck crash/);
    expect(() => readCampaignJson(JSON.stringify({ ...merged, format: 99 }), 'f')).toThrow(
      /format 99/,
    );
  });

  it('parallel campaign: a deadline and a signal stop the workers', async ({ expect }) => {
    const controller = new AbortController();
    const interrupted = runCampaignParallel({
      seed: 3,
      runs: 1_000_000,
      workers: 2,
      signal: controller.signal,
      onProgress: () => controller.abort(),
    });
    expect(await interrupted).toMatchObject({ stoppedBy: 'interrupted' });
    const timed = await runCampaignParallel({
      seed: 3,
      runs: 1_000_000,
      workers: 2,
      deadlineMs: 1,
    });
    expect(timed.stoppedBy).toBe('deadline');
    expect(timed.runs).toBeLessThan(1_000_000);
  });

  it('explore: an aborted signal explores nothing more and says interrupted', async ({
    expect,
  }) => {
    const summary = await runExplore({ workload: 'small', signal: AbortSignal.abort() });
    expect(summary.interrupted).toBe(true);
    expect(summary.violations).toEqual([]);
  });

  it('real: a signal or a deadline before the first cycle runs none and removes the work dir', async ({
    expect,
  }) => {
    const base = {
      kills: 5,
      seed: 1,
      powerLoss: false,
      damage: [],
      engine: null,
      segmentPattern: /^\d+\.(wal|log)$/,
      progress: () => undefined,
    };
    const interrupted = await runRealSuite({ ...base, dir: null, signal: AbortSignal.abort() });
    expect(interrupted).toMatchObject({ stoppedBy: 'interrupted', cyclesRun: 0, kills: 0 });
    expect(existsSync(interrupted.workDir)).toBe(false);
    const dir = join(await makeTempDir('real-deadline'), 'work');
    const timed = await runRealSuite({ ...base, dir, deadlineMs: -1 });
    expect(timed).toMatchObject({ stoppedBy: 'deadline', cyclesRun: 0 });
    expect(existsSync(dir)).toBe(true); // a --dir is kept
    await expect(runRealSuite({ ...base, dir: null, engine: '' })).rejects.toThrow(
      /--engine needs a command/,
    );
  });
});

describe.concurrent('refusals in process', () => {
  const token = (fields: Partial<Parameters<typeof encodeToken>[0]>): string =>
    encodeToken({
      variant: 'engine',
      shape: DEFAULT_SHAPE,
      seed: 7,
      path: '0',
      check: '00000000',
      ...fields,
    });

  it('reproduce refuses other variants, a wrong check and a path to nowhere', async ({
    expect,
  }) => {
    await expect(reproduce(token({ variant: 'custom' }))).rejects.toThrow(
      /belongs to an engine given in code .* it replays only in the code that made it/,
    );
    await expect(
      reproduce(token({}), { engine: await shippedEngine(), variant: 'crc-unchecked' }),
    ).rejects.toThrow(/belongs to the shipped engine, not to the bug-zoo mutant crc-unchecked/);
    await expect(reproduce(token({}))).rejects.toThrow(/whose check is [0-9a-f]{8}, not 00000000/);
    await expect(reproduce(token({ path: '1' }))).rejects.toThrow(
      /leads to no scenario|whose check is/,
    );
  });

  it('damage finds no segment among files: NO_SEGMENT; an empty directory: nothing to damage', async ({
    expect,
  }) => {
    const dir = await makeTempDir('damage-none');
    const options = { walFormat: false, segmentPattern: /^\d+\.log$/ };
    expect(await damageLastSegment(dir, 'flip', new Rng(1), options)).toBeNull();
    await writeFile(join(dir, 'state.json'), '{}');
    await expect(damageLastSegment(dir, 'flip', new Rng(1), options)).rejects.toMatchObject({
      code: 'NO_SEGMENT',
    });
  });

  it('real: an engine that cannot start is an error, and the temporary work dir is removed', async ({
    expect,
  }) => {
    const created: string[] = [];
    const run = runRealSuite({
      kills: 1,
      seed: 1,
      dir: null,
      powerLoss: false,
      damage: [],
      engine: '/nonexistent/engine',
      segmentPattern: /^\d+\.(wal|log)$/,
      progress: (line) => created.push(line),
    });
    await expect(run).rejects.toThrow(/ENOENT/);
    const workDir = /in (\S+)$/.exec(created[0] ?? '')?.[1];
    expect(workDir).toBeDefined();
    expect(existsSync(workDir!)).toBe(false);
  });
});
