import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadDataset } from '../worker/engine/datasets/catalog.js';
import { benchArgs, numberFlag } from './args.js';

/**
 * `npm run bench -- voc-load [--json] [--voc DIR] [--size N] [--holdout F]`: loading a VOCdevkit
 * folder (default: the team's mini copy) cold (decode pool: JPEG images resized bilinear, palette
 * masks resized nearest) and warm (decoded-cache hit), with what it holds: images, pixel and mask
 * bytes, the process's RSS and array buffers after each load. Not a test: it reads the copy.
 */
export async function run(args: string[]): Promise<void> {
  const flags = benchArgs(args, {
    voc: { type: 'string', default: '../shared/datasets/voc2012-mini/vainf-voc2012val-513' },
    size: { type: 'string' },
    holdout: { type: 'string' },
  });
  const size = Math.round(numberFlag(flags.size, 'size', 224));
  const holdout = numberFlag(flags.holdout, 'holdout', 0.25);
  const cacheDir = await mkdtemp(join(tmpdir(), 'grn-bench-voc-'));
  const results: Array<Record<string, unknown>> = [];
  try {
    for (const run of ['cold', 'warm']) {
      const started = performance.now();
      const data = await loadDataset({ dataset: 'voc2012' }, { dataDir: flags.voc as string, holdout, seed: 1, size: [size, size], cacheDir });
      if (data.task !== 'segmentation') throw new Error('voc2012 did not load as segmentation data');
      const memory = process.memoryUsage();
      const held = data.train.pixels.byteLength + data.train.masks.byteLength + data.test.pixels.byteLength + data.test.masks.byteLength;
      results.push({ run, seconds: (performance.now() - started) / 1000, train: data.train.count, test: data.test.count, size, held_mib: held / 2 ** 20, rss_mib: memory.rss / 2 ** 20, array_buffers_mib: memory.arrayBuffers / 2 ** 20 });
    }
  } finally {
    await rm(cacheDir, { recursive: true, force: true });
  }
  if (flags.json) process.stdout.write(`${JSON.stringify({ benchmark: 'voc-load', source: flags.voc, results }, null, 2)}\n`);
  else for (const r of results) process.stdout.write(`${r.run}: ${(r.seconds as number).toFixed(2)} s, ${r.train}/${r.test} images at ${size}x${size}, holds ${(r.held_mib as number).toFixed(2)} MiB, RSS ${(r.rss_mib as number).toFixed(0)} MiB, array buffers ${(r.array_buffers_mib as number).toFixed(1)} MiB\n`);
}
