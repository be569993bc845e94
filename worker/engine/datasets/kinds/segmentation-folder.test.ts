import assert from 'node:assert/strict';
import { mkdtemp, rm, unlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { DataFileError, UsageError } from '../../../../shared/errors.js';
import { encodeJpeg, encodePng, packTar } from '../../../../test/helpers/image-fixtures.js';
import { fixtureMask, writeSegmentationFolder } from '../../../../test/helpers/seg-fixtures.js';
import type { LoadOptions, SegmentationData } from '../data.js';
import { loadSegmentationFolder } from './segmentation-folder.js';

let dir: string;
let n = 0;
before(async () => (dir = await mkdtemp(join(tmpdir(), 'grn-segfolder-'))));
after(() => rm(dir, { recursive: true, force: true }));

function fresh(): { root: string; cacheDir: string } {
  n++;
  return { root: join(dir, `seg${n}`), cacheDir: join(dir, `cache${n}`) };
}

function load(dataDir: string, cacheDir: string, extra: Partial<LoadOptions> = {}): Promise<SegmentationData> {
  return loadSegmentationFolder('mine', { dataDir, cacheDir, seed: 1, threads: 1, ...extra });
}

test('segmentation-folder: train/test with grey masks, from the folder and a .tar.gz; classes inferred or given', async () => {
  const { root, cacheDir } = fresh();
  await writeSegmentationFolder(root, { classes: 4, perSplit: 3 });
  const a = await load(root, cacheDir);
  assert.deepEqual(a.sample.shape, [16, 16, 3]);
  assert.equal(a.sample.classes, 4, 'largest value 3, so 4 classes');
  assert.deepEqual([a.train.count, a.test.count], [3, 3]);
  assert.deepEqual(a.train.masks.subarray(0, 256), fixtureMask(16, 16, 1, 0));
  assert.deepEqual(a.test.masks.subarray(0, 256), fixtureMask(16, 16, 1 + (3 % 3), 3));
  const tgz = await packTar(root, join(dir, `seg${n}.tar.gz`), { gzip: true, prefix: 'mine/' });
  const b = await load(tgz, join(cacheDir, 'b'));
  assert.deepEqual(b.train.masks, a.train.masks);
  assert.deepEqual(b.test.pixels, a.test.pixels);
  const c = await load(root, join(cacheDir, 'c'), { classes: 6, size: [8, 8] });
  assert.equal(c.sample.classes, 6);
  assert.deepEqual(c.sample.shape, [8, 8, 3]);
  // Without normalization options, the training split's own statistics (as image-folder).
  assert.equal(a.sample.normalization.mean.length, 3);
});

test('segmentation-folder: the flat layout with palette masks is held out; ignore_index chooses the unlabelled value', async () => {
  const { root, cacheDir } = fresh();
  await writeSegmentationFolder(root, { classes: 3, perSplit: 10, layout: 'flat', palette: true });
  const a = await load(root, cacheDir, { holdout: 0.2 });
  assert.deepEqual([a.train.count, a.test.count], [8, 2]);
  assert.equal(a.sample.ignoreIndex, 255);
  // With ignore_index 0 the outline's 255 is no class of 3: every mask is a bad sample.
  await assert.rejects(load(root, join(cacheDir, 'b'), { ignoreIndex: 0, classes: 3 }), /mask value 255 at pixel .* is neither a class \(0–2\) nor the ignore index 0/);
});

test('segmentation-folder: an image without a mask and a JPEG mask are bad samples with their file; skip counts them', async () => {
  const { root, cacheDir } = fresh();
  await writeSegmentationFolder(root, { classes: 3, perSplit: 3 });
  await unlink(join(root, 'train', 'masks', 'img001.png'));
  await assert.rejects(load(root, cacheDir), (err: unknown) => {
    assert.ok(err instanceof DataFileError);
    assert.match(err.message, /train\/images\/img001\.png: image without a mask \(no masks\/img001\.png\)/);
    return true;
  });
  await writeFile(join(root, 'train', 'masks', 'img002.png'), encodeJpeg(fixtureMask(16, 16, 1, 2), 16, 16, 1));
  const s = await load(root, cacheDir, { onBadSample: 'skip' });
  assert.equal(s.train.count, 1);
  assert.equal(s.skipped?.count, 2);
  assert.ok(s.skipped?.examples.some((e) => /img002\.png: cannot decode mask: mask is a JPEG/.test(e)));
});

test('segmentation-folder: RGB masks, images of different sizes without size, and no images/ folder are clear errors', async () => {
  const { root, cacheDir } = fresh();
  await writeSegmentationFolder(root, { classes: 3, perSplit: 2 });
  const rgb = new Uint8Array(16 * 16 * 3);
  await writeFile(join(root, 'test', 'masks', 'img002.png'), encodePng(rgb, 16, 16, 3));
  await assert.rejects(load(root, cacheDir), /img002\.png: cannot decode mask: RGB mask: expected a palette or 8-bit grey PNG/);
  const { root: other } = fresh();
  await writeSegmentationFolder(other, { classes: 3, perSplit: 2 });
  await writeFile(join(other, 'train', 'images', 'img000.png'), encodePng(new Uint8Array(8 * 8 * 3), 8, 8, 3));
  await writeFile(join(other, 'train', 'masks', 'img000.png'), encodePng(new Uint8Array(8 * 8), 8, 8, 1));
  await assert.rejects(load(other, join(cacheDir, 'b')), /images have different sizes: .*img000\.png is 8x8, .* is 16x16; give size/);
  const { root: empty } = fresh();
  await writeSegmentationFolder(empty, { classes: 3, perSplit: 1, layout: 'flat' });
  await rm(join(empty, 'images'), { recursive: true });
  await rm(join(empty, 'masks'), { recursive: true });
  await writeFile(join(empty, 'x.png'), encodePng(new Uint8Array(12), 2, 2, 3));
  await assert.rejects(load(empty, join(cacheDir, 'c')), /no images\/ or masks\/ folders found/);
  await assert.rejects(loadSegmentationFolder('mine', { seed: 1 }), UsageError);
});
