import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { DataFileError } from '../../../shared/errors.js';
import { packTar, writeTar } from '../../../test/helpers/image-fixtures.js';
import { archiveKind, listEntries, normaliseEntryPath, sourceDigest } from './archive.js';

let dir: string;
let tree: string;
before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'grn-archive-'));
  tree = join(dir, 'tree');
  await mkdir(join(tree, 'a', 'empty'), { recursive: true });
  await mkdir(join(tree, 'b'), { recursive: true });
  await writeFile(join(tree, 'a', 'one.txt'), 'one');
  await writeFile(join(tree, 'b', 'two.bin'), Buffer.from([1, 2, 3]));
  await writeFile(join(tree, 'top.txt'), 'top');
});
after(() => rm(dir, { recursive: true, force: true }));

async function collect(path: string, filter?: (p: string) => boolean) {
  const dirs: string[] = [];
  let digest: string | undefined;
  const files: Record<string, string> = {};
  for await (const e of listEntries(path, { filter, onDirectory: (d) => dirs.push(d), onDigest: (s) => (digest = s) })) {
    files[e.path] = Buffer.from(e.bytes).toString('hex');
  }
  return { files, dirs: dirs.sort(), digest };
}

test('archive: a folder, a .tar and a .tar.gz list the same files and folders', async () => {
  const tarPath = await packTar(tree, join(dir, 't.tar'), { prefix: './' });
  const tgzPath = await packTar(tree, join(dir, 't.tgz'), { gzip: true });
  assert.equal(await archiveKind(tree), 'directory');
  assert.equal(await archiveKind(tarPath), 'tar');
  assert.equal(await archiveKind(tgzPath), 'tar.gz');
  const fromDir = await collect(tree);
  const fromTar = await collect(tarPath);
  const fromTgz = await collect(tgzPath);
  assert.deepEqual(Object.keys(fromDir.files).sort(), ['a/one.txt', 'b/two.bin', 'top.txt']);
  assert.deepEqual(fromTar.files, fromDir.files);
  assert.deepEqual(fromTgz.files, fromDir.files);
  assert.deepEqual(fromDir.dirs, ['a', 'a/empty', 'b']);
  assert.deepEqual(fromTar.dirs, ['a', 'a/empty', 'b']);
  // The digest is of the archive's own bytes (the compressed ones for .tar.gz).
  assert.equal(fromTgz.digest, createHash('sha256').update(await readFile(tgzPath)).digest('hex'));
  assert.equal((await sourceDigest(tgzPath)).sha256, fromTgz.digest);
  assert.equal((await sourceDigest(tarPath)).name, 't.tar');
});

test('archive: the filter skips files without reading them into the result', async () => {
  const tarPath = await packTar(tree, join(dir, 'f.tar'));
  const { files } = await collect(tarPath, (p) => p.endsWith('.txt'));
  assert.deepEqual(Object.keys(files).sort(), ['a/one.txt', 'top.txt']);
});

test('archive: a folder digest depends on names and contents, not on where the folder is', async () => {
  const a = await sourceDigest(tree);
  assert.equal(a.name, 'tree/');
  const copy = join(dir, 'copy', 'tree');
  await packTar(tree, join(dir, 'c.tar'));
  await mkdir(copy, { recursive: true });
  for await (const e of listEntries(join(dir, 'c.tar'))) {
    await mkdir(join(copy, e.path, '..'), { recursive: true });
    await writeFile(join(copy, e.path), e.bytes);
  }
  assert.equal((await sourceDigest(copy)).sha256, a.sha256);
  await writeFile(join(copy, 'top.txt'), 'changed');
  assert.notEqual((await sourceDigest(copy)).sha256, a.sha256);
});

test('archive: random bytes or text named .tar is not a tar archive', async () => {
  const text = join(dir, 'notes.tar');
  await writeFile(text, 'just some text\n'.repeat(100));
  await assert.rejects(collect(text), (err: unknown) => err instanceof DataFileError && err.file === text && /not a tar archive/.test(err.message));
  const short = join(dir, 'short.tar');
  await writeFile(short, 'tiny');
  await assert.rejects(collect(short), /short\.tar: not a tar archive/);
  const random = join(dir, 'random.tar');
  await writeFile(random, Buffer.from(Array.from({ length: 4096 }, (_, i) => (i * 2654435761) >>> 24)));
  await assert.rejects(collect(random), /random\.tar: not a tar archive/);
});

test('archive: a truncated .tar and a truncated .tar.gz are errors naming the file', async () => {
  const big = { 'x/a.bin': new Uint8Array(5000).fill(7), 'x/b.bin': new Uint8Array(5000).fill(9) };
  const whole = await readFile(await writeTar(join(dir, 'w.tar'), big));
  const cut = join(dir, 'cut.tar');
  await writeFile(cut, whole.subarray(0, 512 + 2000));
  await assert.rejects(collect(cut), (err: unknown) => err instanceof DataFileError && err.file === cut && /truncated/.test(err.message));
  const wholeGz = await readFile(await writeTar(join(dir, 'w.tar.gz'), big, true));
  const cutGz = join(dir, 'cut.tar.gz');
  await writeFile(cutGz, wholeGz.subarray(0, Math.floor(wholeGz.length / 2)));
  await assert.rejects(collect(cutGz), (err: unknown) => err instanceof DataFileError && err.file === cutGz && /truncated/.test(err.message));
});

test('archive: a missing path is an error naming it; entry names are normalised', async () => {
  await assert.rejects(archiveKind(join(dir, 'nope')), /nope: not found/);
  assert.equal(normaliseEntryPath('./a/b/'), 'a/b');
  assert.equal(normaliseEntryPath('/a//b'), 'a/b');
});
