import assert from 'node:assert/strict';
import { mkdtemp, rm, truncate, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import type { ImageClassificationData } from './data.js';
import { decodedCacheKey, decodedPaths, readDecoded, writeDecoded } from './decoded-cache.js';

let dir: string;
before(async () => (dir = await mkdtemp(join(tmpdir(), 'grn-decoded-'))));
after(() => rm(dir, { recursive: true, force: true }));

function data(labels16 = false): ImageClassificationData {
  return {
    task: 'image-classification',
    name: 'tiny',
    sample: { kind: 'image', shape: [2, 2, 3], classes: 300, classNames: undefined, normalization: { mean: [0.5, 0.5, 0.5], std: [1, 1, 1], arithmetic: 'float32' } },
    train: { count: 3, pixels: Uint8Array.from({ length: 36 }, (_, i) => i), labels: labels16 ? Uint16Array.from([0, 299, 7]) : Uint8Array.from([0, 1, 2]) },
    test: { count: 1, pixels: new Uint8Array(12).fill(9), labels: labels16 ? Uint16Array.from([256]) : Uint8Array.from([1]) },
    sha256: { 'x.tar': 'abc' },
    skipped: { count: 1, examples: ['x.tar/a.jpg: bad'] },
  };
}

test('decoded cache: what is written reads back equal (uint8 and uint16 labels)', async () => {
  for (const wide of [false, true]) {
    const key = decodedCacheKey(`sha-${wide}`, { size: [2, 2], channels: 3 });
    assert.equal(await readDecoded(dir, key), null);
    await writeDecoded(dir, key, data(wide));
    const back = await readDecoded(dir, key);
    const { classNames: _, ...sample } = data(wide).sample;
    assert.deepEqual(back, { ...data(wide), sample });
  }
});

test('decoded cache: the key depends on the source and on the options, not their order', () => {
  assert.equal(decodedCacheKey('a', { x: 1, y: [2, 3] }), decodedCacheKey('a', { y: [2, 3], x: 1 }));
  assert.notEqual(decodedCacheKey('a', { x: 1 }), decodedCacheKey('b', { x: 1 }));
  assert.notEqual(decodedCacheKey('a', { x: 1 }), decodedCacheKey('a', { x: 2 }));
});

test('decoded cache: a short data file or a corrupt header is ignored with a message', async () => {
  const key = decodedCacheKey('corrupt', {});
  await writeDecoded(dir, key, data());
  const paths = decodedPaths(dir, key);
  const messages: string[] = [];
  await truncate(paths.bin, 10);
  assert.equal(await readDecoded(dir, key, (m) => messages.push(m)), null);
  assert.match(messages[0]!, /decoded cache ignored \(data file holds 10 bytes/);
  await writeFile(paths.json, '{"version": 1, "sam');
  assert.equal(await readDecoded(dir, key, (m) => messages.push(m)), null);
  assert.match(messages[1]!, /unreadable header/);
});
