import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { DataFileError, UsageError } from '../../../../shared/errors.js';
import { CIFAR_CLASSES, cifarFiles, cifarValue, writeCifarArchive, writeCifarFolder, writeTar } from '../../../../test/helpers/image-fixtures.js';
import { CIFAR10_ARCHIVE, loadCifarBinary } from './cifar-binary.js';

let dir: string;
before(async () => (dir = await mkdtemp(join(tmpdir(), 'grn-cifarbin-'))));
after(() => rm(dir, { recursive: true, force: true }));

const load = (dataDir: string, extra = {}) => loadCifarBinary('cifar', { dataDir, seed: 1, cacheDir: join(dir, 'cache'), ...extra });

test('cifar-binary: planar CHW records become HWC, exactly, with labels and class names', async () => {
  const folder = await writeCifarFolder(join(dir, 'a'));
  const data = await load(folder);
  assert.equal(data.train.count, 20);
  assert.equal(data.test.count, 4);
  assert.deepEqual(data.sample.classNames, CIFAR_CLASSES);
  assert.deepEqual(data.sample.shape, [32, 32, 3]);
  // Train record 6 is record 2 of data_batch_2 (batch index 1).
  for (const [split, k, batch, r] of [[data.train, 6, 1, 2], [data.train, 0, 0, 0], [data.test, 3, 5, 3]] as const) {
    assert.equal(split.labels[k], (r + batch) % 10);
    for (const [y, x] of [[0, 0], [5, 17], [31, 31]] as const) {
      for (let c = 0; c < 3; c++) assert.equal(split.pixels[k * 3072 + (y * 32 + x) * 3 + c], cifarValue(batch, r, c, y, x));
    }
  }
  assert.equal(Object.keys(data.sha256).length, 7);
});

test('cifar-binary: the .tar.gz, the folder and its parent give the same data; the archive digest is of its raw bytes', async () => {
  const parent = join(dir, 'b');
  const folder = await writeCifarFolder(parent);
  const archive = await writeCifarArchive(join(dir, 'b.tgz', 'cifar-10-binary.tar.gz'));
  const [a, b, c] = [await load(folder), await load(parent), await load(archive)];
  assert.deepEqual(b.train, a.train);
  assert.deepEqual(c.train, a.train);
  assert.deepEqual(c.test, a.test);
  assert.deepEqual(c.sha256, { 'cifar-10-binary.tar.gz': createHash('sha256').update(await readFile(archive)).digest('hex') });
  assert.equal(CIFAR10_ARCHIVE.name, 'cifar-10-binary.tar.gz');
});

test('cifar-binary: limits take the first records; holdout replaces the test batch', async () => {
  const folder = await writeCifarFolder(join(dir, 'c'), cifarFiles(20));
  const limited = await load(folder, { trainLimit: 3, testLimit: 2 });
  assert.equal(limited.train.count, 3);
  assert.deepEqual([...limited.train.labels], [0, 1, 2]);
  assert.equal(limited.test.count, 2);
  const held = await load(folder, { holdout: 0.1 });
  assert.equal(held.train.count + held.test.count, 100);
  assert.equal(held.test.count, 10);
  await assert.rejects(load(folder, { holdout: 0 }), UsageError);
});

test('cifar-binary: a truncated record names the file, the record and the missing bytes', async () => {
  const files = cifarFiles(3);
  files['data_batch_3.bin'] = files['data_batch_3.bin']!.subarray(0, 3073 * 2 + 100);
  const folder = await writeCifarFolder(join(dir, 'd'), files);
  await assert.rejects(load(folder), (err: unknown) => {
    assert.ok(err instanceof DataFileError);
    assert.equal(err.file, join(folder, 'data_batch_3.bin'));
    assert.match(err.message, /truncated record: 6246 bytes is not a multiple of 3073 \(record 2 is short by 2973 bytes\)/);
    return true;
  });
});

test('cifar-binary: a label of 10 or more names the file and the record', async () => {
  const files = cifarFiles(3);
  const bad = Uint8Array.from(files['test_batch.bin']!);
  bad[3073 * 1] = 10;
  files['test_batch.bin'] = bad;
  const folder = await writeCifarFolder(join(dir, 'e'), files);
  await assert.rejects(load(folder), /test_batch\.bin: record 1: label 10 is not a class 0-9/);
});

test('cifar-binary: a missing batch file is named, in a folder and in an archive', async () => {
  const files = cifarFiles(2);
  delete files['data_batch_4.bin'];
  const folder = await writeCifarFolder(join(dir, 'f'), files);
  await assert.rejects(load(folder), (err: unknown) => err instanceof DataFileError && err.file === join(folder, 'data_batch_4.bin') && /file not found/.test(err.message));
  const archive = await writeCifarArchive(join(dir, 'f.tar.gz'), files);
  await assert.rejects(load(archive), /f\.tar\.gz\/cifar-10-batches-bin\/data_batch_4\.bin: missing from the archive/);
});

test('cifar-binary: a file that is not a tar archive is named', async () => {
  const notTar = join(dir, 'cifar-10-binary.tar');
  await writeFile(notTar, 'not a tar at all, just words\n'.repeat(40));
  await assert.rejects(load(notTar), /cifar-10-binary\.tar: not a tar archive/);
  const gzNotTar = join(dir, 'g.tar.gz');
  await writeTar(gzNotTar, { 'cifar-10-batches-bin/batches.meta.txt': Buffer.from('a\nb\n') }, true);
  await assert.rejects(load(gzNotTar), /missing from the archive/);
});
