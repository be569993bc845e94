import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, before, test } from 'node:test';
import { DataFileError } from '../../../../shared/errors.js';
import { CIFAR_CLASSES, packTar, writeCifarArchive, writeCifarFolder, writeImageFolder } from '../../../../test/helpers/image-fixtures.js';
import { CIFAR10_NORMALIZATION, loadCifar10 } from './cifar10.js';

let dir: string;
before(async () => (dir = await mkdtemp(join(tmpdir(), 'grn-cifar10-'))));
after(() => rm(dir, { recursive: true, force: true }));

test('cifar10: a tar of 32x32 JPEGs in train/ and test/ loads through the image-folder loader', async () => {
  const root = join(dir, 'jpg');
  await writeImageFolder(root, { classes: CIFAR_CLASSES, perClass: 2, height: 32, width: 32, format: 'jpg' });
  const tarPath = await packTar(root, join(dir, 'cifar10-jpg.tar'));
  const data = await loadCifar10({ dataDir: tarPath, seed: 1, cacheDir: join(dir, 'cache'), threads: 1 });
  assert.deepEqual(data.sample.shape, [32, 32, 3]);
  assert.deepEqual(data.sample.classNames, CIFAR_CLASSES);
  assert.deepEqual(data.sample.normalization, CIFAR10_NORMALIZATION);
  assert.equal(data.train.count, 20);
  assert.deepEqual(Object.keys(data.sha256), ['cifar10-jpg.tar']);
});

test('cifar10: a folder holding only the tar (and side files such as SHA256SUMS) reads the tar; the binary archive in its folder too', async () => {
  const root = join(dir, 'jpg-only');
  await writeImageFolder(root, { classes: CIFAR_CLASSES, perClass: 1, height: 32, width: 32, format: 'jpg' });
  const holder = join(dir, 'holder');
  await mkdir(holder);
  await packTar(root, join(holder, 'cifar10-jpg.tar'));
  await writeFile(join(holder, 'SHA256SUMS'), 'x  cifar10-jpg.tar\n');
  const data = await loadCifar10({ dataDir: holder, seed: 1, cacheDir: join(dir, 'cache'), threads: 1 });
  assert.equal(data.train.count, 10);
  assert.deepEqual(Object.keys(data.sha256), ['cifar10-jpg.tar']);
  const binary = await loadCifar10({ dataDir: dirname(await writeCifarArchive(join(dir, 'binholder', 'cifar-10-binary.tar.gz'))), seed: 1 });
  assert.equal(binary.train.count, 20);
  // Two archives: ambiguous, so the folder is read as a folder (and its layout is what fails).
  await packTar(root, join(holder, 'second.tar'));
  await assert.rejects(loadCifar10({ dataDir: holder, seed: 1, cacheDir: join(dir, 'cache'), threads: 1 }), DataFileError);
});

test('cifar10: binary batches, as an archive or a folder, use the binary loader with the same normalisation', async () => {
  const archive = await writeCifarArchive(join(dir, 'bin', 'cifar-10-binary.tar.gz'));
  const folder = await writeCifarFolder(join(dir, 'binfolder'));
  const a = await loadCifar10({ dataDir: archive, seed: 1 });
  const b = await loadCifar10({ dataDir: folder, seed: 1 });
  assert.deepEqual(a.train, b.train);
  assert.deepEqual(a.sample.normalization, CIFAR10_NORMALIZATION);
  assert.equal(a.train.count, 20);
});

test('cifar10: images that are not 32x32 RGB in 10 classes are refused', async () => {
  const root = join(dir, 'wrong');
  await writeImageFolder(root, { classes: ['a', 'b'], perClass: 2, height: 32, width: 32 });
  await assert.rejects(loadCifar10({ dataDir: root, seed: 1, cacheDir: join(dir, 'cache') }), (err: unknown) => err instanceof DataFileError && /32x32x3 images in 10 classes, found 32x32x3 in 2 classes/.test(err.message));
});
