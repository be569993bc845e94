/**
 * Child process of `npm run bench -- engine`: activates one backend and answers, one JSON line
 * each, `run SECONDS` (SimpleCNN training samples/s) and `matmul N` (GFLOP/s); `quit` ends it.
 * Usage: node dist/bench/engine-worker.js BACKEND BATCH [HxWxC]
 */
import * as tf from '@tensorflow/tfjs-core';
import { createInterface } from 'node:readline';
import { activateBackend, type BackendName } from '../worker/engine/backends/index.js';
import '../worker/engine/tfjs-setup.js';
import { measureThroughput } from '../worker/engine/throughput.js';

const [backend, batchText, shapeText = '28x28x1'] = process.argv.slice(2) as [BackendName, string, string?];
const batch = Number(batchText);
const shape = shapeText.split('x').map(Number) as [number, number, number];
const say = (value: unknown) => process.stdout.write(`${JSON.stringify(value)}\n`);

try {
  const report = await activateBackend(backend);
  // Warm up kernels and allocators before the first timed block.
  await measureThroughput({ seconds: 0, batchSize: batch, shape, warmupSteps: backend === 'cpu' ? 0 : 3, minSteps: 1 });
  say({ ready: true, device: report.device, gpu: report.gpu });
} catch (err) {
  say({ unavailable: (err as Error).message });
  process.exit(0);
}

for await (const line of createInterface({ input: process.stdin })) {
  const [command, arg] = line.trim().split(/\s+/);
  if (command === 'run') {
    const t = await measureThroughput({ seconds: Number(arg), batchSize: batch, shape, warmupSteps: 0, minSteps: 1 });
    say({ samples_per_s: t.samplesPerSecond, steps: t.steps });
  } else if (command === 'matmul') {
    say({ gflops: await matmulGflops(Number(arg)) });
  } else break;
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
