import * as tf from '@tensorflow/tfjs-core';
import type { HyperParameterValue } from '../../../../shared/trial.js';
import { stream, type StreamState } from '../../random.js';
import { centered } from '../batched.js';
import { SlotState } from '../state.js';
import type { Optimizer, OptimizerTelemetry, StepContext } from '../types.js';
import { QController, SCALES, stateKey, type Action, type ControllerState } from './controller.js';
import { NoiseSource, type NoiseState } from './noise.js';
import { resolveSwitches, type EnhancedSgdInput, type EnhancedSgdParams } from './params.js';
import { RetentionBuffer } from './retention.js';
import { clamp, clippingIsNoOp, clipThreshold, deviceVarianceStep, emaVariance, LossHistory, phaseDecay, READ, type ClipRule, type VarianceRule } from './stats.js';

/**
 * EnhancedSGD (../shared/spec/enhanced-sgd.md). The gradient statistics come from the training
 * loop, computed on the device (telemetry/gradient-stats.ts); the per-tensor work (centering,
 * clipping, noise, retention, momentum, update) is tensor ops. Host values are needed only where
 * the loss is passed (spike correction and the controller decide this step's lr and momentum):
 * those modes await the step's single memoised read of `[loss, ...stats]` and do a few lines of
 * host arithmetic. Without the loss (`seed`, `off`) the step never waits: the EMA variance and the
 * clipping threshold stay on the device, and the telemetry is filled from the same read once the
 * loop has it (telemetry() then returns a promise). Only the retention buffer, off by default,
 * makes those modes wait, since whether to retain depends on the entropy.
 */
export function createEnhancedSgd(input: EnhancedSgdInput, seed: number): Optimizer {
  const p: EnhancedSgdParams = resolveSwitches(input);
  const varianceRule: VarianceRule = { smoothing: p.smoothing_factor, threshold: p.stabilizing_threshold, factor: p.stabilizing_factor };
  const clipRule: ClipRule = { multiplier: p.clip_multiplier, min: p.clip_min, max: p.clip_max };
  const entropyAt = p.probability_entropy ? READ.entropy : READ.entropyDensity;

  const momentumBuffers = new SlotState('esgd_momentum');
  const controllerRandom = stream(seed, 'enhanced-sgd:controller');
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
          mixProbLossThreshold: p.mix_prob_loss_threshold,
          alpha: p.q_alpha,
          gamma: p.q_gamma,
          multDown: p.mult_down,
          multUp: p.mult_up,
          addStep: p.add_step,
          exploitAsOwnKind: p.exploit_as_own_kind,
        },
        controllerRandom,
      )
    : undefined;
  if (controller && p.bayesian_init) controller.bayesianInitialize(p.bayesian_std, stream(seed, 'enhanced-sgd:bayesian'));
  const noise = p.noise && p.noise_scale > 0 ? new NoiseSource(p.noise_source, p.noise_scale, p.noise_pool_size, stream(seed, 'enhanced-sgd:noise')) : undefined;
  const retention = p.retention ? new RetentionBuffer(p.gradient_buffer_size) : undefined;

  // Host state (modes that pass the loss).
  let gradVar = 0;
  let prevGradVar = 0;
  let prevEntropy: number | undefined;
  const losses = new LossHistory(p.loss_history_size, p.phased_threshold_multiplier);
  /** The param group's lr: the previous step's effective lr (the as-written base lr). */
  let groupLr = p.lr;
  let currentMomentum = p.momentum;
  /** With deferred_reward: the last action, credited at the next step. */
  let pending: { state: string; action: Action; gradVar: number; entropy: number } | undefined;

  // Device state (modes without the loss): the EMA variance, only where clipping needs it.
  // prev_grad_var is only ever updated when a loss is given, so it stays 0 there, as in the original.
  const deviceGradVar = !p.pass_loss && p.clipping ? tf.tidy(() => tf.variable(tf.scalar(0), false)) : undefined;
  /** The device EMA recomputed on the host from the same reads (float64), for telemetry. */
  let hostMirror = 0;

  let telemetry: OptimizerTelemetry | Promise<OptimizerTelemetry> = {};

  /** The per-tensor part of a step; `clip` is a number (host modes), a device scalar, or null. */
  function update(variables: readonly tf.Variable[], grads: readonly tf.Tensor[], lr: number, momentum: number, clip: number | tf.Scalar | null, retain: boolean): void {
    tf.tidy(() => {
      const lrT = tf.scalar(lr);
      const muT = tf.scalar(momentum);
      const hi = clip === null ? null : typeof clip === 'number' ? tf.scalar(clip) : clip;
      const lo = hi === null ? null : tf.neg(hi);
      // Centering and the noise windows for every tensor at once (one kernel call each where the
      // backend has one: ../batched.ts); the noise offsets are drawn in tensor order either way.
      const gs = p.centering ? centered(grads) : grads;
      const noises = noise?.samples(gs);
      variables.forEach((v, i) => {
        let g = gs[i]!;
        if (hi !== null && lo !== null) g = tf.minimum(tf.maximum(g, lo), hi);
        // No dampening: m = μ·m + g (m starts at 0, so step 1 gives m = g, as torch's SGD), p -= lr·m.
        const m = momentumBuffers.get(i, v);
        if (noises && !retain) {
          // μ·m + g + noise in one pass: the noisy gradient itself is never needed.
          m.assign(tf.addN([tf.mul(m, muT), g, noises[i]!]));
        } else {
          if (noises) g = tf.add(g, noises[i]!);
          if (retain) retention!.push(g);
          m.assign(tf.add(tf.mul(m, muT), g));
        }
        v.assign(tf.sub(v, tf.mul(m, lrT)));
      });
    });
  }

  async function hostStep(variables: readonly tf.Variable[], grads: readonly tf.Tensor[], context: StepContext): Promise<void> {
    const scalars = await context.readScalars();
    const loss = scalars[READ.loss]!;
    const rawVariance = scalars[READ.variance]!;
    const entropy = scalars[entropyAt]!;
    gradVar = emaVariance(varianceRule, rawVariance, gradVar, prevGradVar);
    const epoch = context.epoch + p.epoch_offset;

    const spike = losses.push(loss);
    const corrected = spike && p.spike_correction;
    // As written, the base lr is the param group's, which the previous step overwrote.
    const baseLr = p.fixed_base_lr ? p.lr : groupLr;
    let lr = corrected ? baseLr * p.loss_correction_factor : baseLr;
    let momentum = p.fixed_base_momentum ? p.momentum : currentMomentum;
    if (corrected) momentum *= p.spike_momentum_factor;

    const state = stateKey(loss, gradVar, entropy, epoch);
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
      const d = phaseDecay(epoch, p.phase_epochs, p.phase_floor);
      // As written, this recomputes the lr from the step's base lr: a spike's lr × 0.5 is lost.
      lr = baseLr * clamp(scales.lr, p.lr_scale_min, p.lr_scale_max * d);
      if (corrected && p.spike_lr_kept) lr *= p.loss_correction_factor;
      if (p.adaptive_momentum) momentum = clamp(momentum * scales.momentum, p.momentum_min, p.momentum_max * d);
      // grad_scale is adjusted by the controller but, as in the original, never applied.
    }
    groupLr = lr;
    currentMomentum = momentum;

    const retain = retention !== undefined && entropy > p.retention_threshold;
    // Clamping to [-c, c] is skipped when the step's statistics prove it changes nothing (c >= 0.5
    // by default, far above typical gradients), which saves two full passes over the gradients.
    let clip = p.clipping ? clipThreshold(clipRule, gradVar) : null;
    if (clip !== null && clippingIsNoOp(clip, scalars[READ.min]!, scalars[READ.max]!, p.centering)) clip = null;
    update(variables, grads, lr, momentum, clip, retain);

    if (controller && action) {
      if (p.deferred_reward) {
        pending = { state, action, gradVar, entropy };
      } else {
        // As written: the reward is this step's change against the previous step's, and the
        // "next state" is built from the same values as the state, so it is the same state.
        reward = -(Math.abs(gradVar - prevGradVar) + p.entropy_weight * Math.abs(entropy - (prevEntropy ?? entropy)));
        controller.update(state, action, reward, stateKey(loss, gradVar, entropy, epoch));
      }
    }
    prevGradVar = gradVar;
    prevEntropy = entropy;
    telemetry = {
      lr,
      momentum,
      grad_var: gradVar,
      raw_variance: rawVariance,
      entropy,
      mix_prob: controller ? controller.mixProb : p.mix_prob,
      epsilon: controller ? controller.epsilon : null,
      action: action ? describe(action, controller!.appliedKinds(action)) : null,
      action_kind: action ? action.kind : null,
      reward,
      q_size: controller ? controller.table.size : 0,
      spike: spike ? 1 : 0,
      retention_size: retention?.size ?? 0,
    };
  }

  /** A step without the loss: nothing here waits for the host. */
  function deviceStep(variables: readonly tf.Variable[], grads: readonly tf.Tensor[], context: StepContext, retain: boolean): void {
    const clip = deviceGradVar ? deviceVarianceStep(varianceRule, clipRule, context.stats, deviceGradVar, 0) : null;
    try {
      update(variables, grads, p.lr, p.momentum, clip, retain);
    } finally {
      clip?.dispose();
    }
    // Filled when the loop's read of this step arrives (reads resolve in step order).
    telemetry = context.readScalars().then((scalars) => {
      const rawVariance = scalars[READ.variance]!;
      hostMirror = emaVariance(varianceRule, rawVariance, hostMirror, 0);
      return {
        lr: p.lr,
        momentum: p.momentum,
        grad_var: hostMirror,
        raw_variance: rawVariance,
        entropy: scalars[entropyAt]!,
        mix_prob: p.mix_prob,
        epsilon: null,
        action: null,
        action_kind: null,
        reward: null,
        q_size: 0,
        spike: 0,
        retention_size: retention?.size ?? 0,
      };
    });
  }

  const hyperparameters: Record<string, HyperParameterValue> = Object.fromEntries(Object.entries(p).filter(([, v]) => v !== undefined));
  return {
    name: 'enhanced-sgd',
    hyperparameters,
    apply(variables, grads, context) {
      if (p.pass_loss) return hostStep(variables, grads, context);
      // Whether to retain depends on this step's entropy: only then does this mode wait.
      if (retention) return context.readScalars().then((s) => deviceStep(variables, grads, context, s[entropyAt]! > p.retention_threshold));
      deviceStep(variables, grads, context, false);
    },
    telemetry: () => telemetry,
    summary: () => ({
      mode: p.controller,
      switches: Object.fromEntries(Object.entries(p).filter(([, v]) => typeof v === 'boolean')),
      ...(controller ? { controller: controller.summary() } : {}),
      retention: { enabled: p.retention, tensors: retention?.size ?? 0, bytes: retention?.bytes ?? 0 },
      noise: { enabled: noise !== undefined, source: p.noise_source, bytes: noise?.bytes() ?? 0 },
      noise_pool_bytes: noise?.bytes() ?? 0,
    }),
    saveState() {
      const tensors: Record<string, tf.Tensor> = {};
      momentumBuffers.save(tensors);
      if (deviceGradVar) tensors['esgd_grad_var'] = tf.clone(deviceGradVar);
      retention?.save().forEach((t, i) => (tensors[`esgd_retained/${i}`] = t));
      const host: EnhancedSgdHostState = {
        gradVar,
        prevGradVar,
        prevEntropy: prevEntropy ?? null,
        losses: losses.save(),
        groupLr,
        currentMomentum,
        pending: pending ?? null,
        hostMirror,
        controller: controller ? { state: controller.saveState(), random: controllerRandom.state() } : null,
        noise: noise?.saveState() ?? null,
        retained: retention?.size ?? 0,
      };
      return { host: host as unknown as Record<string, unknown>, tensors };
    },
    loadState(state) {
      const h = state.host as unknown as EnhancedSgdHostState;
      gradVar = h.gradVar;
      prevGradVar = h.prevGradVar;
      prevEntropy = h.prevEntropy ?? undefined;
      losses.restore(h.losses);
      groupLr = h.groupLr;
      currentMomentum = h.currentMomentum;
      pending = h.pending ?? undefined;
      hostMirror = h.hostMirror;
      if (controller && h.controller) {
        controller.loadState(h.controller.state);
        controllerRandom.restore(h.controller.random);
      }
      if (noise && h.noise) noise.loadState(h.noise);
      momentumBuffers.load(state.tensors);
      const saved = state.tensors['esgd_grad_var'];
      if (deviceGradVar && saved) tf.tidy(() => deviceGradVar.assign(tf.scalar(saved.data[0]!)));
      if (retention) {
        const kept = Array.from({ length: h.retained }, (_, i) => state.tensors[`esgd_retained/${i}`]!);
        retention.restore(kept.map((t) => tf.tensor(t.data, [...t.shape], 'float32')));
      }
    },
    dispose() {
      momentumBuffers.dispose();
      deviceGradVar?.dispose();
      noise?.dispose();
      retention?.dispose();
    },
  };
}

/** EnhancedSGD's host values between steps, as a checkpoint holds them. */
interface EnhancedSgdHostState {
  gradVar: number;
  prevGradVar: number;
  prevEntropy: number | null;
  losses: number[];
  groupLr: number;
  currentMomentum: number;
  pending: { state: string; action: Action; gradVar: number; entropy: number } | null;
  hostMirror: number;
  controller: { state: ControllerState; random: StreamState } | null;
  noise: NoiseState | null;
  retained: number;
}

/** The action as applied, compactly, e.g. `lr×1.05 mom+0.005 grad×1`. */
export function describe(action: Action, kinds: Action['kinds'] = action.kinds): string {
  const names = { lr: 'lr', momentum: 'mom', grad: 'grad' } as const;
  return SCALES.map((s) => {
    const v = action.values[s];
    return kinds[s] === 'mult' ? `${names[s]}×${+v.toFixed(4)}` : `${names[s]}${v >= 0 ? '+' : ''}${+v.toFixed(4)}`;
  }).join(' ');
}
