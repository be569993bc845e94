import * as tf from '@tensorflow/tfjs-core';
import { cpus } from 'node:os';
import { median } from 'simple-statistics';
import { backends, type Backend, type DeviceReport } from '../worker/engine/backends/index.js';
import '../worker/engine/tfjs-setup.js';
import { measureThroughput } from '../worker/engine/throughput.js';
import { benchArgs, numberFlag } from './args.js';
import { PyTorchReference } from './pytorch.js';

/**
 * `npm run bench -- engine`: samples/s of the SimpleCNN training step (batch 64, MNIST shape) on
 * every available backend, side by side, and against PyTorch CPU with the same thread count when
 * torch is importable. Fast backends and PyTorch run in alternating blocks, so load on the machine
 * hits both alike; the ratio is the median of the per-round ratios.
 */

/** Forward FLOPs of SimpleCNN on one 28x28x1 image (multiply-adds count 2). */
const FORWARD_FLOPS = 2 * (28 * 28 * 32 * 9 * 1 + 14 * 14 * 64 * 9 * 32 + 3136 * 128 + 128 * 10);
/** A training step is about three forward passes (forward, input gradients, weight gradients). */
const STEP_FLOPS_PER_SAMPLE = 3 * FORWARD_FLOPS;
/** Backends slower than this (samples/s) get one short block instead of the alternating rounds. */
const SLOW = 100;

interface BackendFigure {
  device: string;
  gpu: boolean;
  batch: number;
  samples_per_s: number;
  blocks: number[];
  step_gflops: number;
  matmul_gflops: number;
  ratio_vs_pytorch?: number;
}

export async function run(args: string[]): Promise<void> {
  const flags = benchArgs(args, {
    seconds: { type: 'string' },
    rounds: { type: 'string' },
    backends: { type: 'string' },
    'no-pytorch': { type: 'boolean', default: false },
  });
  const seconds = numberFlag(flags.seconds, 'seconds', 3);
  const rounds = Math.round(numberFlag(flags.rounds, 'rounds', 3));
  const wanted = typeof flags.backends === 'string' ? flags.backends.split(',') : null;
  const log = (m: string) => process.stderr.write(`${m}\n`);
  const threads = cpus().length;

  const active: Array<{ backend: Backend; report: DeviceReport }> = [];
  const unavailable: Record<string, string> = {};
  for (const backend of backends) {
    if (wanted && !wanted.includes(backend.name)) continue;
    const availability = await backend.probe().catch((e: Error) => ({ ok: false as const, reason: e.message }));
    if (!availability.ok) {
      unavailable[backend.name] = availability.reason;
      continue;
    }
    try {
      active.push({ backend, report: await backend.activate() });
    } catch (err) {
      unavailable[backend.name] = (err as Error).message;
    }
  }

  let torch: PyTorchReference | null = null;
  let torchUnavailable: string | undefined;
  if (!flags['no-pytorch']) {
    const started = await PyTorchReference.start(threads, 64);
    if (started instanceof PyTorchReference) torch = started;
    else torchUnavailable = started.unavailable;
  }

  const figures: Record<string, BackendFigure> = {};
  const torchBlocks: number[] = [];
  const pairRatios: Record<string, number[]> = {};
  let machineMatmul: number | undefined;
  try {
    // A first short probe sorts the backends into fast (alternating rounds) and slow (one block).
    const fast: typeof active = [];
    for (const { backend, report } of active) {
      await tf.setBackend(backend.name);
      const matmul = matmulGflops(backend.name === 'cpu' ? 256 : 512);
      const batch = backend.name === 'cpu' ? 16 : 64;
      log(`${backend.name}: probing (${report.device})`);
      const probe = await measureThroughput({ seconds: Math.min(1, seconds), batchSize: batch, warmupSteps: backend.name === 'cpu' ? 0 : 2, minSteps: 1 });
      figures[backend.name] = {
        device: report.device,
        gpu: report.gpu,
        batch,
        samples_per_s: probe.samplesPerSecond,
        blocks: [probe.samplesPerSecond],
        step_gflops: 0,
        matmul_gflops: await matmul,
      };
      if (probe.samplesPerSecond >= SLOW) {
        fast.push({ backend, report });
        figures[backend.name]!.blocks = [];
      }
    }
    for (let round = 0; round < rounds; round++) {
      let torchBlock: number | undefined;
      if (torch) {
        torchBlock = await torch.samplesPerSecond(seconds);
        torchBlocks.push(torchBlock);
      }
      for (const { backend } of fast) {
        await tf.setBackend(backend.name);
        const t = await measureThroughput({ seconds, batchSize: 64, warmupSteps: 1 });
        figures[backend.name]!.blocks.push(t.samplesPerSecond);
        if (torchBlock) (pairRatios[backend.name] ??= []).push(t.samplesPerSecond / torchBlock);
        log(`round ${round + 1}/${rounds} ${backend.name}: ${Math.round(t.samplesPerSecond)} samples/s${torchBlock ? `, pytorch ${Math.round(torchBlock)}` : ''}`);
      }
    }
    // The machine's matmul rate, measured by PyTorch's BLAS where available: the roof a step can reach.
    if (torch) machineMatmul = await torch.matmulGflops(1024);
  } finally {
    if (torch) await torch.stop().catch(() => undefined);
  }

  for (const [name, f] of Object.entries(figures)) {
    f.samples_per_s = median(f.blocks);
    f.step_gflops = (f.samples_per_s * STEP_FLOPS_PER_SAMPLE) / 1e9;
    if (pairRatios[name]) f.ratio_vs_pytorch = median(pairRatios[name]!);
  }
  const cpuSide = Object.entries(figures).filter(([, f]) => !f.gpu);
  const fastestCpu = cpuSide.sort((a, b) => b[1].samples_per_s - a[1].samples_per_s)[0];
  const pytorch = torchBlocks.length ? { version: torch!.version, threads: torch!.threads, samples_per_s: median(torchBlocks), blocks: torchBlocks } : undefined;
  const summary = {
    benchmark: 'engine',
    model: 'simple-cnn',
    batch: 64,
    threads,
    seconds_per_block: seconds,
    rounds,
    step_mflops_per_sample: STEP_FLOPS_PER_SAMPLE / 1e6,
    machine_matmul_gflops: machineMatmul ?? Math.max(...Object.values(figures).map((f) => f.matmul_gflops)),
    backends: figures,
    unavailable,
    pytorch: pytorch ?? { unavailable: torchUnavailable ?? 'disabled with --no-pytorch' },
    fastest_cpu_backend: fastestCpu?.[0] ?? null,
    fastest_cpu_ratio_vs_pytorch: fastestCpu?.[1].ratio_vs_pytorch ?? null,
  };
  if (flags.json) {
    process.stdout.write(`${JSON.stringify(summary, null, 2)}\n`);
    return;
  }
  const rows = Object.entries(figures).map(([name, f]) => [
    name,
    f.device,
    String(f.batch),
    f.samples_per_s.toFixed(1),
    f.step_gflops.toFixed(2),
    f.matmul_gflops.toFixed(1),
    f.ratio_vs_pytorch !== undefined ? `${f.ratio_vs_pytorch.toFixed(2)}x` : '-',
  ]);
  if (pytorch) rows.push(['pytorch', `torch ${pytorch.version}, ${pytorch.threads} threads`, '64', pytorch.samples_per_s.toFixed(1), ((pytorch.samples_per_s * STEP_FLOPS_PER_SAMPLE) / 1e9).toFixed(2), '-', '1.00x']);
  process.stdout.write(`machine: ${threads} threads, 1024x1024 matmul ${summary.machine_matmul_gflops.toFixed(1)} GFLOP/s${machineMatmul ? ' (PyTorch)' : ''}\n`);
  printTable(['backend', 'device', 'batch', 'samples/s', 'step GFLOP/s', 'matmul GFLOP/s', 'vs PyTorch'], rows);
  for (const [name, reason] of Object.entries(unavailable)) process.stdout.write(`${name}: unavailable (${reason})\n`);
  if (!pytorch) process.stdout.write(`pytorch: not measured (${torchUnavailable ?? 'disabled'})\n`);
}

/** GFLOP/s of an n x n float32 matmul on the active backend, timed to completion. */
async function matmulGflops(n: number): Promise<number> {
  const a = tf.randomNormal([n, n]);
  const b = tf.randomNormal([n, n]);
  const once = async () => {
    const c = tf.matMul(a, b);
    await c.data();
    c.dispose();
  };
  await once();
  let reps = 0;
  const started = performance.now();
  while (reps < 2 || performance.now() - started < 500) {
    await once();
    reps++;
  }
  const secs = (performance.now() - started) / 1000;
  tf.dispose([a, b]);
  return (2 * n ** 3 * reps) / secs / 1e9;
}

function printTable(header: string[], rows: string[][]): void {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i]!)).join('  ');
  process.stdout.write(`${line(header)}\n${widths.map((w) => '-'.repeat(w)).join('  ')}\n${rows.map(line).join('\n')}\n`);
}
