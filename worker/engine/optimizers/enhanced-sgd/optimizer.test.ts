import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs-core';
import { cpuBackend } from '../../backends/cpu.js';
import '../../tfjs-setup.js';
import { createStepContext, disposeStepContext } from '../context.js';
import { createOptimizer } from '../index.js';
import type { Optimizer, OptimizerTelemetry } from '../types.js';
import { MODE_DEFAULTS, MODES, SWITCHES } from './params.js';

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
async function run(hp: Record<string, string | number | boolean>, options: { steps?: number; losses?: number[]; epoch?: number; grads?: number[][][]; seed?: number; optimizer?: string } = {}): Promise<Run> {
  const optimizer = await createOptimizer(options.optimizer ?? 'enhanced-sgd', hp, options.seed ?? 1);
  const vars = P0.map((p, i) => tf.tidy(() => tf.variable(tf.tensor(p, SHAPES[i]))));
  const telemetry: OptimizerTelemetry[] = [];
  const grads = options.grads ?? GRADS;
  const steps = options.steps ?? grads.length;
  for (let step = 0; step < steps; step++) {
    const g = grads[step % grads.length]!.map((values, i) => tf.tensor(values, SHAPES[i]));
    const loss = tf.scalar(options.losses?.[step] ?? 1.0);
    const context = createStepContext(g, loss, options.epoch ?? 0, step);
    await optimizer.apply(vars, g, context);
    telemetry.push(await optimizer.telemetry?.() ?? {});
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

/** torch.histc-style 100-bin histogram of `values` over [min, max] (max in the last bin), both entropies. */
function histogramEntropies(values: number[]): { probability: number; density: number; variance: number } {
  const n = values.length;
  const min = Math.min(...values);
  const max = Math.max(...values);
  const width = (max - min) / 100;
  const counts = new Array<number>(100).fill(0);
  for (const v of values) counts[Math.min(99, Math.floor((v - min) / width))]! += 1;
  let probability = 0;
  let density = 0;
  for (const c of counts) {
    if (c > 0) probability -= (c / n) * Math.log(c / n);
    const d = c / (n * width) + 1e-12;
    density -= d * Math.log(d);
  }
  const mean = values.reduce((a, b) => a + b, 0) / n;
  const variance = values.reduce((a, b) => a + (b - mean) ** 2, 0) / (n - 1);
  return { probability, density, variance };
}

function assertClose(got: number[][], want: number[][], tolerance = 1e-6): void {
  got.forEach((row, t) => row.forEach((x, k) => assert.ok(Math.abs(x - want[t]![k]!) <= tolerance, `[${t}][${k}] ${x} vs ${want[t]![k]}`)));
}

describe('EnhancedSGD', async () => {
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

  it('intended: lr = base × clamp(scale, 0.5, 1.5·d) and momentum in [0.85, 0.99·d], d = max(0.5, 1 − e/20), e counted from 1', async () => {
    const aggressive = { epsilon: 1, epsilon_min: 1, mult_down: 2, mult_up: 2, noise: false };
    const lrs = (r: Run) => r.telemetry.map((t) => t.lr as number);
    const moms = (r: Run) => r.telemetry.map((t) => t.momentum as number);
    // The loop's first epoch (0) is the original's epoch 1: d = 0.95, caps 1.425 × base and 0.9405.
    const first = await run({ controller: 'intended', ...aggressive }, { steps: 12, epoch: 0 });
    assert.ok(lrs(first).every((lr) => lr >= 0.005 - 1e-12 && lr <= 0.01425 + 1e-12), `${lrs(first)}`);
    assert.ok(Math.max(...lrs(first)) > 0.0142, 'reaches the upper clamp');
    assert.ok(moms(first).every((m) => m >= 0.85 && m <= 0.9405 + 1e-12), `${moms(first)}`);
    // epoch_offset 0 (epochs from 0): d = 1 in the first epoch, caps 1.5 × base and 0.99.
    const zeroBased = await run({ controller: 'intended', ...aggressive, epoch_offset: 0 }, { steps: 12, epoch: 0 });
    assert.ok(Math.max(...lrs(zeroBased)) > 0.0149 && Math.max(...lrs(zeroBased)) <= 0.015 + 1e-12);
    // Epoch 3 (loop epoch 2): d = 0.85, so 0.99·d = 0.8415 < 0.85. From there on the clamp (like
    // torch.clamp with min > max) returns the upper bound 0.99·d: the momentum sits below the floor.
    const third = await run({ controller: 'intended', ...aggressive }, { steps: 12, epoch: 2 });
    assert.ok(moms(third).every((m) => Math.abs(m - 0.99 * 0.85) < 1e-12), `${moms(third)}`);
    // Epoch 7 (loop epoch 6): d = 0.65, so the lr cap 1.5·d = 0.975 < 1: every lr is below the base.
    const seventh = await run({ controller: 'intended', ...aggressive }, { steps: 12, epoch: 6 });
    assert.ok(lrs(seventh).every((lr) => lr <= 0.00975 + 1e-12), `${lrs(seventh)}`);
    // Epoch 11 on: d = 0.5, upper bound 0.75 × base; momentum 0.495.
    const late = await run({ controller: 'intended', ...aggressive }, { steps: 12, epoch: 10 });
    assert.ok(lrs(late).every((lr) => lr >= 0.005 - 1e-12 && lr <= 0.0075 + 1e-12), `${lrs(late)}`);
    assert.ok(moms(late).every((m) => Math.abs(m - 0.495) < 1e-12));
    for (const r of [first, zeroBased, third, seventh, late]) r.optimizer.dispose();
  });

  it('adaptive_momentum needs the controller: asked for without it, an error; left to the mode, off', async () => {
    await assert.rejects(() => createOptimizer('enhanced-sgd', { q_controller: false, adaptive_momentum: true }, 1), /adaptive_momentum needs the controller's momentum scale, and q_controller is off/);
    const r = await run({ controller: 'intended', q_controller: false, noise: false }, { steps: 3 });
    assert.ok(r.telemetry.every((t) => t.momentum === 0.9), `${r.telemetry.map((t) => t.momentum)}`);
    r.optimizer.dispose();
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

  for (const mode of ['intended', 'as-written', 'seed']) {
    it(`${mode}: same seed, same decisions and weights; another seed, other noise`, async () => {
      const losses = [2.3, 2.2, 2.4, 2.0, 1.9, 2.1];
      const a = await run({ controller: mode }, { steps: 6, losses });
      const b = await run({ controller: mode }, { steps: 6, losses });
      const c = await run({ controller: mode }, { steps: 6, losses, seed: 2 });
      assert.deepEqual(a.telemetry, b.telemetry);
      assert.deepEqual(a.params, b.params);
      assert.notDeepEqual(a.params, c.params);
      [a, b, c].forEach((r) => r.optimizer.dispose());
    });
  }

  it('with retention on, the only tensors that stay are the bounded buffer’s', async () => {
    const before = tf.memory().numTensors;
    const r = await run({ retention: true, gradient_buffer_size: 5 }, { steps: 6 });
    // Momentum buffers (2), noise pool (1), retained (5).
    assert.equal(tf.memory().numTensors, before + 2 + 1 + 5);
    r.optimizer.dispose();
    assert.equal(tf.memory().numTensors, before);
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

  it('off mode equals the sgd optimizer (momentum 0.9) step for step', async () => {
    const mine = await run({ controller: 'off' }, { steps: 6 });
    const sgd = await run({}, { steps: 6, optimizer: 'sgd' });
    assert.deepEqual(mine.params, sgd.params);
    mine.optimizer.dispose();
    sgd.optimizer.dispose();
  });

  it('resolves switches after parsing: the mode gives the default, an explicit value wins', async () => {
    for (const mode of MODES) {
      const hp = (await createOptimizer('enhanced-sgd', { controller: mode }, 0)).hyperparameters;
      for (const s of SWITCHES) assert.equal(hp[s], MODE_DEFAULTS[mode][s], `${mode}.${s}`);
      assert.equal(hp.lr, 0.01);
      assert.equal(hp.stabilizing_threshold, 0.9, 'defaults to stabilizing_factor');
    }
    const hp = (await createOptimizer('enhanced-sgd', { controller: 'seed', centering: false, probability_entropy: true }, 0)).hyperparameters;
    assert.equal(hp.centering, false);
    assert.equal(hp.probability_entropy, true);
    assert.equal(hp.clipping, true);
    assert.equal((await createOptimizer('enhanced-sgd', { controller: 'off', noise: true }, 0)).hyperparameters.noise, true);
    assert.equal((await createOptimizer('enhanced-sgd', { controller: 'seed', pass_loss: true, q_controller: true }, 0)).hyperparameters.q_controller, true);
    // What needs the loss cannot be asked for in a mode that does not pass it.
    await assert.rejects(() => createOptimizer('enhanced-sgd', { controller: 'seed', q_controller: true }, 0), /q_controller needs the loss/);
    await assert.rejects(() => createOptimizer('enhanced-sgd', { controller: 'off', spike_correction: true }, 0), /spike_correction needs the loss/);
  });

  it('seed mode: over 10 steps, spikes and all, lr stays 0.01 and momentum 0.9; no controller, no reward', async () => {
    const r = await run({ controller: 'seed' }, { steps: 10, losses: [1, 1, 1, 9, 1, 1, 20, 1, 1, 1] });
    for (const t of r.telemetry) {
      assert.equal(t.lr, 0.01);
      assert.equal(t.momentum, 0.9);
      assert.equal(t.spike, 0);
      assert.equal(t.action_kind, null);
      assert.equal(t.reward, null);
      assert.equal(t.q_size, 0);
    }
    const summary = r.optimizer.summary!() as Record<string, unknown>;
    assert.equal(summary.mode, 'seed');
    assert.equal(summary.controller, undefined);
    r.optimizer.dispose();
  });

  it('a spike under the controller: as written its lr × 0.5 is overwritten, intended keeps it; momentum × 0.9 then clamped', async () => {
    // ε = 0 and α = 0: always exploit an all-zero Q row, i.e. every scale ×1.
    const still = { epsilon: 0, epsilon_min: 0, q_alpha: 0, noise: false };
    const losses = [1, 1, 1, 5];
    const written = await run({ controller: 'as-written', ...still }, { steps: 4, losses });
    const intended = await run({ controller: 'intended', ...still }, { steps: 4, losses });
    assert.deepEqual(written.telemetry.map((t) => t.spike), [0, 0, 0, 1]);
    assert.deepEqual(written.telemetry.map((t) => t.lr), [0.01, 0.01, 0.01, 0.01]);
    assert.deepEqual(intended.telemetry.map((t) => t.lr), [0.01, 0.01, 0.01, 0.005]);
    // 0.9 · 0.9 = 0.81, clamped to [0.85, 0.99]; before the spike 0.9 · 1 = 0.9.
    for (const r of [written, intended]) {
      assert.deepEqual(r.telemetry.slice(0, 3).map((t) => t.momentum), [0.9, 0.9, 0.9]);
      assert.equal(r.telemetry[3]!.momentum, 0.85);
      assert.ok(r.telemetry.every((t) => t.action === 'lr×1 mom×1 grad×1' && t.action_kind === 'exploit'));
    }
    written.optimizer.dispose();
    intended.optimizer.dispose();
  });

  it('with default constants, as written the lr compounds out of [0.5, 1.5] × base; intended stays inside', async () => {
    // Here the density entropy swings by hundreds between steps, the rewards are large and
    // negative, exploited values 1 + Q_mult fall below 0 and are *added*: the lr scale hits its
    // lower clamp and the compounding lr halves step after step (on MNIST it grew instead).
    const written = await run({ controller: 'as-written', noise: false }, { steps: 30 });
    const intended = await run({ controller: 'intended', noise: false }, { steps: 30 });
    const outside = (lr: number) => lr < 0.005 - 1e-12 || lr > 0.015 + 1e-12;
    assert.ok(written.telemetry.some((t) => outside(t.lr as number)), written.telemetry.map((t) => t.lr).join(', '));
    assert.ok(intended.telemetry.every((t) => !outside(t.lr as number)), intended.telemetry.map((t) => t.lr).join(', '));
    written.optimizer.dispose();
    intended.optimizer.dispose();
  });

  it('entropy is the mode’s: probability-normalised when intended, the density version as written and in seed', async () => {
    const want = histogramEntropies(GRADS[0]!.flat());
    const intended = await run({ controller: 'intended' }, { steps: 1 });
    const written = await run({ controller: 'as-written' }, { steps: 1 });
    const seed = await run({ controller: 'seed' }, { steps: 1 });
    const close = (got: unknown, expected: number) => assert.ok(Math.abs((got as number) - expected) <= 1e-4 * Math.abs(expected) + 1e-6, `${got} vs ${expected}`);
    close(intended.telemetry[0]!.entropy, want.probability);
    close(written.telemetry[0]!.entropy, want.density);
    close(seed.telemetry[0]!.entropy, want.density);
    for (const r of [intended, written, seed]) close(r.telemetry[0]!.raw_variance, want.variance);
    [intended, written, seed].forEach((r) => r.optimizer.dispose());
  });

  it('grad_var is the stabilised EMA in every mode (seed: the device EMA, mirrored on the host)', async () => {
    const variances = GRADS.map((step) => histogramEntropies(step.flat()).variance);
    let ema = 0;
    const want = variances.map((v) => (ema = 0.1 * v + 0.9 * ema));
    for (const mode of ['intended', 'seed', 'off']) {
      const r = await run({ controller: mode });
      r.telemetry.forEach((t, i) => assert.ok(Math.abs((t.grad_var as number) - want[i]!) < 1e-7, `${mode} step ${i}: ${t.grad_var} vs ${want[i]}`));
      r.optimizer.dispose();
    }
  });

  it('intended: clips on the host path too, with c from the EMA', async () => {
    const big = [[[3, -3, 0.5, 0], [1, 1, 1, 1, 1, 1]]];
    const r = await run({ controller: 'intended', q_controller: false, spike_correction: false, noise: false, momentum: 0 }, { grads: big, steps: 1 });
    const all = [3, -3, 0.5, 0, 1, 1, 1, 1, 1, 1];
    const c = Math.min(Math.max(2 * Math.sqrt(0.1 * histogramEntropies(all).variance), 0.5), 10);
    const want0 = P0[0]!.map((p, k) => p - 0.01 * Math.min(Math.max([3, -3, 0.5, 0].map((x) => x - 0.125)[k]!, -c), c));
    assertClose([r.params[0]!, r.params[1]!], [want0, P0[1]!], 1e-6);
    r.optimizer.dispose();
  });

  it('retention keeps the newest gradient_buffer_size tensors and reports their bytes; seed mode retains only with the probability entropy', async () => {
    const on = await run({ retention: true, gradient_buffer_size: 3, noise: false }, { steps: 3 });
    // 6 tensors pushed (2 per step); kept: step 2's [2,3], step 3's [4] and [2,3] = 16 floats.
    assert.deepEqual((on.optimizer.summary!() as { retention: unknown }).retention, { enabled: true, tensors: 3, bytes: 64 });
    assert.deepEqual(on.telemetry.map((t) => t.retention_size), [2, 3, 3]);
    on.optimizer.dispose();
    const seedDensity = await run({ controller: 'seed', retention: true }, { steps: 2 });
    assert.equal((seedDensity.optimizer.summary!() as { retention: { tensors: number } }).retention.tensors, 0);
    seedDensity.optimizer.dispose();
    const seedProbability = await run({ controller: 'seed', retention: true, probability_entropy: true }, { steps: 2 });
    assert.equal((seedProbability.optimizer.summary!() as { retention: { tensors: number } }).retention.tensors, 4);
    seedProbability.optimizer.dispose();
  });

  it('reports every telemetry field, and the summary the result file keeps', async () => {
    const r = await run({}, { steps: 2 });
    for (const key of ['lr', 'momentum', 'grad_var', 'raw_variance', 'entropy', 'mix_prob', 'epsilon', 'action', 'action_kind', 'reward', 'q_size', 'spike', 'retention_size']) {
      assert.ok(key in r.telemetry[1]!, key);
    }
    const summary = r.optimizer.summary!() as { mode: string; controller: Record<string, unknown>; retention: unknown; noise: { bytes: number } };
    assert.equal(summary.mode, 'intended');
    assert.deepEqual(Object.keys(summary.controller).sort(), ['epsilon', 'mix_prob', 'q_entries', 'q_table', 'scales', 'visits']);
    assert.deepEqual(summary.retention, { enabled: false, tensors: 0, bytes: 0 });
    assert.equal(summary.noise.bytes, 4 << 22);
    r.optimizer.dispose();
  });

  it('bayesian_init redraws the scales once, from its own stream (the controller’s draws are unchanged)', async () => {
    const plain = await run({}, { steps: 3 });
    const bayes = await run({ bayesian_init: true }, { steps: 3 });
    const scales = (r: Run) => (r.optimizer.summary!() as { controller: { scales: Record<string, number> } }).controller.scales;
    assert.notDeepEqual(scales(plain), scales(bayes));
    assert.deepEqual(plain.telemetry.map((t) => t.action_kind), bayes.telemetry.map((t) => t.action_kind));
    [plain, bayes].forEach((r) => r.optimizer.dispose());
  });

  it('rejects an unknown hyper-parameter or mode, naming it', async () => {
    await assert.rejects(() => createOptimizer('enhanced-sgd', { controler: 'seed' }, 0), /unknown hyper-parameter 'controler'/);
    await assert.rejects(() => createOptimizer('enhanced-sgd', { controller: 'faithful' }, 0), /controller: /);
  });
});
