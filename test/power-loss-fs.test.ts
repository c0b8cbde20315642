// PowerLossFileSystem (faults/disk/power-loss-fs.ts) in-process, beyond the semantics that
// test/real.test.ts shows: the errors it gives (the codes node:fs gives for the same calls),
// writeFile, handle reads, closed and read-only handles, directories whose names are not
// durable yet, renames onto existing files, and datasyncs that cannot make progress.

import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { PowerLossFileSystem, splitUnits } from '../faults/disk/power-loss-fs.ts';
import { NodeFileSystem } from '../src/fs/node-fs.ts';
import type { FileHandle, FileSystem, OpenMode } from '../src/fs/types.ts';
import { makeTempDir, removeTempDirs } from './support/temp-dirs.ts';

afterAll(removeTempDirs);

const bytes = (text: string): Uint8Array => new TextEncoder().encode(text);
const text = (data: Uint8Array): string => new TextDecoder().decode(data);

async function codeOf(promise: Promise<unknown>): Promise<string> {
  return promise.then(
    () => 'ok',
    (error: unknown) => String((error as { code?: unknown }).code),
  );
}

/** A tree on disk: file `f` ("disk"), directory `d/` holding `d/g`. */
async function tree(label: string): Promise<string> {
  const dir = await makeTempDir(label);
  await writeFile(join(dir, 'f'), 'disk');
  await mkdir(join(dir, 'd'));
  await writeFile(join(dir, 'd', 'g'), 'g');
  return dir;
}

describe('PowerLossFileSystem: errors', () => {
  const calls: [string, (fs: FileSystem, dir: string) => Promise<unknown>][] = [
    ['open a directory for writing', (fs, dir) => fs.open(join(dir, 'd'), 'write')],
    ['open a missing file for writing', (fs, dir) => fs.open(join(dir, 'missing'), 'write')],
    [
      'create a file in a missing directory',
      (fs, dir) => fs.open(join(dir, 'missing', 'x'), 'create'),
    ],
    ['readFile a directory', (fs, dir) => fs.readFile(join(dir, 'd'))],
    ['readFile a missing file', (fs, dir) => fs.readFile(join(dir, 'missing'))],
    ['writeFile onto a directory', (fs, dir) => fs.writeFile(join(dir, 'd'), bytes('x'))],
    ['rename a missing file', (fs, dir) => fs.rename(join(dir, 'missing'), join(dir, 'x'))],
    [
      'rename into a missing directory',
      (fs, dir) => fs.rename(join(dir, 'f'), join(dir, 'missing', 'f')),
    ],
    ['rename a file onto a directory', (fs, dir) => fs.rename(join(dir, 'f'), join(dir, 'd'))],
    ['unlink a missing file', (fs, dir) => fs.unlink(join(dir, 'missing'))],
    ['unlink a directory', (fs, dir) => fs.unlink(join(dir, 'd'))],
    ['list a missing directory', (fs, dir) => fs.list(join(dir, 'missing'))],
    ['list a file', (fs, dir) => fs.list(join(dir, 'f'))],
    ['mkdir over a file', (fs, dir) => fs.mkdir(join(dir, 'f'))],
    ['mkdir below a file', (fs, dir) => fs.mkdir(join(dir, 'f', 'sub'))],
    ['syncDir a missing directory', (fs, dir) => fs.syncDir(join(dir, 'missing'))],
  ];

  it.each(calls)('%s: the code node:fs gives, and nothing changes on disk', async (_name, call) => {
    const dir = await tree('plfs-errors');
    const expected = await codeOf(call(new NodeFileSystem(), dir));
    expect(expected).toMatch(/^E[A-Z]+$/);
    const fs = new PowerLossFileSystem();
    expect(await codeOf(call(fs, dir))).toBe(expected);
    expect((await readdir(dir)).sort()).toEqual(['d', 'f']);
    expect(await fs.list(dir)).toEqual(['d', 'f']); // nor in the volatile view
  });

  it('syncDir of a file is ENOTDIR (node:fs would fsync the file)', async () => {
    const dir = await tree('plfs-syncdir-file');
    expect(await codeOf(new PowerLossFileSystem().syncDir(join(dir, 'f')))).toBe('ENOTDIR');
  });

  it('a closed handle refuses everything with EBADF; a read-only one refuses write (EBADF) and truncate (EINVAL)', async () => {
    const dir = await tree('plfs-ebadf');
    const fs = new PowerLossFileSystem();
    const reader = await fs.open(join(dir, 'f'), 'read');
    expect(await codeOf(reader.write(bytes('x'), 0))).toBe('EBADF');
    expect(await codeOf(reader.truncate(0))).toBe('EINVAL');
    expect(await reader.size()).toBe(4);
    const closed = await fs.open(join(dir, 'f'), 'write');
    await closed.close();
    const buffer = new Uint8Array(4);
    for (const call of [
      closed.read(buffer, 0, 4, 0),
      closed.write(bytes('x'), 0),
      closed.datasync(),
      closed.size(),
      closed.truncate(0),
    ]) {
      expect(await codeOf(call)).toBe('EBADF');
    }
    const unnamed = await fs.open(join(dir, 'new'), 'create'); // no disk path yet: the error still names something
    await unnamed.close();
    await expect(unnamed.size()).rejects.toThrow(/EBADF.*\(unnamed\)/);
    expect(await readFile(join(dir, 'f'), 'utf8')).toBe('disk');
  });
});

describe('PowerLossFileSystem: data and names', () => {
  it('a handle reads the volatile bytes, short at the end of the file, zero bytes past it', async () => {
    const dir = await tree('plfs-read');
    const fs = new PowerLossFileSystem();
    const file = await fs.open(join(dir, 'f'), 'write');
    await file.write(bytes('DISK!'), 0);
    const buffer = new Uint8Array(8).fill(0x2e); // '.'
    expect(await file.read(buffer, 2, 4, 1)).toBe(4);
    expect(text(buffer)).toBe('..ISK!..');
    expect(await file.read(buffer, 0, 8, 3)).toBe(2);
    expect(text(buffer.subarray(0, 2))).toBe('K!');
    expect(await file.read(buffer, 0, 8, 100)).toBe(0);
    expect(await readFile(join(dir, 'f'), 'utf8')).toBe('disk');
  });

  it("writeFile is not synced: a new file's name needs syncDir, its bytes a datasync", async () => {
    const dir = await tree('plfs-writefile');
    const fs = new PowerLossFileSystem();
    await fs.writeFile(join(dir, 'new'), bytes('fresh'));
    await fs.writeFile(join(dir, 'f'), bytes('replaced'));
    expect(text(await fs.readFile(join(dir, 'new')))).toBe('fresh');
    expect(text(await fs.readFile(join(dir, 'f')))).toBe('replaced');
    expect(await fs.stat(join(dir, 'f'))).toEqual({ size: 8, isDirectory: false });
    expect((await readdir(dir)).sort()).toEqual(['d', 'f']);
    await fs.syncDir(dir);
    expect(await readFile(join(dir, 'new'), 'utf8')).toBe(''); // the name is durable, no byte is
    expect(await readFile(join(dir, 'f'), 'utf8')).toBe('disk');
    for (const name of ['new', 'f']) {
      const handle = await fs.open(join(dir, name), 'write');
      await handle.datasync();
      await handle.close();
    }
    expect(await readFile(join(dir, 'new'), 'utf8')).toBe('fresh');
    expect(await readFile(join(dir, 'f'), 'utf8')).toBe('replaced');
  });

  it('mkdir of a nested path: listed at once, on disk only once synced (a synced child brings its parent)', async () => {
    const dir = await tree('plfs-mkdir');
    const fs = new PowerLossFileSystem();
    await fs.mkdir(join(dir, 'a', 'b'));
    await fs.mkdir(join(dir, 'a')); // exists (volatile): no error
    const file = await fs.open(join(dir, 'a', 'b', 'x'), 'create');
    expect(await fs.list(join(dir, 'a'))).toEqual(['b']);
    expect(await fs.list(join(dir, 'a', 'b'))).toEqual(['x']);
    expect(await fs.stat(join(dir, 'a', 'b'))).toEqual({ size: 0, isDirectory: true });
    expect((await readdir(dir)).sort()).toEqual(['d', 'f']);
    // More durable than POSIX (documented): syncing a/b creates it on disk although a's entry is not synced.
    await fs.syncDir(join(dir, 'a', 'b'));
    expect(await readdir(join(dir, 'a', 'b'))).toEqual(['x']);
    await file.close();
  });

  it('a rename onto an existing file replaces it on disk once synced; renaming a file onto itself does nothing', async () => {
    const dir = await tree('plfs-rename-over');
    const fs = new PowerLossFileSystem();
    await fs.rename(join(dir, 'f'), join(dir, 'f'));
    expect(text(await fs.readFile(join(dir, 'f')))).toBe('disk');
    await fs.rename(join(dir, 'd', 'g'), join(dir, 'f'));
    expect(text(await fs.readFile(join(dir, 'f')))).toBe('g');
    expect(await readFile(join(dir, 'f'), 'utf8')).toBe('disk');
    await fs.syncDir(dir);
    expect(await readFile(join(dir, 'f'), 'utf8')).toBe('g');
    expect(await readdir(join(dir, 'd'))).toEqual(['g']); // d not synced: the old name is still durable
    await fs.syncDir(join(dir, 'd'));
    expect(await readdir(join(dir, 'd'))).toEqual([]);
    expect(await fs.list(join(dir, 'd'))).toEqual([]);
  });

  it('tear never splits a single unit, and probability 0 never tears', async () => {
    const dir = await tree('plfs-no-tear');
    const log: string[] = [];
    const fs = new PowerLossFileSystem(new WriteLogFs(log), { tear: { seed: 7, probability: 1 } });
    const file = await fs.open(join(dir, 'f'), 'write');
    await file.write(bytes('X'), 0); // one unit
    await file.datasync();
    expect(log).toEqual(['write 0 1']);
    log.length = 0;
    const calm = new PowerLossFileSystem(new WriteLogFs(log), {
      tear: { seed: 7, probability: 0 },
    });
    const other = await calm.open(join(dir, 'f'), 'write');
    await other.write(bytes('0123456789'), 0);
    await other.datasync();
    expect(log).toEqual(['write 0 10']);
    expect(await readFile(join(dir, 'f'), 'utf8')).toBe('0123456789');
  });

  it('a datasync whose write makes no progress fails with IO (src/fs/write-fully.ts) and leaves the disk as it was', async () => {
    const dir = await tree('plfs-stuck');
    const log: string[] = [];
    const fs = new PowerLossFileSystem(new WriteLogFs(log, 0));
    const file = await fs.open(join(dir, 'f'), 'write');
    await file.write(bytes('never lands'), 0);
    expect(await codeOf(file.datasync())).toBe('IO');
    expect(log.length).toBe(1);
    expect(await readFile(join(dir, 'f'), 'utf8')).toBe('disk');
  });

  it('splitUnits: a truncate is one unit; ops after the cut go to the rest whole', () => {
    const ops = [
      { kind: 'truncate', size: 0 },
      { kind: 'write', offset: 0, data: bytes('abc') },
      { kind: 'write', offset: 3, data: bytes('de') },
    ] as const;
    expect(splitUnits(ops, 1)).toEqual([[ops[0]], [ops[1], ops[2]]]);
    expect(splitUnits(ops, 4)).toEqual([[ops[0], ops[1]], [ops[2]]]);
    expect(splitUnits(ops, 6)).toEqual([[...ops], []]);
  });
});

/** node:fs, logging each write that reaches a file; `writeBytes` caps what a write takes (0: none). */
class WriteLogFs extends NodeFileSystem {
  constructor(
    private readonly log: string[],
    private readonly writeBytes = Infinity,
  ) {
    super();
  }

  override async open(path: string, mode: OpenMode): Promise<FileHandle> {
    const handle = await super.open(path, mode);
    return {
      read: (...args) => handle.read(...args),
      write: async (data, position) => {
        this.log.push(`write ${position} ${data.length}`);
        return this.writeBytes === Infinity
          ? handle.write(data, position)
          : Math.min(this.writeBytes, data.length);
      },
      datasync: () => handle.datasync(),
      truncate: (size) => handle.truncate(size),
      size: () => handle.size(),
      close: () => handle.close(),
    };
  }
}
