import assert from 'node:assert/strict';
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { DataFileError } from '../../../../shared/errors.js';
import { packTar, truncatedJpeg } from '../../../../test/helpers/image-fixtures.js';
import { encodePalettePng, fixtureMask, vocStem, writeVocFolder } from '../../../../test/helpers/seg-fixtures.js';
import type { SegmentationData } from '../data.js';
import { decodeMask, resizeNearest } from '../decode/decode.js';
import { IMAGENET_NORMALIZATION, loadVoc2012, vocColorMap } from './voc2012.js';

let dir: string;
let n = 0;
before(async () => (dir = await mkdtemp(join(tmpdir(), 'grn-voc-'))));
after(() => rm(dir, { recursive: true, force: true }));

function fresh(): { root: string; cacheDir: string } {
  n++;
  return { root: join(dir, `voc${n}`), cacheDir: join(dir, `cache${n}`) };
}

function load(dataDir: string, cacheDir: string, extra: Partial<Parameters<typeof loadVoc2012>[0]> = {}): Promise<SegmentationData> {
  return loadVoc2012({ dataDir, cacheDir, seed: 1, threads: 1, size: [20, 24], ...extra });
}

test('voc2012: the colour map is VOCdevkit\'s (class 1 dark red, person, boundary)', () => {
  const map = vocColorMap();
  assert.deepEqual(map[0], [0, 0, 0]);
  assert.deepEqual(map[1], [128, 0, 0]);
  assert.deepEqual(map[15], [192, 128, 128]);
  assert.deepEqual(map[20], [0, 64, 128]);
  assert.deepEqual(map[255], [224, 224, 192]);
  assert.equal(new Set(map.map((c) => c.join())).size, 256, 'all 256 colours distinct, so a palette colour tells its index');
});

test('voc2012: palette PNG masks decode to their palette indices (not colours), 255 kept; nearest resize as PIL', () => {
  const mask = fixtureMask(10, 12, 7, 0);
  assert.ok(mask.includes(255) && mask.includes(7) && mask.includes(0));
  const decoded = decodeMask(encodePalettePng(mask, 10, 12));
  assert.deepEqual([decoded.height, decoded.width, decoded.channels], [10, 12, 1]);
  assert.deepEqual(decoded.pixels, mask);
  // PIL NEAREST: output d takes floor((d + 0.5)·in/out): 4 → 3 columns picks 0, 2, 3 (not 0, 1, 2).
  const row = { height: 1, width: 4, channels: 1 as const, pixels: Uint8Array.from([10, 11, 12, 13]) };
  assert.deepEqual(resizeNearest(row, 1, 3).pixels, Uint8Array.from([10, 12, 13]));
  assert.deepEqual(resizeNearest(row, 1, 8).pixels, Uint8Array.from([10, 10, 11, 11, 12, 12, 13, 13]));
});

test('voc2012: train.txt/val.txt splits from the folder, VOCdevkit/, VOC2012/ and the .tar alike', async () => {
  const { root, cacheDir } = fresh();
  await writeVocFolder(root, { train: 4, val: 2 });
  const tarPath = await packTar(root, join(dir, 'VOCtrainval.tar'));
  const fromRoot = await load(root, cacheDir);
  const fromDevkit = await load(join(root, 'VOCdevkit'), join(cacheDir, 'b'));
  const fromVoc = await load(join(root, 'VOCdevkit', 'VOC2012'), join(cacheDir, 'c'));
  const fromTar = await load(tarPath, join(cacheDir, 'd'));
  assert.equal(fromRoot.task, 'segmentation');
  assert.deepEqual(fromRoot.sample.shape, [20, 24, 3]);
  assert.equal(fromRoot.sample.classes, 21);
  assert.equal(fromRoot.sample.ignoreIndex, 255);
  assert.equal(fromRoot.sample.classNames?.[15], 'person');
  assert.deepEqual(fromRoot.sample.normalization, IMAGENET_NORMALIZATION);
  assert.equal(fromRoot.train.count, 4);
  assert.equal(fromRoot.test.count, 2);
  // Masks are the written class indices, in list order: sample i is class 1 + i.
  for (let i = 0; i < 4; i++) assert.deepEqual(fromRoot.train.masks.subarray(i * 480, (i + 1) * 480), fixtureMask(20, 24, 1 + i, i));
  assert.deepEqual(fromRoot.test.masks.subarray(0, 480), fixtureMask(20, 24, 5, 4));
  for (const other of [fromDevkit, fromVoc, fromTar]) {
    assert.deepEqual(other.train.masks, fromRoot.train.masks);
    assert.deepEqual(other.test.pixels, fromRoot.test.pixels);
  }
  assert.deepEqual(Object.keys(fromTar.sha256), ['VOCtrainval.tar']);
});

test('voc2012: size resizes images bilinearly and masks nearest (classes stay classes); the decoded cache serves the next load', async () => {
  const { root, cacheDir } = fresh();
  await writeVocFolder(root, { train: 3, val: 1 });
  const messages: string[] = [];
  const small = await load(root, cacheDir, { size: [7, 9], onProgress: (m) => messages.push(m) });
  assert.deepEqual(small.sample.shape, [7, 9, 3]);
  assert.equal(small.train.masks.length, 3 * 7 * 9);
  assert.ok(Array.from(small.train.masks).every((v) => v === 0 || v === 255 || (v >= 1 && v <= 3)));
  const full = decodeMask(encodePalettePng(fixtureMask(20, 24, 1, 0), 20, 24));
  assert.deepEqual(small.train.masks.subarray(0, 63), resizeNearest(full, 7, 9).pixels);
  assert.ok(!messages.some((m) => /cache hit/.test(m)));
  const again = await load(root, cacheDir, { size: [7, 9], onProgress: (m) => messages.push(m) });
  assert.ok(messages.some((m) => /decoded cache hit/.test(m)));
  assert.deepEqual(again.train.masks, small.train.masks);
  assert.deepEqual(again.test.pixels, small.test.pixels);
  assert.equal((await readdir(join(cacheDir, 'decoded'))).length, 2);
});

test('voc2012: without ImageSets every image with a mask is used, split by a seeded holdout; RGB masks map through the colour map', async () => {
  const { root, cacheDir } = fresh();
  await writeVocFolder(root, { train: 10, val: 0, lists: false, rgbMasks: true, prefix: '' });
  const a = await load(root, cacheDir, { holdout: 0.3 });
  const b = await load(root, cacheDir, { holdout: 0.3 });
  const c = await load(root, cacheDir, { holdout: 0.3, seed: 2 });
  assert.equal(a.train.count + a.test.count, 10);
  assert.equal(a.test.count, 3);
  assert.deepEqual(a.test.masks, b.test.masks);
  assert.notDeepEqual(a.test.masks, c.test.masks);
  const all = new Set(Array.from(a.train.masks));
  assert.ok(all.has(255) && all.has(0) && [...all].every((v) => v <= 20 || v === 255), `class indices from RGB masks: ${[...all]}`);
  const d = await load(root, cacheDir, { trainLimit: 2, testLimit: 1 });
  assert.deepEqual([d.train.count, d.test.count], [2, 1]);
});

test('voc2012: a listed sample without its image, and an image that does not decode, name the file; skip counts them', async () => {
  const { root, cacheDir } = fresh();
  await writeVocFolder(root, { train: 4, val: 2 });
  const voc = join(root, 'VOCdevkit', 'VOC2012');
  await writeFile(join(voc, 'ImageSets', 'Segmentation', 'train.txt'), `${[0, 1, 2, 3].map(vocStem).join('\n')}\n2007_999999\n`);
  await assert.rejects(load(root, cacheDir), (err: unknown) => {
    assert.ok(err instanceof DataFileError);
    assert.match(err.message, /listed in VOCdevkit\/VOC2012\/ImageSets\/Segmentation\/train\.txt, but no VOCdevkit\/VOC2012\/SegmentationClass\/2007_999999\.png/);
    assert.match(err.message, /on_bad_sample: skip/);
    return true;
  });
  await writeFile(join(voc, 'JPEGImages', `${vocStem(1)}.jpg`), truncatedJpeg());
  const skipped = await load(root, cacheDir, { onBadSample: 'skip' });
  assert.equal(skipped.train.count, 3);
  assert.equal(skipped.skipped?.count, 2);
  assert.ok(skipped.skipped?.examples.some((e) => e.includes(`JPEGImages/${vocStem(1)}.jpg: cannot decode image`)));
});

test('voc2012: a mask value that is neither a class nor 255, and a mask of another size, are bad samples', async () => {
  const { root, cacheDir } = fresh();
  await writeVocFolder(root, { train: 3, val: 1 });
  const masks = join(root, 'VOCdevkit', 'VOC2012', 'SegmentationClass');
  const bad = fixtureMask(20, 24, 1, 0);
  bad[5] = 42;
  await writeFile(join(masks, `${vocStem(0)}.png`), encodePalettePng(bad, 20, 24));
  await assert.rejects(load(root, cacheDir), /2007_000000\.png: mask value 42 at pixel \(0, 5\) is neither a class \(0–20\) nor the ignore index 255/);
  await writeFile(join(masks, `${vocStem(0)}.png`), encodePalettePng(fixtureMask(10, 24, 1, 0), 10, 24));
  await assert.rejects(load(root, join(cacheDir, 'b')), /mask is 10x24, its image .*2007_000000\.jpg 20x24/);
});

test('voc2012: a folder that is not VOC says what it expected', async () => {
  const { root, cacheDir } = fresh();
  await writeVocFolder(root, { prefix: '' });
  await rm(join(root, 'SegmentationClass'), { recursive: true });
  await assert.rejects(load(root, cacheDir), /no VOC layout: no SegmentationClass\/\*\.png found/);
});
