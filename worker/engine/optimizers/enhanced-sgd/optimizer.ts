import * as tf from '@tensorflow/tfjs-core';
import { STAT } from '../../telemetry/gradient-stats.js';
import { stream } from '../../random.js';
import { SlotState } from '../state.js';
import type { Optimizer, OptimizerTelemetry, StepContext } from '../types.js';
import { QController, SCALES, stateKey, type Action } from './controller.js';
import { resolveSwitches, type EnhancedSgdInput, type EnhancedSgdParams } from './params.js';

/**
 * EnhancedSGD (../shared/spec/enhanced-sgd.md). The gradient statistics come from the training
 * loop, computed on the device (telemetry/gradient-stats.ts); the per-tensor work (centering,
 * clipping, noise, momentum, update) is tensor ops. Host values are needed only where the loss is
 * passed (spike correction and the controller decide this step's lr and momentum): those modes
 * await the step's single memoised read of `[loss, ...stats]`. Without the loss (`seed`, `off`)
 * the EMA variance and the clipping threshold stay on the device and the step never waits.
 */
export function createEnhancedSgd(input: EnhancedSgdInput, seed: number): Optimizer {
  const p: EnhancedSgdParams = resolveSwitches(input);
  const momentumBuffers = new SlotState('esgd_momentum');
  const controller = p.q_controller
    ? new QController(
        {
          epsilon: p.epsilon,
          epsilonDecay: p.epsilon_decay,
          epsilonMin: p.epsilon_min,
          mixProb: p.mix_prob,
          mixProbMin: p.mix_prob_min,
          mixProbDecay: p.mix_prob_decay,
          mixProbGrowth: p.mix_prob_growth,
          alpha: p.q_alpha,
          gamma: p.q_gamma,
          multDown: p.mult_down,
          multUp: p.mult_up,
          addStep: p.add_step,
          exploitAsOwnKind: p.exploit_as_own_kind,
        },
        stream(seed, 'enhanced-sgd:controller'),
      )
    : undefined;
  if (controller && p.bayesian_init) controller.bayesianInitialize(p.bayesian_std);
  const noiseRandom = stream(seed, 'enhanced-sgd:noise');
  let noisePool: tf.Tensor1D | undefined;
  const retained: tf.Tensor[] = [];

  // Host state (modes that pass the loss).
  let gradVar = 0;
  let prevGradVar = 0;
  let prevEntropy: number | undefined;
  const losses: number[] = [];
  let groupLr = p.lr;
  let currentMomentum = p.momentum;
  let pending: { state: string; action: Action; gradVar: number; entropy: number } | undefined;
  // Device state (modes without the loss): the EMA variance; prev_grad_var is only ever updated
  // when a loss is given, so it stays 0 there, as in the original.
  const deviceGradVar = p.pass_loss ? undefined : tf.tidy(() => tf.variable(tf.scalar(0), false));
  let hostMirror = 0; // the device EMA recomputed on the host from the same reads, for telemetry

  let telemetry: OptimizerTelemetry | Promise<OptimizerTelemetry> = {};
  const entropyIndex = 1 + (p.probability_entropy ? STAT.entropy : STAT.entropyDensity);

  /** EMA of the variance with the original's stabilisation (|Δ| > factor → pull toward prev). */
  const ema = (variance: number, current: number, prev: number) => {
    let next = p.smoothing_factor * variance + (1 - p.smoothing_factor) * current;
    if (Math.abs(next - prev) > p.stabilizing_factor) next = p.stabilizing_factor * prev + (1 - p.stabilizing_factor) * next;
    return next;
  };
  const clipThreshold = (gv: number) => Math.min(Math.max(2 * Math.sqrt(gv), p.clip_min), p.clip_max);
  const phase = (epoch: number) => Math.max(p.phase_floor, 1 - epoch / p.phase_epochs);

  function noiseFor(t: tf.Tensor): tf.Tensor {
    if (p.noise_source === 'exact') {
      return tf.randomNormal(t.shape, 0, p.noise_scale, 'float32', Math.floor(noiseRandom() * 2 ** 31));
    }
    // A device-resident pool of N(0,1) draws, made once from the seed, read at a fresh seeded
    // offset per tensor and step: tfjs has no on-device normal RNG kernel, and drawing ~420k
    // normals on the host every step would cost more than the whole update. Each element is
    // still N(0, noise_scale²); draws repeat only across steps, at random offsets.
    if (!noisePool || noisePool.size < t.size) {
      noisePool?.dispose();
      const size = Math.max(p.noise_pool_size, t.size);
      // Pre-scaled, so a step pays a slice and an add per tensor.
      noisePool = tf.keep(tf.randomNormal([size], 0, p.noise_scale, 'float32', Math.floor(noiseRandom() * 2 ** 31)) as tf.Tensor1D);
    }
    const offset = Math.floor(noiseRandom() * (noisePool.size - t.size + 1));
    return tf.reshape(tf.slice(noisePool, [offset], [t.size]), t.shape);
  }

  /** The per-tensor part of a step; `clip` is a number (host modes) or a device scalar. */
  function update(variables: readonly tf.Variable[], grads: readonly tf.Tensor[], lr: number, momentum: number, clip: number | tf.Scalar | null, retain: boolean) {
    tf.tidy(() => {
      variables.forEach((v, i) => {
        let g = grads[i]!;
        if (p.centering) g = tf.sub(g, tf.mean(g));
        if (p.clipping && clip !== null) {
          g = typeof clip === 'number' ? tf.clipByValue(g, -clip, clip) : tf.minimum(tf.maximum(g, tf.neg(clip)), clip);
        }
        if (p.noise && p.noise_scale > 0) g = tf.add(g, noiseFor(g));
        if (retain) {
          retained.push(tf.keep(tf.clone(g)));
          while (retained.length > p.gradient_buffer_size) retained.shift()!.dispose();
        }
        const m = momentumBuffers.get(i, v);
        m.assign(tf.add(tf.mul(m, momentum), g));
        v.assign(tf.sub(v, tf.mul(m, lr)));
      });
    });
  }

  async function hostStep(variables: readonly tf.Variable[], grads: readonly tf.Tensor[], context: StepContext) {
    const scalars = await context.readScalars();
    const loss = scalars[0]!;
    const variance = scalars[1 + STAT.variance]!;
    const entropy = scalars[entropyIndex]!;
    gradVar = ema(variance, gradVar, prevGradVar);

    losses.push(loss);
    if (losses.length > p.loss_history_size) losses.shift();
    const meanLoss = losses.reduce((a, b) => a + b, 0) / losses.length;
    const spike = p.spike_correction && loss > p.phased_threshold_multiplier * meanLoss;
    // As written, the base lr is the param group's, which the previous step overwrote.
    let lr = p.fixed_base_lr ? p.lr : groupLr;
    let momentum = p.fixed_base_momentum ? p.momentum : currentMomentum;
    if (spike) {
      lr *= p.loss_correction_factor;
      momentum *= p.spike_momentum_factor;
    }

    const state = stateKey(loss, gradVar, entropy, context.epoch);
    let action: Action | undefined;
    let reward: number | null = null;
    if (controller) {
      if (p.mix_prob_update) controller.updateMixProb(loss);
      if (p.deferred_reward && pending) {
        // Corrected credit: the previous action's reward is the change it caused, and the next
        // state is the one it led to.
        reward = -(Math.abs(gradVar - pending.gradVar) + p.entropy_weight * Math.abs(entropy - pending.entropy));
        controller.update(pending.state, pending.action, reward, state);
      }
      action = controller.choose(state);
      const scales = controller.apply(action);
      const d = phase(context.epoch);
      lr *= clamp(scales.lr, p.lr_scale_min, p.lr_scale_max * d);
      if (p.adaptive_momentum) momentum = clamp(momentum * scales.momentum, p.momentum_min, p.momentum_max * d);
      // grad_scale is adjusted by the controller but, as in the original, never applied.
    }
    groupLr = lr;
    currentMomentum = momentum;

    const retain = p.retention && entropy > p.retention_threshold;
    // Clipping to [-c, c] is exactly a no-op when every (centred) gradient already lies inside:
    // after centering |g - mean| <= max - min of G, without it |g| <= max(|min|, |max|). The
    // statistics are on the host already, so the clamp is skipped then (c >= 0.5 by default,
    // far above typical gradients).
    const spread = p.centering ? scalars[1 + STAT.max]! - scalars[1 + STAT.min]! : Math.max(Math.abs(scalars[1 + STAT.min]!), Math.abs(scalars[1 + STAT.max]!));
    const clip = p.clipping && gradVar > 0 ? clipThreshold(gradVar) : null;
    update(variables, grads, lr, momentum, clip !== null && spread > clip ? clip : null, retain);

    if (controller && action) {
      if (p.deferred_reward) {
        pending = { state, action, gradVar, entropy };
      } else {
        // As written: reward from this step's change against the previous step, same state as next.
        reward = -(Math.abs(gradVar - prevGradVar) + p.entropy_weight * Math.abs(entropy - (prevEntropy ?? entropy)));
        controller.update(state, action, reward, state);
      }
    }
    prevGradVar = gradVar;
    prevEntropy = entropy;
    telemetry = {
      lr,
      momentum,
      grad_var: gradVar,
      entropy,
      mix_prob: controller ? controller.mixProb : p.mix_prob,
      epsilon: controller ? controller.epsilon : null,
      action: action ? describe(action) : null,
      action_kind: action ? action.kind : null,
      reward,
      q_size: controller ? controller.table.size : 0,
      spike: spike ? 1 : 0,
      retention_size: retained.length,
    };
  }

  async function deviceStep(variables: readonly tf.Variable[], grads: readonly tf.Tensor[], context: StepContext) {
    const gv = deviceGradVar!;
    const clip = tf.tidy(() => {
      const v = tf.reshape(tf.slice(context.stats, [STAT.variance], [1]), []) as tf.Scalar;
      let next: tf.Scalar = tf.add(tf.mul(v, p.smoothing_factor), tf.mul(gv, 1 - p.smoothing_factor));
      // prev_grad_var is 0 here (no loss): stabilise when |next| exceeds the factor.
      next = tf.where(tf.greater(tf.abs(next), p.stabilizing_factor), tf.mul(next, 1 - p.stabilizing_factor), next) as tf.Scalar;
      gv.assign(next);
      const c = tf.clipByValue(tf.mul(tf.sqrt(next), 2), p.clip_min, p.clip_max);
      // No clipping while grad_var is 0: an infinite bound.
      return tf.keep(tf.where(tf.greater(next, 0), c, tf.scalar(Number.MAX_VALUE)) as tf.Scalar);
    });
    // Retention needs the entropy on the host: only then does this mode wait for the read.
    const retain = p.retention && (await context.readScalars())[entropyIndex]! > p.retention_threshold;
    try {
      update(variables, grads, p.lr, p.momentum, p.clipping ? clip : null, retain);
    } finally {
      clip.dispose();
    }
    telemetry = context.readScalars().then((scalars) => {
      hostMirror = ema(scalars[1 + STAT.variance]!, hostMirror, 0);
      return {
        lr: p.lr,
        momentum: p.momentum,
        grad_var: hostMirror,
        entropy: scalars[entropyIndex]!,
        mix_prob: p.mix_prob,
        epsilon: null,
        action: null,
        action_kind: null,
        reward: null,
        q_size: 0,
        spike: 0,
        retention_size: retained.length,
      };
    });
  }

  return {
    name: 'enhanced-sgd',
    hyperparameters: { ...input },
    apply(variables, grads, context) {
      return p.pass_loss ? hostStep(variables, grads, context) : deviceStep(variables, grads, context);
    },
    telemetry: () => telemetry,
    summary: () => ({
      mode: p.controller,
      switches: Object.fromEntries(Object.entries(p).filter(([, v]) => typeof v === 'boolean')),
      ...(controller ? { controller: controller.summary() } : {}),
      retention: { enabled: p.retention, tensors: retained.length, bytes: retained.reduce((s, t) => s + t.size * 4, 0) },
      noise_pool_bytes: noisePool ? noisePool.size * 4 : 0,
    }),
    dispose() {
      momentumBuffers.dispose();
      deviceGradVar?.dispose();
      noisePool?.dispose();
      for (const t of retained) t.dispose();
      retained.length = 0;
    },
  };
}

function clamp(x: number, lo: number, hi: number): number {
  return Math.min(Math.max(x, lo), hi);
}

function describe(action: Action): string {
  const names = { lr: 'lr', momentum: 'mom', grad: 'grad' } as const;
  return SCALES.map((s) => {
    const v = action.values[s];
    return action.kinds[s] === 'mult' ? `${names[s]}×${+v.toFixed(4)}` : `${names[s]}${v >= 0 ? '+' : ''}${+v.toFixed(4)}`;
  }).join(' ');
}
