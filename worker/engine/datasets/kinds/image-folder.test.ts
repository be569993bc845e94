import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readdir, rm, truncate, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { DataFileError, UsageError } from '../../../../shared/errors.js';
import { encodePng, fixturePixels, notAnImage, packTar, truncatedJpeg, truncatedPng, writeImageFolder } from '../../../../test/helpers/image-fixtures.js';
import type { ImageClassificationData } from '../data.js';
import { loadImageFolder, type ImageFolderOptions } from './image-folder.js';

let dir: string;
let n = 0;
before(async () => (dir = await mkdtemp(join(tmpdir(), 'grn-imagefolder-'))));
after(() => rm(dir, { recursive: true, force: true }));

/** A fresh folder and cache per test, so no test sees another's decoded cache. */
async function fresh(): Promise<{ root: string; cacheDir: string }> {
  n++;
  return { root: join(dir, `src${n}`), cacheDir: join(dir, `cache${n}`) };
}

function load(path: string, cacheDir: string, extra: Partial<ImageFolderOptions> = {}): Promise<ImageClassificationData> {
  return loadImageFolder('folder', { dataDir: path, cacheDir, seed: 1, threads: 2, ...extra });
}

const CLASSES = ['cat', 'dog', 'ant'];

test('image-folder: the same data from a folder, a .tar and a .tar.gz (under a top folder)', async () => {
  const { root, cacheDir } = await fresh();
  await writeImageFolder(root, { classes: CLASSES, perClass: 3, top: 'pets', format: 'jpg' });
  const tarPath = await packTar(root, join(dir, 'pets.tar'));
  const tgzPath = await packTar(root, join(dir, 'pets.tar.gz'), { gzip: true });
  const a = await load(join(root, 'pets'), cacheDir);
  const b = await load(tarPath, cacheDir);
  const c = await load(tgzPath, cacheDir);
  assert.deepEqual(a.sample.classNames, ['ant', 'cat', 'dog']);
  assert.deepEqual(a.sample.shape, [8, 8, 3]);
  assert.equal(a.train.count, 9);
  assert.equal(a.test.count, 9);
  // Labels in sorted-class order: ant (written as class 2) is label 0.
  assert.deepEqual([...a.train.labels], [0, 0, 0, 1, 1, 1, 2, 2, 2]);
  for (const other of [b, c]) {
    assert.deepEqual(other.train, a.train);
    assert.deepEqual(other.test, a.test);
    assert.deepEqual(other.sample, a.sample);
  }
  assert.deepEqual(Object.keys(a.sha256), ['pets/']);
  assert.deepEqual(Object.keys(b.sha256), ['pets.tar']);
  assert.equal(a.sample.normalization.arithmetic, 'float32');
});

test('image-folder: PNG pixels are exact; grey files stay grey, channels: 3 replicates, size resizes', async () => {
  const { root, cacheDir } = await fresh();
  await writeImageFolder(root, { classes: ['a', 'b'], perClass: 2, channels: 1, height: 6, width: 5 });
  const grey = await load(root, cacheDir);
  assert.deepEqual(grey.sample.shape, [6, 5, 1]);
  assert.deepEqual(grey.train.pixels.subarray(0, 30), fixturePixels(6, 5, 1, 0, 0));
  const rgb = await load(root, cacheDir, { channels: 3 });
  assert.deepEqual(rgb.sample.shape, [6, 5, 3]);
  assert.equal(rgb.train.pixels[0], rgb.train.pixels[1]);
  const small = await load(root, cacheDir, { size: [3, 4], channels: 3 });
  assert.deepEqual(small.sample.shape, [3, 4, 3]);
  assert.equal(small.train.pixels.length, 4 * 3 * 4 * 3);
});

test('image-folder: the flat <class>/* layout is split by a seeded, stratified holdout', async () => {
  const { root, cacheDir } = await fresh();
  await writeImageFolder(root, { classes: ['x', 'y'], perClass: 10, layout: 'flat' });
  const a = await load(root, cacheDir);
  assert.equal(a.test.count, 4); // default holdout 0.2 of 10 per class
  assert.equal(a.train.count, 16);
  const same = await load(root, cacheDir);
  const other = await load(root, cacheDir, { seed: 2, holdout: 0.5 });
  assert.deepEqual(same.test.pixels, a.test.pixels);
  assert.equal(other.test.count, 10);
  await assert.rejects(load(root, cacheDir, { holdout: 1 }), UsageError);
});

test('image-folder: the second load is a decoded-cache hit and equal; a corrupt cache decodes again', async () => {
  const { root, cacheDir } = await fresh();
  await writeImageFolder(root, { classes: CLASSES, perClass: 2 });
  const first = await load(root, cacheDir);
  const messages: string[] = [];
  const second = await load(root, cacheDir, { onProgress: (m) => messages.push(m) });
  assert.ok(messages.some((m) => /decoded cache hit/.test(m)), messages.join('\n'));
  assert.ok(!messages.some((m) => /^decoded \d+/.test(m)));
  assert.deepEqual(second, first);
  const bin = (await readdir(join(cacheDir, 'decoded'))).find((f) => f.endsWith('.bin'))!;
  await truncate(join(cacheDir, 'decoded', bin), 5);
  const again: string[] = [];
  const third = await load(root, cacheDir, { onProgress: (m) => again.push(m) });
  assert.ok(again.some((m) => /decoded cache ignored/.test(m)));
  assert.ok(again.some((m) => /^decoded 12\/12 images/.test(m)));
  assert.deepEqual(third, first);
});

test('image-folder: limits take a seeded subset', async () => {
  const { root, cacheDir } = await fresh();
  await writeImageFolder(root, { classes: CLASSES, perClass: 4 });
  const l = await load(root, cacheDir, { trainLimit: 5, testLimit: 2 });
  assert.equal(l.train.count, 5);
  assert.equal(l.test.count, 2);
  assert.equal(l.train.pixels.length, 5 * 8 * 8 * 3);
});

test('image-folder: no recognised layout says what was found and what is accepted', async () => {
  const { root, cacheDir } = await fresh();
  await mkdir(join(root, 'a', 'b', 'c'), { recursive: true });
  await writeFile(join(root, 'a', 'b', 'c', 'x.png'), encodePng(fixturePixels(2, 2, 3, 0), 2, 2, 3));
  await writeFile(join(root, 'loose.png'), encodePng(fixturePixels(2, 2, 3, 0), 2, 2, 3));
  await assert.rejects(load(root, cacheDir), (err: unknown) => {
    assert.ok(err instanceof DataFileError);
    assert.match(err.message, /no recognised image-folder layout: found 2 images/);
    assert.match(err.message, /train\/<class>\/<image> and test\/<class>\/<image>.*or <class>\/<image>/);
    return true;
  });
  const empty = join(dir, 'only-text');
  await mkdir(empty, { recursive: true });
  await writeFile(join(empty, 'README.txt'), 'hi');
  await assert.rejects(load(empty, cacheDir), /no images \(\.jpg, \.jpeg, \.png\) found \(1 other files, e.g. README.txt\)/);
});

test('image-folder: an empty class folder, a missing test class, a missing test folder', async () => {
  const { root, cacheDir } = await fresh();
  await writeImageFolder(root, { classes: ['a', 'b'], perClass: 1 });
  await mkdir(join(root, 'train', 'c'));
  await writeFile(join(root, 'train', 'c', 'notes.txt'), 'no images here');
  await assert.rejects(load(root, cacheDir), (err: unknown) => err instanceof DataFileError && err.file === `${root}/train/c` && /class folder has no images/.test(err.message));
  await rm(join(root, 'train', 'c'), { recursive: true });
  await rm(join(root, 'test', 'b'), { recursive: true });
  await assert.rejects(load(root, cacheDir), (err: unknown) => err instanceof DataFileError && err.file === `${root}/test/b` && /class folder missing/.test(err.message));
  await rm(join(root, 'test'), { recursive: true });
  await assert.rejects(load(root, cacheDir), (err: unknown) => err instanceof DataFileError && err.file === `${root}/test` && /folder missing/.test(err.message));
});

test('image-folder: mixed image sizes without size name one file of each size', async () => {
  const { root, cacheDir } = await fresh();
  await writeImageFolder(root, { classes: ['a', 'b'], perClass: 2 });
  await writeFile(join(root, 'train', 'b', 'big.png'), encodePng(fixturePixels(9, 7, 3, 0), 9, 7, 3));
  await assert.rejects(load(root, cacheDir), /images have different sizes: .*train\/a\/0000\.png is 8x8, .*train\/b\/big\.png is 9x7; give size/);
  const resized = await load(root, cacheDir, { size: [8, 8] });
  assert.equal(resized.train.count, 5);
});

for (const [kind, bytes] of [['jpg', truncatedJpeg()], ['png', truncatedPng()], ['jpg', notAnImage()]] as const) {
  test(`image-folder: a corrupt ${kind} (${bytes.length} bytes) fails naming it, or is skipped and counted`, async () => {
    const { root, cacheDir } = await fresh();
    await writeImageFolder(root, { classes: ['a', 'b'], perClass: 2 });
    const bad = join(root, 'test', 'a', `broken.${kind}`);
    await writeFile(bad, bytes);
    await assert.rejects(load(root, cacheDir), (err: unknown) => err instanceof DataFileError && err.file === bad && /cannot decode image: /.test(err.message));
    const skipped = await load(root, cacheDir, { onBadSample: 'skip' });
    assert.equal(skipped.skipped?.count, 1);
    assert.match(skipped.skipped!.examples[0]!, /test\/a\/broken\.(jpg|png): /);
    assert.equal(skipped.test.count, 4);
  });
}
