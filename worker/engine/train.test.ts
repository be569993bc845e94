import assert from 'node:assert/strict';
import { rm } from 'node:fs/promises';
import { after, before, describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs-core';
import { TrialResultSchema } from '../../shared/result.js';
import { TrialConfigSchema, type TrialConfigInput } from '../../shared/trial.js';
import { writeMnistFixture } from '../../test/helpers/mnist-fixture.js';
import { cpuBackend } from './backends/cpu.js';
import type { DeviceReport } from './backends/types.js';
import { runTrial } from './trial.js';

describe('training loop (cpu backend, MLP, synthetic MNIST-format data)', () => {
  let dir: string;
  let device: DeviceReport;
  before(async () => {
    dir = await writeMnistFixture({ train: 320, test: 100 });
    device = await cpuBackend.activate();
  });
  after(() => rm(dir, { recursive: true, force: true }));

  const config = (over: Partial<TrialConfigInput> = {}) =>
    TrialConfigSchema.parse({ dataset: 'mnist', dataDir: dir, model: 'mlp', optimizer: 'sgd', epochs: 3, seed: 7, batchSize: 32, ...over });

  it('learns the synthetic digits and writes a valid result', async () => {
    const result = await runTrial(config(), { device });
    TrialResultSchema.parse(result);
    assert.equal(result.status, 'completed');
    assert.equal(result.accuracy.length, 3);
    assert.ok(result.accuracy[2]! > 0.9, `accuracy ${result.accuracy}`);
    assert.ok(result.loss[2]! < result.loss[0]!, `loss ${result.loss}`);
    assert.equal(result.batch_loss.length, 30);
    assert.equal(result.learning_rate?.length, 30);
    assert.ok(result.learning_rate?.every((lr) => lr === 0.01));
    assert.ok(result.entropy?.every((h) => h !== null && h > 0 && h <= Math.log(100)));
    assert.equal(result.mix_prob, undefined, "baselines have no mix_prob");
    assert.equal(result.memory_usage.length, 3);
    assert.equal(result.manifest.optimizer, 'sgd');
    assert.equal(result.manifest.hyperparameters.lr, 0.01);
    assert.equal(result.manifest.backend, 'cpu');
    assert.equal(result.manifest.dataset.train_samples, 320);
    assert.match(result.manifest.dataset.sha256['train-images-idx3-ubyte.gz']!, /^[0-9a-f]{64}$/);
  });

  it('gives the same loss curve for the same seed, another for another seed', async () => {
    const a = await runTrial(config({ epochs: 1, optimizer: 'adam' }), { device });
    const b = await runTrial(config({ epochs: 1, optimizer: 'adam' }), { device });
    const c = await runTrial(config({ epochs: 1, optimizer: 'adam', seed: 8 }), { device });
    assert.deepEqual(a.batch_loss, b.batch_loss);
    assert.deepEqual(a.accuracy, b.accuracy);
    assert.notDeepEqual(a.batch_loss, c.batch_loss);
  });

  it('keeps the tensor count flat across epochs', async () => {
    const counts: number[] = [];
    await runTrial(config({ epochs: 4 }), { device, listener: { onEpochEnd: () => counts.push(tf.memory().numTensors) } });
    assert.equal(counts.length, 4);
    assert.ok(counts.every((n) => n === counts[0]), `tensors per epoch: ${counts}`);
  });

  it('thins the per-batch record with telemetryEvery', async () => {
    const result = await runTrial(config({ epochs: 1, telemetryEvery: 4 }), { device });
    assert.equal(result.telemetry_every, 4);
    assert.deepEqual(result.batch_step, [0, 4, 8]); // of 10 batches
  });

  it('EnhancedSGD (intended): the controller visibly acts, and its telemetry lands in the result', async () => {
    const result = await runTrial(config({ optimizer: 'enhanced-sgd', epochs: 2 }), { device });
    TrialResultSchema.parse(result);
    assert.ok(result.accuracy[1]! > 0.5, `accuracy ${result.accuracy}`);
    const lrs = result.learning_rate!.filter((x): x is number => x !== null);
    assert.equal(lrs.length, 20);
    assert.ok(new Set(lrs).size > 1, 'lr moves');
    assert.ok(lrs.every((lr) => lr >= 0.005 - 1e-12 && lr <= 0.015 + 1e-12), 'within the clamps');
    assert.ok(new Set(result.momentum!).size > 1, 'momentum moves');
    assert.ok(result.mix_prob!.every((m) => m === 0.8));
    const state = result.optimizer_state as { mode: string; controller: { q_table: Record<string, number[]>; epsilon: number } };
    assert.equal(state.mode, 'intended');
    assert.ok(Object.keys(state.controller.q_table).length > 0);
    assert.ok(state.controller.epsilon < 0.5);
  });

  it('EnhancedSGD (seed): what the original ran — no controller, lr and momentum never move', async () => {
    const result = await runTrial(config({ optimizer: 'enhanced-sgd', hyperparameters: { controller: 'seed' }, epochs: 1 }), { device });
    assert.ok(result.learning_rate!.every((lr) => lr === 0.01));
    assert.ok(result.momentum!.every((m) => m === 0.9));
    const state = result.optimizer_state as { mode: string; controller?: unknown };
    assert.equal(state.mode, 'seed');
    assert.equal(state.controller, undefined);
    // Its entropy is the original's density version: large and negative.
    assert.ok(result.entropy!.every((h) => h !== null && h < 0));
  });

  it('ends a diverging run at its first non-finite step, keeping the last finite metrics', async () => {
    const run = () => runTrial(config({ epochs: 3, hyperparameters: { lr: 1e6 } }), { device });
    const result = await run();
    TrialResultSchema.parse(result);
    assert.equal(result.status, 'diverged');
    const d = result.divergence!;
    assert.ok(d, 'the result names where it diverged');
    assert.equal(d.epoch, 1);
    assert.ok(d.step >= 1 && d.step < 10, `step ${d.step}`);
    assert.equal(d.loss === null || d.grad_norm === null, true, 'the diverging step has a non-finite loss or gradient');
    assert.equal(d.last_finite?.step, d.step - 1);
    assert.ok(Number.isFinite(d.last_finite!.loss));
    // The partial epoch is not evaluated; the per-step record ends at the diverging step.
    assert.deepEqual(result.accuracy, []);
    assert.equal(result.batch_step.at(-1), d.step);
    assert.ok(result.batch_loss.slice(0, -1).every((l) => Number.isFinite(l)));
    // Where it diverges is a property of the run, not of how far the loop ran ahead of its reads.
    assert.deepEqual((await run()).divergence, d);
  });
});
