/**
 * Child process of `npm run bench -- engine`: activates one backend and answers, one JSON line
 * each, `run SECONDS` (SimpleCNN training samples/s) and `matmul N` (GFLOP/s); `quit` ends it.
 * Usage: node dist/bench/engine-worker.js BACKEND BATCH [HxWxC]
 */
import * as tf from '@tensorflow/tfjs-core';
import type { BackendName } from '../worker/engine/backends/index.js';
// serve-backend loads the TF.js setup before the engine's modules, as the workers always did.
import { serveBackend } from './serve-backend.js';
import { measureThroughput } from '../worker/engine/throughput.js';

const [backend, batchText, shapeText = '28x28x1'] = process.argv.slice(2) as [BackendName, string, string?];
const batch = Number(batchText);
const shape = shapeText.split('x').map(Number) as [number, number, number];
// GRN_BENCH_STATISTICS=0: the step without the gradient statistics (engine.ts --without-statistics).
const statistics = process.env.GRN_BENCH_STATISTICS !== '0';

await serveBackend(
  backend,
  // Warm up kernels and allocators before the first timed block.
  () => measureThroughput({ seconds: 0, batchSize: batch, shape, warmupSteps: backend === 'cpu' ? 0 : 3, minSteps: 1, statistics }),
  {
    run: async (seconds) => {
      const t = await measureThroughput({ seconds, batchSize: batch, shape, warmupSteps: 0, minSteps: 1, statistics });
      return { samples_per_s: t.samplesPerSecond, steps: t.steps };
    },
    matmul: async (n) => ({ gflops: await matmulGflops(n) }),
  },
);

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
