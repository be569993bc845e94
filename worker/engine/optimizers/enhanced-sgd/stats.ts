import * as tf from '@tensorflow/tfjs-core';
import { DEVICE_STAT, STAT } from '../../telemetry/gradient-stats.js';

/**
 * EnhancedSGD's statistics arithmetic. The raw statistics of a step (variance, min, max, both
 * entropies) are computed on the device by the training loop (telemetry/gradient-stats.ts); what
 * the optimizer adds is a handful of scalar rules, written once here for the host (modes that read
 * the step's scalars) and, where a mode must not wait for the read, for the device.
 */

/** The EMA and stabilisation constants (spec step 1). */
export interface VarianceRule {
  /** Weight of the new raw variance in the EMA (`smoothing_factor`, 0.1). */
  readonly smoothing: number;
  /** |EMA − prev| above which the EMA is stabilised (the original reuses `stabilizing_factor`, 0.9). */
  readonly threshold: number;
  /** Stabilised EMA = prev·factor + (1 − factor)·EMA (`stabilizing_factor`, 0.9). */
  readonly factor: number;
}

/**
 * grad_var ← s·v + (1 − s)·grad_var; if |grad_var − prev| > threshold: grad_var ← prev·f + (1 − f)·grad_var.
 * The operation order is the original's, so float64 results equal its Python floats.
 */
export function emaVariance(rule: VarianceRule, rawVariance: number, gradVar: number, prevGradVar: number): number {
  let next = rule.smoothing * rawVariance + (1 - rule.smoothing) * gradVar;
  if (Math.abs(next - prevGradVar) > rule.threshold) next = prevGradVar * rule.factor + (1 - rule.factor) * next;
  return next;
}

/** The clipping bounds (spec step 3): c = min(max(multiplier·sqrt(grad_var), min), max). */
export interface ClipRule {
  readonly multiplier: number;
  readonly min: number;
  readonly max: number;
}

/** The clipping threshold, or null while grad_var ≤ 0 (the original does not clip then). */
export function clipThreshold(rule: ClipRule, gradVar: number): number | null {
  if (!(gradVar > 0)) return null;
  return Math.min(Math.max(Math.sqrt(gradVar) * rule.multiplier, rule.min), rule.max);
}

/**
 * Whether clamping every (centred) gradient to [−c, c] provably changes nothing, from the
 * statistics of the concatenated raw gradients G: a centred element g − mean(g_i) of any tensor
 * lies within max G − min G; an uncentred one within max(|min G|, |max G|). A small margin keeps
 * float32 rounding of the subtraction on the safe side. (Non-finite statistics never skip.)
 */
export function clippingIsNoOp(c: number, min: number, max: number, centred: boolean): boolean {
  const bound = centred ? max - min : Math.max(Math.abs(min), Math.abs(max));
  return Number.isFinite(bound) && bound * (1 + 1e-5) < c;
}

/** The phased decay d = max(floor, 1 − e/epochs) (0.5, 20 in the original). */
export function phaseDecay(epoch: number, epochs: number, floor: number): number {
  return Math.max(floor, 1 - epoch / epochs);
}

/** min(max(x, lo), hi), Python's order: when lo > hi the upper bound wins (like torch.clamp). */
export function clamp(x: number, lo: number, hi: number): number {
  return Math.min(Math.max(x, lo), hi);
}

/**
 * The loss-spike rule (spec step 2): the last `size` losses (the current one included); a spike is
 * L > multiplier × their mean.
 */
export class LossHistory {
  private readonly losses: number[] = [];

  constructor(
    private readonly size: number,
    private readonly multiplier: number,
  ) {}

  /** Appends `loss` and says whether it is a spike. */
  push(loss: number): boolean {
    this.losses.push(loss);
    if (this.losses.length > this.size) this.losses.shift();
    let sum = 0;
    for (const l of this.losses) sum += l;
    return loss > (sum / this.losses.length) * this.multiplier;
  }

  get length(): number {
    return this.losses.length;
  }

  /** The window, oldest first (checkpoints). */
  save(): number[] {
    return [...this.losses];
  }

  restore(losses: readonly number[]): void {
    this.losses.length = 0;
    this.losses.push(...losses);
  }
}

/**
 * Python's round(x, digits): correctly rounded from the exact binary value, exact ties to even
 * (round(0.125, 2) = 0.12, round(0.375, 2) = 0.38). The controller's state is keyed by it.
 */
export function pyRound(x: number, digits = 2): number {
  if (!Number.isFinite(x)) return x;
  const y = Math.abs(x);
  if (y >= 1e21) return x; // integral at this magnitude
  // toFixed rounds the exact value correctly, but exact ties away from zero.
  let text = y.toFixed(digits);
  // An exact tie at `digits` decimals has an exact expansion of digits + 1 decimals ending in 5.
  const longer = y.toFixed(digits + 1);
  if (longer.endsWith('5') && y.toFixed(Math.min(100, digits + 30)) === longer + '0'.repeat(Math.min(100, digits + 30) - digits - 1)) {
    const lower = longer.slice(0, -1).replace(/\.$/, '');
    const lastDigit = Number(lower.replace('.', '').at(-1));
    if (lastDigit % 2 === 0) text = lower;
  }
  const rounded = Number(text);
  return x < 0 ? -rounded : rounded;
}

/** Indices of the step's host read `[loss, ...stats]`. */
export const READ = {
  loss: 0,
  variance: 1 + STAT.variance,
  min: 1 + STAT.min,
  max: 1 + STAT.max,
  entropy: 1 + STAT.entropy,
  entropyDensity: 1 + STAT.entropyDensity,
} as const;

/**
 * The device version of the EMA (modes that never wait for the host read): updates `gradVar` in
 * place from `stats` and returns the clipping threshold as a device scalar (+∞ while grad_var ≤ 0,
 * i.e. no clipping), for the caller to dispose. `prevGradVar` is a constant there: the original
 * only updates it when a loss is given.
 */
export function deviceVarianceStep(rule: VarianceRule, clip: ClipRule, stats: tf.Tensor1D, gradVar: tf.Variable, prevGradVar: number): tf.Scalar {
  return tf.tidy(() => {
    const v = tf.reshape(tf.slice(stats, [DEVICE_STAT.variance], [1]), []);
    let next = tf.add(tf.mul(v, rule.smoothing), tf.mul(gradVar, 1 - rule.smoothing));
    const jump = tf.greater(tf.abs(tf.sub(next, prevGradVar)), rule.threshold);
    next = tf.where(jump, tf.add(tf.mul(tf.scalar(prevGradVar), rule.factor), tf.mul(next, 1 - rule.factor)), next);
    gradVar.assign(next);
    const c = tf.minimum(tf.maximum(tf.mul(tf.sqrt(next), clip.multiplier), clip.min), clip.max);
    return tf.where(tf.greater(next, 0), c, tf.scalar(Number.POSITIVE_INFINITY)) as tf.Scalar;
  });
}
