import { benchArgs, numberFlag } from './args.js';
import type { ImageClassificationData, ImageSample } from '../worker/engine/datasets/data.js';

/**
 * `npm run bench -- gradcam [--backends tensorflow,cpu] [--rounds R] [--samples N] [--json]`: ms
 * for the end-of-trial Grad-CAM of N CIFAR-sized test samples with SimpleCNN (layer conv2: the
 * forward pass, the gradient, the maps, the overlays and their PNGs), per backend. Untrained
 * weights: the work does not depend on them.
 */
export async function run(argv: string[]): Promise<void> {
  const args = benchArgs(argv, { backends: { type: 'string', default: 'tensorflow,cpu' }, rounds: { type: 'string' }, samples: { type: 'string' } });
  const rounds = numberFlag(args.rounds, 'rounds', 10);
  const samples = numberFlag(args.samples, 'samples', 5);
  const [{ backendByName }, { modelByName }, { stream }, { gradcamImages }] = await Promise.all([
    import('../worker/engine/backends/index.js'),
    import('../worker/engine/models/index.js'),
    import('../worker/engine/random.js'),
    import('../worker/engine/gradcam/index.js'),
  ]);
  const sample: ImageSample = { kind: 'image', shape: [32, 32, 3], classes: 10, normalization: { mean: [0.5], std: [0.25], arithmetic: 'float32' } };
  const count = 10_000;
  const data: ImageClassificationData = {
    task: 'image-classification',
    name: 'cifar-sized',
    sample,
    train: { count: 0, pixels: new Uint8Array(0), labels: new Uint8Array(0) },
    test: { count, pixels: Uint8Array.from({ length: count * 3072 }, (_, i) => (i * 7) & 255), labels: new Uint8Array(count) },
    sha256: {},
  };
  const rows: Array<{ backend: string; ms: number | null; reason?: string }> = [];
  for (const name of String(args.backends).split(',')) {
    const backend = await backendByName(name);
    const probe = await backend.probe();
    if (!probe.ok) {
      rows.push({ backend: name, ms: null, reason: probe.reason });
      continue;
    }
    await backend.activate();
    const model = (await modelByName('simple-cnn')).create(sample, stream(1, 'init'));
    const once = () => gradcamImages(model, data, { samples }, { dataset: 'x', optimizer: 'sgd', seed: 1 });
    await once(); // warm-up: kernels, first allocations
    const t = performance.now();
    for (let r = 0; r < rounds; r++) await once();
    rows.push({ backend: name, ms: (performance.now() - t) / rounds });
    model.dispose();
  }
  if (args.json) process.stdout.write(`${JSON.stringify({ benchmark: 'gradcam', samples, rounds, rows })}\n`);
  else for (const r of rows) process.stdout.write(`${r.backend.padEnd(11)} ${r.ms === null ? `unavailable: ${r.reason}` : `${r.ms.toFixed(1)} ms per Grad-CAM of ${samples} samples`}\n`);
}
