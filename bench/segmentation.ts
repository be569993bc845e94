import { execa } from 'execa';
import { cpus } from 'node:os';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs-core';
import { median } from 'simple-statistics';
import { activateBackend, type BackendName } from '../worker/engine/backends/index.js';
import type { MaskSample } from '../worker/engine/datasets/data.js';
import { MODELS } from '../worker/engine/models/catalog.js';
import { createOptimizer } from '../worker/engine/optimizers/index.js';
import { stream } from '../worker/engine/random.js';
import { pixelCrossEntropy } from '../worker/engine/tasks/segmentation.js';
import '../worker/engine/tfjs-setup.js';
import { trainStep } from '../worker/engine/train.js';
import { benchArgs, numberFlag } from './args.js';

/**
 * `npm run bench -- segmentation [--json]`: milliseconds per SGD training step (forward, pixel
 * cross-entropy with ignore index 255, backward, update, loss read back) of the segmentation
 * models on a TensorFlow.js backend (default tensorflow), beside PyTorch's same step
 * (bench/pytorch/segmentation_step.py: the same U-Net, torchvision's fcn_resnet50) with the same
 * thread count. Cases: unet at --unet-size (default 64) batch 8; fcn-resnet50 at 224x224 batch 4
 * (the original's resolution and batch). Synthetic inputs: the speed of a step does not depend on
 * the pixels. Each figure is the median of --steps timed steps after one warm-up step.
 */
interface Case {
  readonly model: 'unet' | 'fcn-resnet50';
  readonly size: number;
  readonly batch: number;
}

interface Figure {
  parameters: number;
  ms_per_step: number;
  samples_per_s: number;
}

export async function run(args: string[]): Promise<void> {
  const flags = benchArgs(args, {
    steps: { type: 'string' },
    backend: { type: 'string' },
    models: { type: 'string' },
    'unet-size': { type: 'string' },
    'no-pytorch': { type: 'boolean', default: false },
  });
  const steps = Math.round(numberFlag(flags.steps, 'steps', 3));
  const backend = (typeof flags.backend === 'string' ? flags.backend : 'tensorflow') as BackendName;
  const unetSize = Math.round(numberFlag(flags['unet-size'], 'unet-size', 64));
  const wanted = typeof flags.models === 'string' ? flags.models.split(',') : ['unet', 'fcn-resnet50'];
  const cases: Case[] = ([{ model: 'unet', size: unetSize, batch: 8 }, { model: 'fcn-resnet50', size: 224, batch: 4 }] as const).filter((c) => wanted.includes(c.model));
  const log = (m: string) => process.stderr.write(`${m}\n`);
  const threads = cpus().length;
  const device = await activateBackend(backend);
  log(`${backend}: ${device.device}`);

  const results: Array<Case & { tfjs: Figure; pytorch: Figure | { unavailable: string }; ratio_vs_pytorch?: number }> = [];
  for (const c of cases) {
    log(`${c.model} ${c.size}x${c.size} batch ${c.batch}: ${backend}…`);
    const tfjs = await measureTfjs(c, steps);
    log(`  ${backend}: ${tfjs.ms_per_step.toFixed(0)} ms/step, ${tfjs.samples_per_s.toFixed(2)} samples/s`);
    let pytorch: Figure | { unavailable: string } = { unavailable: 'disabled with --no-pytorch' };
    if (!flags['no-pytorch']) {
      log(`  pytorch…`);
      pytorch = await measurePytorch(c, steps, threads);
      if ('ms_per_step' in pytorch) log(`  pytorch: ${pytorch.ms_per_step.toFixed(0)} ms/step, ${pytorch.samples_per_s.toFixed(2)} samples/s`);
      else log(`  pytorch: unavailable (${pytorch.unavailable})`);
    }
    results.push({ ...c, tfjs, pytorch, ...('ms_per_step' in pytorch ? { ratio_vs_pytorch: tfjs.samples_per_s / pytorch.samples_per_s } : {}) });
  }
  const summary = { benchmark: 'segmentation', backend, device: device.device, threads, steps, results };
  if (flags.json) {
    process.stdout.write(`${JSON.stringify(summary, null, 2)}\n`);
    return;
  }
  for (const r of results) {
    const p = 'ms_per_step' in r.pytorch ? `pytorch ${r.pytorch.ms_per_step.toFixed(0)} ms (${r.pytorch.samples_per_s.toFixed(2)} samples/s)` : `pytorch: ${r.pytorch.unavailable}`;
    process.stdout.write(
      `${r.model} ${r.size}x${r.size} batch ${r.batch}: ${backend} ${r.tfjs.ms_per_step.toFixed(0)} ms/step (${r.tfjs.samples_per_s.toFixed(2)} samples/s); ${p}${r.ratio_vs_pytorch ? `; ${r.ratio_vs_pytorch.toFixed(2)}x PyTorch` : ''}\n`,
    );
  }
}

async function measureTfjs(c: Case, steps: number): Promise<Figure> {
  const sample: MaskSample = { kind: 'image-mask', shape: [c.size, c.size, 3], classes: 21, ignoreIndex: 255, normalization: { mean: [0, 0, 0], std: [1, 1, 1], arithmetic: 'float32' } };
  const model = (await MODELS.get(c.model).load()).create(sample, stream(0, 'init'));
  const optimizer = await createOptimizer('sgd', { lr: 0.01 }, 0);
  const random = stream(0, 'bench');
  const inputs = tf.tensor4d(Float32Array.from({ length: c.batch * c.size * c.size * 3 }, () => random() * 2 - 1), [c.batch, c.size, c.size, 3]);
  const labels = Int32Array.from({ length: c.batch * c.size * c.size }, (_, i) => (i % (c.size * c.size) < 2 * c.size ? 255 : Math.floor(random() * 21)));
  const targets = tf.tensor3d(labels, [c.batch, c.size, c.size], 'int32');
  const step = async (k: number) => {
    const out = await trainStep(model, optimizer, (o, t) => pixelCrossEntropy(o as tf.Tensor4D, t as tf.Tensor3D, 255), inputs, targets, 0, k);
    await out.scalars;
  };
  try {
    await step(0);
    const times: number[] = [];
    for (let k = 1; k <= steps; k++) {
      const start = performance.now();
      await step(k);
      times.push(performance.now() - start);
    }
    const ms = median(times);
    return { parameters: model.variables.reduce((n, v) => n + v.size, 0), ms_per_step: ms, samples_per_s: (c.batch * 1000) / ms };
  } finally {
    tf.dispose([inputs, targets]);
    optimizer.dispose();
    model.dispose();
  }
}

async function measurePytorch(c: Case, steps: number, threads: number): Promise<Figure | { unavailable: string }> {
  const script = fileURLToPath(new URL('../../bench/pytorch/segmentation_step.py', import.meta.url));
  // Passive OpenMP waits: on a shared, loaded machine spinning worker threads made PyTorch's step
  // 8x slower (unet 64x64: 4.0 s vs 0.48 s per step at a load average of 13 on 2 cores).
  const env = { OMP_WAIT_POLICY: process.env.OMP_WAIT_POLICY ?? 'PASSIVE' };
  const args = [script, c.model, String(c.size), String(c.size), String(c.batch), String(steps), String(threads)];
  const result = await execa(process.env.GRN_PYTHON ?? 'python3', args, { reject: false, env });
  const line = String(result.stdout ?? '').trim().split('\n').at(-1);
  if (result.exitCode !== 0 || !line) return { unavailable: String(result.stderr ?? '').trim().split('\n').at(-1) || `exit code ${result.exitCode}` };
  const parsed = JSON.parse(line) as Figure & { unavailable?: string };
  return parsed.unavailable ? { unavailable: parsed.unavailable } : { parameters: parsed.parameters, ms_per_step: parsed.ms_per_step, samples_per_s: parsed.samples_per_s };
}
