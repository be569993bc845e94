import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadCifar10 } from '../worker/engine/datasets/kinds/cifar10.js';

/**
 * Loading the team's CIFAR-10 JPEG tar: cold (fresh cache, decoding) and warm (decoded-cache hit),
 * with the given threads. Not a test: it reads the shared copy.
 * Usage: node dist/bench/cifar10-load.js <tar> <threads>
 */
const [path, threadsArg] = process.argv.slice(2);
if (!path) throw new Error('usage: cifar10-load.js <tar> [threads]');
const threads = Number(threadsArg ?? 1);
const cacheDir = await mkdtemp(join(tmpdir(), 'grn-bench-cifar-'));
try {
  for (const run of ['cold', 'warm']) {
    const start = performance.now();
    const data = await loadCifar10({ dataDir: path, seed: 1, threads, cacheDir });
    const ms = performance.now() - start;
    const perClass = new Array<number>(10).fill(0);
    for (const l of data.train.labels) perClass[l]!++;
    const mem = process.memoryUsage();
    console.log(
      JSON.stringify({
        run,
        threads,
        seconds: +(ms / 1000).toFixed(2),
        train: data.train.count,
        test: data.test.count,
        pixelBytes: data.train.pixels.length + data.test.pixels.length,
        expectedPixelBytes: 60000 * 3072,
        trainPerClass: perClass,
        rssMiB: Math.round(mem.rss / 2 ** 20),
        arrayBuffersMiB: Math.round(mem.arrayBuffers / 2 ** 20),
      }),
    );
  }
} finally {
  await rm(cacheDir, { recursive: true, force: true });
}
