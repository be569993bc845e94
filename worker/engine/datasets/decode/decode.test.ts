import assert from 'node:assert/strict';
import { test } from 'node:test';
import { encodeJpeg, encodePng, fixturePixels, notAnImage, truncatedJpeg, truncatedPng } from '../../../../test/helpers/image-fixtures.js';
import { convertChannels, decodeImage, processImage, resizeBilinear, sniffFormat } from './decode.js';
import { decodeImages } from './pool.js';

test('decode: PNG grey, RGB, RGBA and 16-bit decode exactly, alpha dropped', () => {
  const rgb = fixturePixels(5, 7, 3, 2);
  const grey = fixturePixels(5, 7, 1, 3);
  assert.deepEqual(decodeImage(encodePng(rgb, 5, 7, 3)), { height: 5, width: 7, channels: 3, pixels: rgb });
  assert.deepEqual(decodeImage(encodePng(grey, 5, 7, 1)), { height: 5, width: 7, channels: 1, pixels: grey });
  assert.deepEqual(decodeImage(encodePng(fixturePixels(5, 7, 4, 1), 5, 7, 4)).pixels, Uint8Array.from(fixturePixels(5, 7, 4, 1).filter((_, i) => i % 4 !== 3)));
  assert.deepEqual(decodeImage(encodePng(rgb, 5, 7, 3, 16)).pixels, rgb);
});

test('decode: JPEG decodes close to its source; format is told by magic bytes', () => {
  const flat = new Uint8Array(8 * 8 * 3).fill(120);
  const image = decodeImage(encodeJpeg(flat, 8, 8, 3));
  assert.equal(image.channels, 3);
  assert.equal(image.height, 8);
  for (const v of image.pixels) assert.ok(Math.abs(v - 120) <= 2);
  assert.equal(sniffFormat(encodePng(flat, 8, 8, 3)), 'png');
  assert.equal(sniffFormat(notAnImage()), null);
});

test('decode: RGB to grey by ITU-R 601 luma (rounded), grey to RGB by replication', () => {
  const rgb = { height: 1, width: 3, channels: 3 as const, pixels: Uint8Array.from([255, 0, 0, 0, 255, 0, 10, 20, 30]) };
  assert.deepEqual(convertChannels(rgb, 1).pixels, Uint8Array.from([76, 150, Math.round(0.299 * 10 + 0.587 * 20 + 0.114 * 30)]));
  const grey = { height: 1, width: 2, channels: 1 as const, pixels: Uint8Array.from([9, 200]) };
  assert.deepEqual(convertChannels(grey, 3).pixels, Uint8Array.from([9, 9, 9, 200, 200, 200]));
});

test('decode: bilinear resize with half-pixel centres', () => {
  const img = { height: 1, width: 2, channels: 1 as const, pixels: Uint8Array.from([0, 100]) };
  // Upscale 2 → 4: centres at -0.25 (clamped 0), 0.25, 0.75, 1.25 (clamped 1).
  assert.deepEqual(resizeBilinear(img, 1, 4).pixels, Uint8Array.from([0, 25, 75, 100]));
  const big = processImage(encodePng(fixturePixels(6, 10, 3, 1), 6, 10, 3), { size: [3, 4], channels: 1 });
  assert.deepEqual([big.height, big.width, big.channels, big.pixels.length], [3, 4, 1, 12]);
});

test('decode: truncated JPEG and PNG and a non-image give reasons, not exceptions, from the pool', async () => {
  const good = encodePng(fixturePixels(4, 4, 3, 0), 4, 4, 3);
  const files = [
    { name: 'good.png', bytes: good },
    { name: 'cut.jpg', bytes: truncatedJpeg() },
    { name: 'cut.png', bytes: truncatedPng() },
    { name: 'text.jpg', bytes: notAnImage() },
    { name: 'good2.png', bytes: good },
  ];
  const messages: string[] = [];
  const results = await decodeImages(files, { threads: 2, batchSize: 2, channels: 3, onProgress: (m) => messages.push(m) });
  assert.deepEqual(results.map((r) => r.ok), [true, false, false, false, true]);
  for (const r of results.slice(1, 4)) assert.ok(!r.ok && r.reason.length > 0);
  assert.match((results[3] as { reason: string }).reason, /not a JPEG or PNG/);
  assert.deepEqual((results[4] as { pixels: Uint8Array }).pixels, fixturePixels(4, 4, 3, 0));
  assert.deepEqual(messages.at(-1), 'decoded 5/5 images');
});

test('decode: the pool keeps input order with one thread and many batches', async () => {
  const files = Array.from({ length: 30 }, (_, i) => ({ name: `${i}.png`, bytes: encodePng(fixturePixels(3, 3, 1, i), 3, 3, 1) }));
  const results = await decodeImages(files, { threads: 1, batchSize: 7 });
  results.forEach((r, i) => assert.deepEqual(r.ok && r.pixels, fixturePixels(3, 3, 1, i)));
});
