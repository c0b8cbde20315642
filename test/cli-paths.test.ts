// Paths the CLI is given: `load` creates the database directory but never its parents (a
// typo is refused, not turned into a new tree), and `scan` of a log whose last segment is
// garbage says on stderr what a writable open would set aside instead of exiting 0 silently.

import { existsSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { makeTempDir, removeTempDirs } from './support/temp-dirs.ts';
import { walcheck } from './support/walcheck-cli.ts';

afterAll(removeTempDirs);

describe('cli paths', () => {
  it('load into a missing parent: exit 3 naming it, nothing created', async () => {
    const root = await makeTempDir('load-parent');
    const dir = join(root, 'missing', 'db');
    const run = await walcheck(['load', dir], '[["put","61","62"]]\n');
    expect(run.code).toBe(3);
    expect(run.stderr).toContain(
      `its parent ${join(root, 'missing')} is not an existing directory`,
    );
    expect(run.stdout).toBe('');
    expect(existsSync(join(root, 'missing'))).toBe(false);
  });

  it('load creates the database directory itself in an existing parent', async () => {
    const root = await makeTempDir('load-new');
    const run = await walcheck(['load', join(root, 'db')], '[["put","61","62"]]\n');
    expect(run.code).toBe(0);
    expect(run.stdout).toBe('{"seqStart":1,"count":1}\n');
  });

  it('scan of a segment of random bytes: exit 0, no entries, and a warning on stderr', async () => {
    const dir = await makeTempDir('scan-garbage');
    await mkdir(dir, { recursive: true });
    const garbage = Buffer.alloc(500);
    for (let i = 0; i < garbage.length; i++) garbage[i] = (i * 131 + 7) & 0xff;
    await writeFile(join(dir, '00000000000000000001.wal'), garbage);
    const run = await walcheck(['scan', dir]);
    expect(run.code).toBe(0);
    expect(run.stdout).toBe('');
    expect(run.stderr).toContain(
      'walcheck scan: a writable open would set aside 500 bytes of 00000000000000000001.wal from offset 0',
    );
    expect(run.stderr).toContain('WARNING: that is more than the tail of one record');
    expect(existsSync(join(dir, 'quarantine'))).toBe(false); // scan changes nothing
  });
});
