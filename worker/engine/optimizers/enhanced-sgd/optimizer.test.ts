import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs-core';
import { cpuBackend } from '../../backends/cpu.js';
import '../../tfjs-setup.js';
import { createStepContext, disposeStepContext } from '../context.js';
import { createOptimizer } from '../index.js';
import type { Optimizer, OptimizerTelemetry } from '../types.js';

const P0 = [[0.5, -1.0, 2.0, 0.25], [0.1, 0.2, 0.3, -0.4, -0.5, -0.6]];
const SHAPES = [[4], [2, 3]];
const GRADS = [
  [[0.1, -0.2, 0.3, 0.4], [0.01, 0.02, -0.03, 0.04, 0.05, -0.06]],
  [[-0.5, 0.05, 0.2, -0.1], [0.02, -0.01, 0.0, 0.03, -0.02, 0.01]],
  [[0.3, 0.3, -0.3, 0.0], [-0.04, 0.05, 0.06, -0.07, 0.08, 0.09]],
];

interface Run {
  params: number[][];
  telemetry: OptimizerTelemetry[];
  optimizer: Optimizer;
}

/** Runs `steps` steps with real step contexts (statistics on the device), as the training loop does. */
async function run(hp: Record<string, string | number | boolean>, options: { steps?: number; losses?: number[]; epoch?: number; grads?: number[][][]; seed?: number } = {}): Promise<Run> {
  const optimizer = createOptimizer('enhanced-sgd', hp, options.seed ?? 1);
  const vars = P0.map((p, i) => tf.tidy(() => tf.variable(tf.tensor(p, SHAPES[i]))));
  const telemetry: OptimizerTelemetry[] = [];
  const grads = options.grads ?? GRADS;
  const steps = options.steps ?? grads.length;
  for (let step = 0; step < steps; step++) {
    const g = grads[step % grads.length]!.map((values, i) => tf.tensor(values, SHAPES[i]));
    const loss = tf.scalar(options.losses?.[step] ?? 1.0);
    const context = createStepContext(g, loss, options.epoch ?? 0, step);
    await optimizer.apply(vars, g, context);
    telemetry.push(await optimizer.telemetry!());
    await context.readScalars();
    disposeStepContext(context);
    tf.dispose([...g, loss]);
  }
  const params = await Promise.all(vars.map(async (v) => Array.from(await v.data())));
  tf.dispose(vars);
  return { params, telemetry, optimizer };
}

/** Plain momentum SGD with optional per-tensor centering, computed in JS. */
function reference(options: { centering: boolean; lr?: number; momentum?: number }): number[][] {
  const lr = options.lr ?? 0.01;
  const mu = options.momentum ?? 0.9;
  const params = P0.map((p) => [...p]);
  const buffers = P0.map((p) => p.map(() => 0));
  for (const step of GRADS) {
    step.forEach((g, t) => {
      const mean = options.centering ? g.reduce((a, b) => a + b, 0) / g.length : 0;
      g.forEach((x, k) => {
        buffers[t]![k] = mu * buffers[t]![k]! + (x - mean);
        params[t]![k] = params[t]![k]! - lr * buffers[t]![k]!;
      });
    });
  }
  return params;
}

function assertClose(got: number[][], want: number[][], tolerance = 1e-6): void {
  got.forEach((row, t) => row.forEach((x, k) => assert.ok(Math.abs(x - want[t]![k]!) <= tolerance, `[${t}][${k}] ${x} vs ${want[t]![k]}`)));
}

describe('EnhancedSGD', () => {
  before(async () => {
    await cpuBackend.activate();
  });

  it('off mode is plain SGD with momentum 0.9 (the sgd optimizer’s trajectory)', async () => {
    const r = await run({ controller: 'off' });
    assertClose(r.params, reference({ centering: false }));
    r.optimizer.dispose();
  });

  it('seed mode without noise is SGD on per-tensor centred gradients, lr and momentum untouched', async () => {
    const r = await run({ controller: 'seed', noise: false });
    // Clipping is at c >= 0.5 here, far above these gradients.
    assertClose(r.params, reference({ centering: true }));
    assert.ok(r.telemetry.every((t) => t.lr === 0.01 && t.momentum === 0.9 && t.action === null && t.reward === null));
    r.optimizer.dispose();
  });

  it('clips centred gradients to c = min(max(2·sqrt(grad_var), 0.5), 10)', async () => {
    const big = [[[3, -3, 0.5, 0], [1, 1, 1, 1, 1, 1]]];
    const r = await run({ controller: 'seed', noise: false, momentum: 0 }, { grads: big, steps: 1 });
    const all = [3, -3, 0.5, 0, 1, 1, 1, 1, 1, 1];
    const mean = all.reduce((a, b) => a + b, 0) / all.length;
    const variance = all.reduce((a, b) => a + (b - mean) ** 2, 0) / (all.length - 1);
    const gradVar = 0.1 * variance; // EMA from 0; |Δ| = 0.4 < 0.9: not stabilised
    const c = Math.min(Math.max(2 * Math.sqrt(gradVar), 0.5), 10);
    const centred = [3, -3, 0.5, 0].map((x) => x - 0.125);
    const want0 = P0[0]!.map((p, k) => p - 0.01 * Math.min(Math.max(centred[k]!, -c), c));
    assertClose([r.params[0]!], [want0], 1e-6);
    assert.ok(c < 3 - 0.125, 'the test gradient does get clipped');
    r.optimizer.dispose();
  });

  it('stabilises the EMA variance when it jumps by more than 0.9', async () => {
    const huge = [[[30, -30, 0, 0], [0, 0, 0, 0, 0, 0]]];
    const r = await run({ controller: 'intended', q_controller: false, noise: false }, { grads: huge, steps: 1 });
    const all = [30, -30, 0, 0, 0, 0, 0, 0, 0, 0];
    const variance = all.reduce((a, b) => a + b * b, 0) / 9;
    const ema = 0.1 * variance; // 20 > 0.9 away from prev 0: 0.9·0 + 0.1·ema
    assert.ok(Math.abs((r.telemetry[0]!.grad_var as number) - 0.1 * ema) < 1e-4);
    r.optimizer.dispose();
  });

  it('halves the lr and scales momentum by 0.9 on a loss spike (L > 1.5 × mean of the last 100)', async () => {
    const r = await run({ controller: 'intended', q_controller: false, noise: false }, { losses: [1, 1, 1, 5], steps: 4 });
    assert.deepEqual(r.telemetry.map((t) => t.spike), [0, 0, 0, 1]);
    assert.equal(r.telemetry[3]!.lr, 0.005);
    assert.ok(Math.abs((r.telemetry[3]!.momentum as number) - 0.81) < 1e-12);
    assert.equal(r.telemetry[2]!.lr, 0.01);
    r.optimizer.dispose();
  });

  it('intended: lr = base × clamp(scale, 0.5, 1.5·d) and momentum in [0.85, 0.99·d], d = max(0.5, 1 − e/20)', async () => {
    const aggressive = { epsilon: 1, epsilon_min: 1, mult_down: 2, mult_up: 2, noise: false };
    const early = await run({ controller: 'intended', ...aggressive }, { steps: 12, epoch: 0 });
    const late = await run({ controller: 'intended', ...aggressive }, { steps: 12, epoch: 10 });
    const lrs = (r: Run) => r.telemetry.map((t) => t.lr as number);
    assert.ok(lrs(early).every((lr) => lr >= 0.005 - 1e-12 && lr <= 0.015 + 1e-12));
    assert.ok(Math.max(...lrs(early)) > 0.0149, 'reaches the upper clamp');
    // Epoch 10: d = 0.5, upper bound 0.75 × base.
    assert.ok(lrs(late).every((lr) => lr >= 0.005 - 1e-12 && lr <= 0.0075 + 1e-12), `${lrs(late)}`);
    // Momentum: clamp(μ·scale, 0.85, 0.99·d). From epoch 10 on, 0.99·d < 0.85 and the clamp (like
    // torch.clamp with min > max) returns the upper bound: the original's phase decay ends there.
    assert.ok(early.telemetry.every((t) => (t.momentum as number) >= 0.85 && (t.momentum as number) <= 0.99 + 1e-12));
    assert.ok(late.telemetry.every((t) => Math.abs((t.momentum as number) - 0.495) < 1e-12));
    early.optimizer.dispose();
    late.optimizer.dispose();
  });

  it('as written, the lr compounds past 1.5 × base; intended never does', async () => {
    const pushy = { epsilon: 1, epsilon_min: 1, mult_down: 1.5, mult_up: 1.5, noise: false };
    const written = await run({ controller: 'as-written', ...pushy }, { steps: 12 });
    const intended = await run({ controller: 'intended', ...pushy }, { steps: 12 });
    assert.ok(Math.max(...written.telemetry.map((t) => t.lr as number)) > 0.05, 'compounds');
    assert.ok(Math.max(...intended.telemetry.map((t) => t.lr as number)) <= 0.015 + 1e-12);
    written.optimizer.dispose();
    intended.optimizer.dispose();
  });

  it('as written, its density "entropy" is large and negative for narrow gradients, so retention never fills', async () => {
    const narrow = GRADS.map((step) => step.map((g) => g.map((x) => x * 1e-3)));
    const r = await run({ controller: 'as-written', retention: true }, { grads: narrow, steps: 3 });
    assert.ok(r.telemetry.every((t) => (t.entropy as number) < -10), `${r.telemetry.map((t) => t.entropy)}`);
    assert.equal((r.optimizer.summary!() as { retention: { tensors: number } }).retention.tensors, 0);
    r.optimizer.dispose();
  });

  it('the retention buffer is off by default, bounded when on, and reports its bytes', async () => {
    const off = await run({});
    assert.equal((off.optimizer.summary!() as { retention: { enabled: boolean } }).retention.enabled, false);
    off.optimizer.dispose();
    const on = await run({ retention: true, gradient_buffer_size: 3 }, { steps: 3 });
    const retention = (on.optimizer.summary!() as { retention: { tensors: number; bytes: number } }).retention;
    assert.equal(retention.tensors, 3);
    assert.ok(retention.bytes > 0 && retention.bytes <= 3 * 6 * 4);
    on.optimizer.dispose();
  });

  it('the controller acts in intended mode: actions, rewards, a growing Q-table, decaying ε', async () => {
    const r = await run({}, { steps: 6, losses: [2.3, 2.1, 1.9, 1.8, 1.7, 1.6] });
    assert.ok(r.telemetry.every((t) => typeof t.action === 'string' && t.action_kind !== null));
    assert.equal(r.telemetry[0]!.reward, null, 'the first reward arrives one step later');
    assert.ok(r.telemetry.slice(1).every((t) => typeof t.reward === 'number' && (t.reward as number) <= 0));
    assert.ok((r.telemetry.at(-1)!.q_size as number) >= 1);
    assert.ok((r.telemetry.at(-1)!.epsilon as number) < 0.5);
    const summary = r.optimizer.summary!() as { controller: { q_table: Record<string, number[]>; visits: Record<string, number> } };
    for (const row of Object.values(summary.controller.q_table)) assert.equal(row.length, 6);
    assert.equal(Object.values(summary.controller.visits).reduce((a, b) => a + b, 0), 6);
    r.optimizer.dispose();
  });

  it('same seed, same decisions and weights; another seed, other noise', async () => {
    const a = await run({}, { steps: 6 });
    const b = await run({}, { steps: 6 });
    const c = await run({}, { steps: 6, seed: 2 });
    assert.deepEqual(a.telemetry, b.telemetry);
    assert.deepEqual(a.params, b.params);
    assert.notDeepEqual(a.params, c.params);
    [a, b, c].forEach((r) => r.optimizer.dispose());
  });

  for (const mode of ['intended', 'as-written', 'seed', 'off']) {
    it(`${mode}: leaks no tensors across steps`, async () => {
      const warm = await run({ controller: mode, retention: false }, { steps: 1 });
      warm.optimizer.dispose();
      const before = tf.memory().numTensors;
      const r = await run({ controller: mode }, { steps: 5 });
      r.optimizer.dispose();
      assert.equal(tf.memory().numTensors, before);
    });
  }

  it('rejects an unknown hyper-parameter or mode, naming it', () => {
    assert.throws(() => createOptimizer('enhanced-sgd', { controler: 'seed' }, 0), /unknown hyper-parameter 'controler'/);
    assert.throws(() => createOptimizer('enhanced-sgd', { controller: 'faithful' }, 0), /controller: /);
  });
});
