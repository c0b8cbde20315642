// The JUnit file written after a run: its suite time is the run's, counted once, and a file
// that cannot be written after all (checked writable before the run) never hides what the
// run found: a violation keeps exit 1, a pass becomes exit 3 with the reason on stderr.

import { existsSync } from 'node:fs';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { junitXml, ruleCases, writeJunitAfter } from '../scripts/cli/junit.ts';
import { walcheck } from './support/walcheck-cli.ts';

afterEach(() => vi.restoreAllMocks());

describe('JUnit output', () => {
  it('the suite time is the run case time, not once per rule case', () => {
    const run = { classname: 'c', name: 'run', seconds: 12.5 };
    const xml = junitXml('s', [run, ...ruleCases('c', 'p', [])]);
    expect(xml).toMatch(/<testsuite name="s" tests="9" failures="0" skipped="0" time="12.500">/);
    expect(xml.match(/time="0.000"/g)).toHaveLength(8);
  });

  it('a write that fails after the run keeps exit 1 and makes a pass exit 3, saying why', async () => {
    const said: string[] = [];
    vi.spyOn(process.stderr, 'write').mockImplementation((text) => {
      said.push(String(text));
      return true;
    });
    const path = '/nonexistent-dir/x.xml';
    expect(await writeJunitAfter('crash', path, () => '<x/>', 1)).toBe(1);
    expect(await writeJunitAfter('crash', path, () => '<x/>', 130)).toBe(130);
    expect(await writeJunitAfter('crash', path, () => '<x/>', 0)).toBe(3);
    expect(await writeJunitAfter('crash', undefined, () => '<x/>', 0)).toBe(0);
    expect(said[0]).toMatch(
      /^walcheck crash: --junit: cannot write \/nonexistent-dir\/x\.xml: .*ENOENT.* \(exit 1 is the run's own\)\n$/,
    );
    expect(said[2]).not.toContain("run's own");
  });

  // /sys passes the check before the run as root (a writable directory) and refuses the file.
  it.runIf(process.getuid?.() === 0 && existsSync('/sys/kernel'))(
    'crash --junit /sys/x.xml as root: the run passes, the write fails after it: exit 3',
    async () => {
      const run = await walcheck([
        'crash',
        '--runs',
        '20',
        '--workers',
        '1',
        '--junit',
        '/sys/x.xml',
      ]);
      expect(run.stderr).toMatch(/walcheck crash: --junit: cannot write \/sys\/x\.xml: /);
      expect(run.code).toBe(3);
      expect(run.stdout).toContain('violations                   0');
    },
    60_000,
  );
});
