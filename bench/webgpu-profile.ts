/**
 * `npm run bench -- webgpu-profile [--steps N] [--optimizers sgd,enhanced-sgd] [--batch 64] [--json]`:
 * where a WebGPU training step's work goes, counted on whatever adapter Dawn gives (a GPU, or
 * lavapipe on a machine without one): compute dispatches per step and by program, queue submits,
 * host reads (the GPU → host copies a step waits for) with their bytes, tensor uploads and
 * uniform writes with theirs. The counts are the same on any adapter; the milliseconds only mean
 * something on a GPU. The instrument wraps the tfjs WebGPU backend's own methods on its instance
 * (runWebGPUProgram, submitQueue, getBufferData, uploadToGPU, its queue's writeBuffer), so what is
 * counted is what the backend does.
 */
import * as tf from '@tensorflow/tfjs-core';
import { UsageError } from '../shared/errors.js';
import { activateBackend } from '../worker/engine/backends/index.js';
import { benchArgs, numberFlag } from './args.js';
import { fullStepContender, syntheticBatch } from './optimizer-contenders.js';

/** The part of tfjs's WebGPUBackend the instrument wraps. */
interface WebGpuBackendLike {
  runWebGPUProgram(program: { constructor: { name: string }; shaderKey?: string }, ...rest: unknown[]): unknown;
  submitQueue(): void;
  getBufferData(buffer: { size: number }): Promise<unknown>;
  uploadToGPU(dataId: unknown): void;
  tensorMap: { get(dataId: unknown): { values?: ArrayLike<number> | null; resource?: unknown; dtype: string } | undefined };
  queue: { writeBuffer(buffer: unknown, offset: number, data: ArrayBufferLike | ArrayBufferView, dataOffset?: number, size?: number): void };
}

/** What the backend did, counted since the last reset. */
interface Counts {
  dispatches: number;
  programs: Map<string, number>;
  submits: number;
  reads: number;
  readBytes: number;
  uploads: number;
  uploadBytes: number;
  uniformWrites: number;
  uniformBytes: number;
}

const empty = (): Counts => ({ dispatches: 0, programs: new Map(), submits: 0, reads: 0, readBytes: 0, uploads: 0, uploadBytes: 0, uniformWrites: 0, uniformBytes: 0 });

/** Wraps the backend's methods on its instance; returns the live counts and a reset. */
function instrument(backend: WebGpuBackendLike): { counts: () => Counts; reset: () => void } {
  let c = empty();
  const run = backend.runWebGPUProgram.bind(backend);
  backend.runWebGPUProgram = (program, ...rest) => {
    c.dispatches += 1;
    const name = program.constructor.name;
    c.programs.set(name, (c.programs.get(name) ?? 0) + 1);
    return run(program, ...rest);
  };
  const submit = backend.submitQueue.bind(backend);
  backend.submitQueue = () => {
    c.submits += 1;
    submit();
  };
  const read = backend.getBufferData.bind(backend);
  backend.getBufferData = (buffer) => {
    c.reads += 1;
    c.readBytes += buffer.size;
    return read(buffer);
  };
  const upload = backend.uploadToGPU.bind(backend);
  backend.uploadToGPU = (dataId) => {
    const data = backend.tensorMap.get(dataId);
    // It copies host values only for a tensor not yet on the GPU that has them.
    if (data && data.resource == null && data.values) {
      c.uploads += 1;
      c.uploadBytes += data.values.length * 4;
    }
    upload(dataId);
  };
  const queue = backend.queue;
  const writeBuffer = queue.writeBuffer.bind(queue);
  // Dawn's queue is a native object: a proxy that counts writeBuffer and passes the rest through.
  backend.queue = new Proxy(queue, {
    get(target, key) {
      if (key === 'writeBuffer') {
        return (buffer: unknown, offset: number, data: ArrayBufferLike | ArrayBufferView, dataOffset?: number, size?: number) => {
          c.uniformWrites += 1;
          c.uniformBytes += size ?? data.byteLength;
          return writeBuffer(buffer, offset, data, dataOffset, size);
        };
      }
      const value = Reflect.get(target, key) as unknown;
      return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
    },
  });
  return { counts: () => c, reset: () => (c = empty()) };
}

export async function run(args: string[]): Promise<void> {
  const flags = benchArgs(args, {
    steps: { type: 'string' },
    batch: { type: 'string' },
    optimizers: { type: 'string' },
  });
  const steps = Math.round(numberFlag(flags.steps, 'steps', 10));
  const batch = Math.round(numberFlag(flags.batch, 'batch', 64));
  const optimizers = typeof flags.optimizers === 'string' ? flags.optimizers.split(',').filter(Boolean) : ['sgd', 'enhanced-sgd'];
  if (!optimizers.length) throw new UsageError('--optimizers: name at least one optimizer');
  const device = await activateBackend('webgpu');
  const backend = tf.backend() as unknown as WebGpuBackendLike;
  const meter = instrument(backend);
  const data = syntheticBatch(batch);
  const log = (m: string) => process.stderr.write(`${m}\n`);
  const perOptimizer: Record<string, unknown> = {};
  try {
    for (const optimizer of optimizers) {
      // Three untimed steps first: pipelines compiled, buffers pooled, the optimizer's slots made.
      const contender = await fullStepContender({ name: optimizer, optimizer }, data, 3);
      try {
        meter.reset();
        const started = performance.now();
        for (let i = 0; i < steps; i++) await contender.unit();
        const ms = (performance.now() - started) / steps;
        const c = meter.counts();
        const per = (n: number) => Math.round((n / steps) * 10) / 10;
        const programs = Object.fromEntries([...c.programs].sort((a, b) => b[1] - a[1]).map(([name, n]) => [name, per(n)]));
        perOptimizer[optimizer] = {
          ms_per_step: Math.round(ms * 100) / 100,
          dispatches: per(c.dispatches),
          submits: per(c.submits),
          host_reads: per(c.reads),
          host_read_bytes: per(c.readBytes),
          uploads: per(c.uploads),
          upload_bytes: per(c.uploadBytes),
          uniform_writes: per(c.uniformWrites),
          uniform_bytes: per(c.uniformBytes),
          programs,
        };
        log(`${optimizer}: ${JSON.stringify(perOptimizer[optimizer])}`);
      } finally {
        contender.dispose();
      }
    }
  } finally {
    data.dispose();
  }
  const result = { benchmark: 'webgpu-profile', device: device.device, gpu: device.gpu, batch, steps, per_step: perOptimizer };
  if (flags.json) {
    process.stdout.write(`${JSON.stringify(result)}\n`);
    return;
  }
  process.stdout.write(`WebGPU step profile on ${device.device}${device.gpu ? '' : ' (not a GPU: counts hold, times do not)'}, SimpleCNN batch ${batch}, per step over ${steps} steps\n`);
  for (const [name, f] of Object.entries(perOptimizer) as Array<[string, Record<string, unknown>]>) {
    process.stdout.write(
      `  ${name}: ${f['ms_per_step']} ms; ${f['dispatches']} dispatches, ${f['submits']} submits, ${f['host_reads']} host reads (${f['host_read_bytes']} B), ${f['uploads']} uploads (${f['upload_bytes']} B), ${f['uniform_writes']} uniform writes (${f['uniform_bytes']} B)\n`,
    );
    const top = Object.entries(f['programs'] as Record<string, number>).slice(0, 8);
    process.stdout.write(`    most dispatched: ${top.map(([p, n]) => `${p} ${n}`).join(', ')}\n`);
  }
}
