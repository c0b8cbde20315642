// walcheck as another project gets it: `npm pack` (which builds dist/ through prepack), the
// tarball installed into a fresh project, then the bin through npx and both entry points
// imported under plain node (no tsx, no dev dependencies), and type-checked as TypeScript.

import { execFile } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeTempDir, removeTempDirs } from './support/temp-dirs.ts';
import { ROOT } from './support/walcheck-cli.ts';

const execFileAsync = promisify(execFile);
/** Packing builds with tsc and installing may unpack from the npm cache: slow on 2 busy cores. */
const SETUP_MS = 240_000;
const RUN_MS = 120_000;

// Child npm processes must not inherit the npm_* settings of an enclosing `npm test`.
const env = Object.fromEntries(
  Object.entries(process.env).filter(([name]) => !name.toLowerCase().startsWith('npm_')),
);

/** A well-formed token of a bug-zoo variant (repro --mutant refuses before decoding it). */
const TOKEN = 'w2.crc-unchecked.lktr.4.40.1.1.0.0123abcd';

async function run(command: string, args: string[], cwd: string) {
  return execFileAsync(command, args, { cwd, env, maxBuffer: 16 << 20, timeout: SETUP_MS });
}

const CONSUMER_MJS = `
import { join } from 'node:path';
import { Database, NodeFileSystem, WalError } from 'walcheck';
import * as harness from 'walcheck/harness';

const key = new TextEncoder().encode('k');
const dir = join(process.cwd(), 'db');
const db = await Database.open(dir, { fs: new NodeFileSystem() });
await db.write([{ type: 'put', key, value: new TextEncoder().encode('v') }]);
await db.close();
const again = await Database.open(dir, { readOnly: true });
const value = new TextDecoder().decode(again.get(key));
const lastSeq = again.lastSeq;
await again.close();
let closedCode = null;
try {
  again.get(key);
} catch (error) {
  closedCode = error instanceof WalError ? error.code : 'not a WalError';
}
const summary = await harness.runCampaign({ runs: 5, seed: 7 });
// An engine handed in by the caller: the package's own Database, through the adapter.
const engine = harness.walcheckEngine({ Database });
const given = await harness.runCampaign({ runs: 5, seed: 7, engine });
const names = ['runCampaign', 'runExplore', 'runRealSuite', 'checkRecovery', 'History', 'SimFs',
  'PowerLossFileSystem'].filter((name) => typeof harness[name] === 'function');
console.log(JSON.stringify({ value, lastSeq, closedCode, summary, given, names }));
`;

const CONSUMER_TS = `
import { Database, type Batch, type FileSystem, NodeFileSystem } from 'walcheck';
import { type CrashSummary, runCampaign, SimFs } from 'walcheck/harness';

const fs: FileSystem = new SimFs();
const batch: Batch = [{ type: 'put', key: new Uint8Array([1]), value: new Uint8Array([2]) }];
export async function check(): Promise<number> {
  const db = await Database.open('/db', { fs });
  await db.write(batch);
  await db.close();
  const summary: CrashSummary = await runCampaign({ runs: 1 });
  return summary.violations + (new NodeFileSystem() ? 0 : 1);
}
`;

/** walcheck's own statement of the contract, cited by reports and help texts (issue 20). */
const CONTRACT_FILES = ['src/wal/wal-format.md', 'model/crash-model.md', 'scripts/cli.md'];

let project = '';
/** The paths in the tarball, as `npm pack --json` lists them. */
let packed: string[] = [];

beforeAll(async () => {
  const packs = await makeTempDir('pack');
  const { stdout } = await run('npm', ['pack', '--json', '--pack-destination', packs], ROOT);
  const [{ filename, files }] = JSON.parse(stdout.slice(stdout.indexOf('['))) as [
    { filename: string; files: { path: string }[] },
  ];
  packed = files.map((file) => file.path);
  project = await makeTempDir('consumer');
  await run('npm', ['init', '-y'], project);
  await run(
    'npm',
    ['install', join(packs, filename), '--prefer-offline', '--no-audit', '--no-fund'],
    project,
  );
}, SETUP_MS);

afterAll(removeTempDirs);

describe('the packed tarball installed into a fresh project', () => {
  it('ships the build and no tests or sources', async () => {
    const manifest = JSON.parse(
      await readFile(join(project, 'node_modules/walcheck/package.json'), 'utf8'),
    ) as { version: string };
    const { stdout } = await run('npx', ['--no-install', 'walcheck', '--version'], project);
    expect(stdout).toBe(`${manifest.version}\n`);
    const installed = join(project, 'node_modules/walcheck');
    const { stdout: files } = await run('find', ['.', '-type', 'f'], installed);
    const list = files.split('\n').filter((line) => line !== '');
    expect(list).toContain('./dist/faults/harness.d.ts');
    expect(list.filter((file) => /^\.\/test\/|\.test\.|(?<!\.d)\.ts$/.test(file))).toEqual([]);
  });

  it('ships the specification the reports cite: the WAL format, the crash model, the CLI', async () => {
    expect(packed).toEqual(expect.arrayContaining(CONTRACT_FILES));
    const installed = join(project, 'node_modules/walcheck');
    for (const path of CONTRACT_FILES)
      expect(await readFile(join(installed, path), 'utf8')).toBe(
        await readFile(join(ROOT, path), 'utf8'),
      );
  });

  it(
    'runs a crash campaign through npx walcheck, printing the JSON summary last',
    async () => {
      const { stdout } = await run(
        'npx',
        ['--no-install', 'walcheck', 'crash', '--runs', '30', '--json'],
        project,
      );
      const summary = JSON.parse(stdout.trim().split('\n').at(-1)!) as Record<string, unknown>;
      expect(summary).toMatchObject({ seed: 1, runs: 30, violations: 0, firstViolation: null });
      expect(summary.recoveries).toBeGreaterThanOrEqual(30);
    },
    RUN_MS,
  );

  it(
    'says that mutants, report and repro --mutant need a checkout and bench needs classic-level: exit 3, one line each',
    async () => {
      const failed = (args: string[]) =>
        run('npx', ['--no-install', 'walcheck', ...args], project).then(
          () => ({ code: 0, stderr: '' }),
          (error: { code: number; stderr: string }) => error,
        );
      const checkoutOnly = [['mutants'], ['report'], ['repro', '--mutant', 'crc-unchecked', TOKEN]];
      const [bench, ...needCheckout] = await Promise.all([
        failed(['bench']),
        ...checkoutOnly.map(failed),
      ]);
      for (const [i, result] of needCheckout.entries())
        expect(result, checkoutOnly[i]!.join(' ')).toMatchObject({
          code: 3,
          stderr: expect.stringContaining('needs a checkout'),
        });
      expect(bench).toMatchObject({ code: 3, stderr: expect.stringContaining('classic-level') });
      for (const result of [bench, ...needCheckout])
        expect(result.stderr.trim().split('\n')).toHaveLength(1);
    },
    RUN_MS,
  );

  it(
    'imports walcheck and walcheck/harness under plain node',
    async () => {
      await writeFile(join(project, 'consumer.mjs'), CONSUMER_MJS);
      const { stdout } = await run(process.execPath, ['consumer.mjs'], project);
      const out = JSON.parse(stdout) as {
        value: string;
        lastSeq: number;
        closedCode: string;
        summary: Record<string, unknown>;
        given: Record<string, unknown>;
        names: string[];
      };
      expect(out).toMatchObject({ value: 'v', lastSeq: 1, closedCode: 'CLOSED' });
      expect(out.summary).toMatchObject({ seed: 7, runs: 5, violations: 0, scenarios: 5 });
      expect(out.given).toMatchObject({ runs: 5, violations: 0, batches: out.summary.batches });
      expect(out.names).toHaveLength(7);
    },
    RUN_MS,
  );

  it(
    'type-checks a TypeScript consumer against the declarations',
    async () => {
      await writeFile(join(project, 'consumer.ts'), CONSUMER_TS);
      const tsconfig = {
        compilerOptions: {
          module: 'NodeNext',
          moduleResolution: 'NodeNext',
          target: 'ES2022',
          strict: true,
          noEmit: true,
          // The consumer's own code against the declarations; not every library's .d.ts.
          skipLibCheck: true,
          types: ['node'],
          typeRoots: [join(ROOT, 'node_modules/@types')],
        },
        files: ['consumer.ts'],
      };
      await writeFile(join(project, 'tsconfig.json'), JSON.stringify(tsconfig));
      const tsc = join(ROOT, 'node_modules/typescript/bin/tsc');
      const result = await run(process.execPath, [tsc, '-p', '.'], project).catch(
        (error: { stdout: string }) => ({ stdout: error.stdout }),
      );
      expect(result.stdout).toBe('');
    },
    RUN_MS,
  );
});
