import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs-core';
import { cpuBackend } from '../backends/cpu.js';
import '../tfjs-setup.js';
import { createStepContext, disposeStepContext } from './context.js';
import { OPTIMIZERS } from './catalog.js';
import { createOptimizer } from './index.js';
import type { Optimizer } from './types.js';

/** One step with a real step context (statistics included), as the training loop makes it. */
async function applyStep(optimizer: Optimizer, p: tf.Variable, grad: tf.Tensor, loss: tf.Scalar, step: number): Promise<void> {
  const context = createStepContext([grad], loss, 0, step);
  await optimizer.apply([p], [grad], context);
  await context.readScalars();
  disposeStepContext(context);
}

/**
 * Three steps of each optimizer on one parameter tensor with fixed gradients, against the
 * trajectories torch.optim produces for the same input (test/reference/optimizers.py, PyTorch 2.13).
 */
const P0 = [0.5, -1.0, 2.0, 0.25];
const GRADS = [
  [0.1, -0.2, 0.3, 0.4],
  [-0.5, 0.05, 0.2, -0.1],
  [0.3, 0.3, -0.3, 0.0],
];
const CASES: Array<{ label: string; optimizer: string; hp: Record<string, number | boolean>; expected: number[][] }> = [
  { label: 'sgd', optimizer: 'sgd', hp: {}, expected: [[0.499, -0.998, 1.997, 0.246], [0.5031, -0.9967, 1.9923, 0.2434], [0.50379, -0.99853, 1.99107, 0.24106]] },
  { label: 'sgd_nesterov_wd', optimizer: 'sgd', hp: {"lr": 0.1, "momentum": 0.8, "nesterov": true, "weight_decay": 0.05}, expected: [[0.4775, -0.955, 1.928, 0.17575], [0.5552025, -0.939405, 1.849048, 0.16576825], [0.5202776775, -0.972294355, 1.846956968, 0.1489939357]] },
  { label: 'adam', optimizer: 'adam', hp: {}, expected: [[0.4990000001, -0.9990000001, 1.999, 0.249], [0.4995983543, -0.9985305319, 1.9980296479, 0.2485305319], [0.4996728887, -0.9988517888, 1.9978620437, 0.2481676316]] },
  { label: 'adam_wd', optimizer: 'adam', hp: {"lr": 0.1, "weight_decay": 0.1}, expected: [[0.4000000067, -0.9000000033, 1.900000002, 0.1500000024], [0.4499869187, -0.8237429197, 1.8013947412, 0.0988973963], [0.4443412319, -0.8132185022, 1.7383750066, 0.0579465328]] },
  { label: 'adamw', optimizer: 'adamw', hp: {"lr": 0.1}, expected: [[0.39950001, -0.899000005, 1.8980000033, 0.1497500025], [0.4589359265, -0.8511541911, 1.7990667943, 0.102653437], [0.465930431, -0.8824287269, 1.7805073007, 0.0662607594]] },
  { label: 'rmsprop', optimizer: 'rmsprop', hp: {"lr": 0.01}, expected: [[0.4000001, -0.90000005, 1.9000000333, 0.150000025], [0.4980770111, -0.9243685471, 1.8443370148, 0.174368528], [0.4471711059, -1.0070413905, 1.9086181076, 0.174368528]] },
  { label: 'rmsprop_centered_momentum', optimizer: 'rmsprop', hp: {"lr": 0.01, "centered": true, "momentum": 0.5}, expected: [[0.3994963195, -0.899496269, 1.8994962521, 0.1494962437], [0.447626208, -0.8736765418, 1.7930410901, 0.1236765099], [0.4207783514, -0.9435135679, 1.8041490856, 0.1107666429]] },
  { label: 'nadamw', optimizer: 'nadamw', hp: {"lr": 0.1}, expected: [[0.3938548327, -0.8933548274, 1.8923548257, 0.1441048248], [0.4946953812, -0.9116992984, 1.8272302934, 0.1631985464], [0.4420209504, -1.0012171959, 1.8902891455, 0.1584172079]] },
];

describe('optimizers match PyTorch', async () => {
  before(async () => {
    await cpuBackend.activate();
  });

  for (const c of CASES) {
    it(`${c.label}: three steps equal torch.optim's`, async () => {
      const optimizer = await createOptimizer(c.optimizer, c.hp, 0);
      const p = tf.variable(tf.tensor1d(P0));
      const loss = tf.scalar(0);
      for (const [step, g] of GRADS.entries()) {
        const grad = tf.tensor1d(g);
        await applyStep(optimizer, p, grad, loss, step);
        grad.dispose();
        const got = Array.from(p.dataSync());
        c.expected[step]!.forEach((want, i) => {
          assert.ok(Math.abs(got[i]! - want) <= 2e-6 + 1e-5 * Math.abs(want), `step ${step + 1} [${i}]: ${got[i]} vs torch ${want}`);
        });
      }
      optimizer.dispose();
      p.dispose();
      loss.dispose();
    });
  }

  it('covers every registered optimizer', async () => {
    const tested = new Set(CASES.map((c) => c.optimizer));
    // EnhancedSGD has no torch.optim twin: its own tests (enhanced-sgd/) pin it to the spec.
    for (const name of OPTIMIZERS.names.filter((n) => n !== 'enhanced-sgd')) assert.ok(tested.has(name), `no PyTorch reference test for ${name}`);
  });

  it('leaks no tensors across steps', async () => {
    const optimizer = await createOptimizer('adamw', {}, 0);
    const p = tf.variable(tf.tensor1d(P0));
    const grad = tf.tensor1d(GRADS[0]!);
    const loss = tf.scalar(0);
    await applyStep(optimizer, p, grad, loss, 0);
    const before = tf.memory().numTensors;
    for (let step = 1; step < 5; step++) await applyStep(optimizer, p, grad, loss, step);
    assert.equal(tf.memory().numTensors, before);
    optimizer.dispose();
    tf.dispose([p, grad, loss]);
  });

  it('uses the seed\'s defaults', async () => {
    assert.equal((await createOptimizer('sgd', {}, 0)).hyperparameters.lr, 0.01);
    assert.equal((await createOptimizer('sgd', {}, 0)).hyperparameters.momentum, 0.9);
    for (const name of ['adam', 'adamw', 'rmsprop', 'nadamw']) assert.equal((await createOptimizer(name, {}, 0)).hyperparameters.lr, 1e-3);
    assert.equal((await createOptimizer('adamw', {}, 0)).hyperparameters.weight_decay, 0.01);
  });

  it('rejects an unknown hyper-parameter, naming it and the known ones', async () => {
    await assert.rejects(() => createOptimizer('adam', { betta1: 0.8 }, 0), /optimizer 'adam': unknown hyper-parameter 'betta1' \(known: lr, beta1, beta2, eps, weight_decay\)/);
    await assert.rejects(() => createOptimizer('sgd', { lr: -1 }, 0), /optimizer 'sgd': lr: /);
    await assert.rejects(() => createOptimizer('adma', {}, 0), /unknown optimizer 'adma' \(did you mean 'adam'\?\); known: sgd, adam, adamw, rmsprop, nadamw, enhanced-sgd/);
  });
});
