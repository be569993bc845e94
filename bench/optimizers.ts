import * as tf from '@tensorflow/tfjs-core';
import { median } from 'simple-statistics';
import { activateBackend } from '../worker/engine/backends/index.js';
import type { HyperParameterValue } from '../shared/trial.js';
import type { Optimizer } from '../worker/engine/optimizers/index.js';
import '../worker/engine/tfjs-setup.js';
import { permutation, stream } from '../worker/engine/random.js';
import { measureThroughput } from '../worker/engine/throughput.js';
import { benchArgs, numberFlag } from './args.js';
import { withHostStatistics } from './host-statistics.js';

/**
 * `npm run bench -- optimizers`: ms per SimpleCNN training step (batch 64) for every optimizer on
 * the fastest available backend, side by side, in interleaved rounds; each variant's ratio to SGD
 * is the median of its per-round ratios; the order of the variants is shuffled every round. EnhancedSGD is measured as configured by default
 * (intended mode), in the seed-faithful mode with the retention buffer on, and with every
 * gradient copied to the host for its statistics, as the original did.
 */
interface Variant {
  name: string;
  optimizer: string;
  hyperparameters?: Record<string, HyperParameterValue>;
  wrap?: (o: Optimizer) => Optimizer;
}

const VARIANTS: Variant[] = [
  { name: 'sgd', optimizer: 'sgd' },
  { name: 'adam', optimizer: 'adam' },
  { name: 'adamw', optimizer: 'adamw' },
  { name: 'rmsprop', optimizer: 'rmsprop' },
  { name: 'nadamw', optimizer: 'nadamw' },
  { name: 'enhanced_sgd', optimizer: 'enhanced-sgd' },
  { name: 'enhanced_sgd_seed_retention', optimizer: 'enhanced-sgd', hyperparameters: { controller: 'seed', retention: true } },
  { name: 'enhanced_sgd_host_copy', optimizer: 'enhanced-sgd', wrap: withHostStatistics },
];

export async function run(args: string[]): Promise<void> {
  const flags = benchArgs(args, { seconds: { type: 'string' }, rounds: { type: 'string' }, backend: { type: 'string' } });
  const seconds = numberFlag(flags.seconds, 'seconds', 2);
  const rounds = Math.round(numberFlag(flags.rounds, 'rounds', 3));
  const device = await activateBackend((flags.backend as 'auto' | undefined) ?? 'auto');
  process.stderr.write(`optimizers on ${device.backend} (${device.device})\n`);
  const random = stream(rounds, 'bench-optimizers-order');
  const ms: Record<string, number[]> = {};
  const ratios: Record<string, number[]> = {};
  for (let round = 0; round < rounds; round++) {
    const thisRound: Record<string, number> = {};
    // A fresh order every round, so a drift in the machine's speed within a round (seen here:
    // ±10 % over a minute) does not always favour the same variants.
    const order = permutation(VARIANTS.length, random);
    for (const index of order) {
      const v = VARIANTS[index]!;
      const t = await measureThroughput({ seconds, optimizer: v.optimizer, hyperparameters: v.hyperparameters, wrapOptimizer: v.wrap, warmupSteps: 3 });
      thisRound[v.name] = t.msPerStep;
      (ms[v.name] ??= []).push(t.msPerStep);
      process.stderr.write(`round ${round + 1}/${rounds} ${v.name}: ${t.msPerStep.toFixed(1)} ms/step\n`);
    }
    for (const v of VARIANTS) (ratios[v.name] ??= []).push(thisRound[v.name]! / thisRound.sgd!);
  }
  const summary: Record<string, unknown> = {
    benchmark: 'optimizers',
    backend: device.backend,
    device: device.device,
    model: 'simple-cnn',
    batch: 64,
    rounds,
    seconds_per_block: seconds,
    tensors_after: tf.memory().numTensors,
  };
  for (const v of VARIANTS) {
    summary[`${v.name}_ms_per_step`] = median(ms[v.name]!);
    summary[`${v.name}_ratio_vs_sgd`] = median(ratios[v.name]!);
  }
  if (flags.json) {
    process.stdout.write(`${JSON.stringify(summary, null, 2)}\n`);
    return;
  }
  process.stdout.write(`SimpleCNN training step, batch 64, on ${device.backend} (${device.device}); median of ${rounds} interleaved rounds\n`);
  process.stdout.write(`${'optimizer'.padEnd(30)}${'ms/step'.padStart(10)}${'vs sgd'.padStart(10)}\n`);
  for (const v of VARIANTS) {
    process.stdout.write(`${v.name.padEnd(30)}${median(ms[v.name]!).toFixed(1).padStart(10)}${`${median(ratios[v.name]!).toFixed(3)}x`.padStart(10)}\n`);
  }
}
