/**
 * `npm run bench -- NAME [--json] [options]`: runs one benchmark. Each benchmark is one module in
 * this folder, listed once below; each prints its figures side by side (ratios in one run, each
 * with its 95 % interval over paired rounds: paired-ratio.ts) and, with --json, one JSON object on
 * stdout.
 */
import { UsageError } from '../shared/errors.js';

type BenchModule = { run(args: string[]): Promise<void> };

const BENCHMARKS: Record<string, { description: string; load: () => Promise<BenchModule> }> = {
  engine: { description: 'SimpleCNN training samples/s per backend, and vs PyTorch CPU', load: () => import('./engine.js') },
  dispatch: { description: 'sweep dispatch through a real nats-server: no-op cells/s, overhead on 1-s trials, slot speed-up', load: () => import('./dispatch.js') },
  'text-models': { description: 'training samples/s of embedding-bag, transformer and bert (batch 16, length 128) per backend, beside PyTorch CPU', load: () => import('./text-models.js') },
  optimizers: { description: 'ms per SimpleCNN training step and per optimizer update alone for every optimizer, ratio to SGD with its 95 % interval', load: () => import('./optimizers.js') },
  dashboard: { description: 'dashboard frame time and frames/s with 10,000 cells and 16 GPUs streaming (synthetic, no NATS)', load: () => import('./dashboard.js') },
  segmentation: { description: 'ms per training step of unet and fcn-resnet50 (224x224, batch 4) on tensorflow, beside PyTorch (torchvision)', load: () => import('./segmentation.js') },
  gradcam: { description: 'ms for the end-of-trial Grad-CAM of 5 CIFAR-sized samples (SimpleCNN conv2, PNGs included) per backend', load: () => import('./gradcam.js') },
  'text-load': { description: "loading the team's AG_NEWS (80/20 holdout) and IMDB CSV: cold and warm (token cache), counts, vocabulary, memory", load: () => import('./text-load.js') },
  'voc-load': { description: "loading a VOCdevkit folder (the team's mini copy): cold (decode pool) and warm (decoded cache), counts and memory", load: () => import('./voc-load.js') },
  scale: { description: 'a fleet of 1,000 worker agents on one nats-server: dispatch cells/s, registry load, dashboard ingest, server CPU/RSS', load: () => import('./scale.js') },
  'webgpu-profile': { description: 'a WebGPU SimpleCNN training step counted: dispatches by program, submits, host reads, uploads, uniform writes (any adapter; times only mean something on a GPU)', load: () => import('./webgpu-profile.js') },
  report: { description: 'grn report of a synthetic 10,000-cell results folder: all formats, plots, TensorBoard export (target ≤ 20 s)', load: () => import('./report.js') },
};

async function main(): Promise<number> {
  const [name, ...rest] = process.argv.slice(2);
  if (!name || name === '--help' || name === '-h') {
    process.stdout.write(`usage: npm run bench -- NAME [--json]\n\n${Object.entries(BENCHMARKS).map(([n, b]) => `  ${n.padEnd(12)} ${b.description}`).join('\n')}\n`);
    return name ? 0 : 2;
  }
  const bench = BENCHMARKS[name];
  if (!bench) {
    process.stderr.write(`bench: unknown benchmark '${name}'; known: ${Object.keys(BENCHMARKS).join(', ')}\n`);
    return 2;
  }
  try {
    await (await bench.load()).run(rest);
    return 0;
  } catch (err) {
    if (err instanceof UsageError) {
      process.stderr.write(`bench ${name}: ${err.message}\n`);
      return 2;
    }
    throw err;
  }
}

process.exitCode = await main();
