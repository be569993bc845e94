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
import { LineWorker } from './line-worker.js';
import { describeMachine, loadAverage, machineRecord } from './machine.js';
import { formatRatio, pairedRatio, RATIO_METHOD, ratioJson, type RatioEstimate } from './paired-ratio.js';

/**
 * `npm run bench -- segmentation [--json]`: milliseconds per SGD training step (forward, pixel
 * cross-entropy with ignore index 255, backward, update, loss read back) of the segmentation
 * models on a TensorFlow.js backend (default tensorflow), beside PyTorch's same step
 * (bench/pytorch/segmentation_step.py: the same U-Net, torchvision's fcn_resnet50) with the same
 * thread count. Cases: unet at --unet-size (default 64) batch 8; fcn-resnet50 at 224x224 batch 4
 * (the original's resolution and batch). Synthetic inputs: the speed of a step does not depend on
 * the pixels. Both sides are built once and warmed up by one step; then --rounds rounds each time
 * --steps steps of both, back to back (which side goes first alternates by round), and the ratio
 * to PyTorch comes from the per-round ratios with its 95 % interval (paired-ratio.ts).
 */
interface Case {
  readonly model: 'unet' | 'fcn-resnet50';
  readonly size: number;
  readonly batch: number;
}

interface Figure {
  parameters: number;
  /** Median over rounds of each round's mean ms per step. */
  ms_per_step: number;
  samples_per_s: number;
  blocks_ms: number[];
}

export async function run(args: string[]): Promise<void> {
  const flags = benchArgs(args, {
    steps: { type: 'string' },
    rounds: { type: 'string' },
    backend: { type: 'string' },
    models: { type: 'string' },
    'unet-size': { type: 'string' },
    'no-pytorch': { type: 'boolean', default: false },
  });
  const steps = Math.round(numberFlag(flags.steps, 'steps', 2));
  const rounds = Math.round(numberFlag(flags.rounds, 'rounds', 3));
  const backend = (typeof flags.backend === 'string' ? flags.backend : 'tensorflow') as BackendName;
  const unetSize = Math.round(numberFlag(flags['unet-size'], 'unet-size', 64));
  const wanted = typeof flags.models === 'string' ? flags.models.split(',') : ['unet', 'fcn-resnet50'];
  const cases: Case[] = ([{ model: 'unet', size: unetSize, batch: 8 }, { model: 'fcn-resnet50', size: 224, batch: 4 }] as const).filter((c) => wanted.includes(c.model));
  const log = (m: string) => process.stderr.write(`${m}\n`);
  const threads = cpus().length;
  const machine = machineRecord();
  const device = await activateBackend(backend);
  log(`${backend}: ${device.device}`);

  const results: Array<Case & { tfjs: Figure; pytorch: Figure | { unavailable: string }; ratio_vs_pytorch?: ReturnType<typeof ratioJson> }> = [];
  const estimates: Array<RatioEstimate | undefined> = [];
  for (const c of cases) {
    log(`${c.model} ${c.size}x${c.size} batch ${c.batch}: ${backend}…`);
    const tfjs = await TfjsSide.start(c);
    let torch: LineWorker | { unavailable: string } = { unavailable: 'disabled with --no-pytorch' };
    try {
      if (!flags['no-pytorch']) torch = await startPytorch(c, threads);
      const tfBlocks: number[] = [];
      const torchBlocks: number[] = [];
      for (let round = 0; round < rounds; round++) {
        // Alternating who goes first cancels a steady drift of the machine's speed over a round.
        const order = round % 2 === 0 ? (['tfjs', 'torch'] as const) : (['torch', 'tfjs'] as const);
        for (const side of order) {
          if (side === 'tfjs') tfBlocks.push(await tfjs.block(steps));
          else if (torch instanceof LineWorker) torchBlocks.push((await torch.ask(`steps ${steps}`)).ms_per_step!);
        }
        log(`  round ${round + 1}/${rounds}: ${backend} ${tfBlocks.at(-1)!.toFixed(0)} ms/step${torch instanceof LineWorker ? `, pytorch ${torchBlocks.at(-1)!.toFixed(0)} ms/step` : ''}`);
      }
      const tfFigure = figure(tfjs.parameters, c.batch, tfBlocks);
      const pytorch = torch instanceof LineWorker ? figure(Number(torch.ready.parameters), c.batch, torchBlocks) : torch;
      // A ratio of speeds: PyTorch's ms over ours, round by round.
      const estimate = torch instanceof LineWorker ? pairedRatio(torchBlocks, tfBlocks) : undefined;
      estimates.push(estimate);
      results.push({ ...c, tfjs: tfFigure, pytorch, ...(estimate ? { ratio_vs_pytorch: ratioJson(estimate) } : {}) });
    } finally {
      tfjs.dispose();
      if (torch instanceof LineWorker) await torch.stop().catch(() => undefined);
    }
  }
  const summary = { benchmark: 'segmentation', machine: { ...machine, load_average_end: loadAverage() }, ratio_method: RATIO_METHOD, backend, device: device.device, threads, steps, rounds, results };
  if (flags.json) {
    process.stdout.write(`${JSON.stringify(summary, null, 2)}\n`);
    return;
  }
  process.stdout.write(`machine: ${describeMachine(machine, summary.machine.load_average_end)}\nvs PyTorch: ${RATIO_METHOD}\n`);
  results.forEach((r, i) => {
    const p = 'ms_per_step' in r.pytorch ? `pytorch ${r.pytorch.ms_per_step.toFixed(0)} ms (${r.pytorch.samples_per_s.toFixed(2)} samples/s)` : `pytorch: ${r.pytorch.unavailable}`;
    const estimate = estimates[i];
    process.stdout.write(
      `${r.model} ${r.size}x${r.size} batch ${r.batch}: ${backend} ${r.tfjs.ms_per_step.toFixed(0)} ms/step (${r.tfjs.samples_per_s.toFixed(2)} samples/s); ${p}${estimate ? `; ${formatRatio(estimate, 2)} PyTorch's speed` : ''}\n`,
    );
  });
}

function figure(parameters: number, batch: number, blocksMs: number[]): Figure {
  const ms = median(blocksMs);
  return { parameters, ms_per_step: ms, samples_per_s: (batch * 1000) / ms, blocks_ms: blocksMs };
}

/** The TensorFlow.js side of a case: model, optimizer and batch built once, timed block by block. */
class TfjsSide {
  private k = 0;

  private constructor(
    readonly parameters: number,
    private readonly step: (k: number) => Promise<void>,
    readonly dispose: () => void,
  ) {}

  static async start(c: Case): Promise<TfjsSide> {
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
    const side = new TfjsSide(model.variables.reduce((n, v) => n + v.size, 0), step, () => {
      tf.dispose([inputs, targets]);
      optimizer.dispose();
      model.dispose();
    });
    await side.block(1); // warm-up: kernels, allocators
    return side;
  }

  /** Mean ms per step over `steps` steps. */
  async block(steps: number): Promise<number> {
    const start = performance.now();
    for (let i = 0; i < steps; i++) await this.step(this.k++);
    return (performance.now() - start) / steps;
  }
}

async function startPytorch(c: Case, threads: number): Promise<LineWorker | { unavailable: string }> {
  const script = fileURLToPath(new URL('../../bench/pytorch/segmentation_step.py', import.meta.url));
  // Passive OpenMP waits: on a shared, loaded machine spinning worker threads made PyTorch's step
  // 8x slower (unet 64x64: 4.0 s vs 0.48 s per step at a load average of 13 on 2 cores).
  const env = { OMP_WAIT_POLICY: process.env.OMP_WAIT_POLICY ?? 'PASSIVE' };
  return LineWorker.start(process.env.GRN_PYTHON ?? 'python3', [script, c.model, String(c.size), String(c.size), String(c.batch), 'serve', String(threads)], env);
}
