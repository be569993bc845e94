import * as tf from '@tensorflow/tfjs-core';
import { runListKernel } from '../backends/list-kernel.js';

/**
 * Statistics of one step's gradients over all parameters at once (the concatenated vector G), as
 * EnhancedSGD's spec defines them, computed with tensor ops on the backend: the gradients never
 * reach the host, only a vector of 105 numbers (five statistics and the histogram's counts) in the
 * step's single transfer. Every optimizer's telemetry uses the same functions, so baselines and
 * EnhancedSGD are compared on equal terms.
 *
 * The host's view, indexed by STAT, comes from `statisticsFromDevice`.
 */
export const STAT = {
  /** Unbiased variance of G (torch.var). */
  variance: 0,
  min: 1,
  max: 2,
  /** −Σ p·ln p of the 100-bin histogram normalised to probabilities (count / N): in [0, ln 100]. */
  entropy: 3,
  /** The original's "entropy": bins normalised as a density, count / (N · bin width), + 1e-12. */
  entropyDensity: 4,
  /** L2 norm of G. */
  norm: 5,
  /** Mean of G. */
  mean: 6,
} as const;
export const STAT_COUNT = 7;
export const HISTOGRAM_BINS = 100;

/**
 * Where each statistic sits in the vector the device computes (`gradientStatistics`): the
 * histogram's 100 counts instead of its two entropies, which the host derives from them in
 * `statisticsFromDevice` (float64, a few microseconds) rather than in ~16 more kernel calls on
 * 100-element tensors. Variance, min and max sit where STAT has them, for device-side consumers.
 */
export const DEVICE_STAT = { variance: 0, min: 1, max: 2, norm: 3, mean: 4, counts: 5 } as const;
export const DEVICE_STAT_COUNT = DEVICE_STAT.counts + HISTOGRAM_BINS;

/**
 * The kernel a backend may register to compute `gradientStatistics` in one call: a list kernel
 * (backends/list-kernel.ts) of the gradients, output the DEVICE_STAT vector.
 */
export const GRADIENT_STATISTICS = 'GrnGradientStatistics';

/**
 * The DEVICE_STAT vector from G's moments and the histogram's counts, for a kernel that reduces on
 * the device and finishes on the host: the same formulas as `gradientStatistics`, in float64 (the
 * vector is float32). `counts` is null where G is not finite (no histogram: NaN counts).
 */
export function deviceStatisticsFromMoments(m: { n: number; min: number; max: number; sum: number; sumSq: number }, counts: ArrayLike<number> | null): Float32Array {
  const out = new Float32Array(DEVICE_STAT_COUNT);
  const mean = m.sum / m.n;
  out[DEVICE_STAT.variance] = (m.sumSq - m.sum * mean) / Math.max(1, m.n - 1);
  out[DEVICE_STAT.min] = m.min;
  out[DEVICE_STAT.max] = m.max;
  out[DEVICE_STAT.norm] = Math.sqrt(m.sumSq);
  out[DEVICE_STAT.mean] = mean;
  if (counts) out.set(counts, DEVICE_STAT.counts);
  else out.fill(Number.NaN, DEVICE_STAT.counts);
  return out;
}

/**
 * The histogram's bin scale as `gradientStatistics` computes it in float32: value v falls in bin
 * trunc((v − min) · scale), the maximum (bin 100) folded into the last.
 */
export function binScale(min: number, max: number): number {
  const range = Math.fround(max - min);
  return Math.fround(HISTOGRAM_BINS / Math.max(range, Math.fround(1e-30)));
}

/**
 * The device part of the statistics of `grads` (not disposed; the result is the caller's to
 * dispose), laid out as DEVICE_STAT: min, max, sum and sum of squares over G, then the bins (shift,
 * scale, cast, clip) and their counts.
 */
export function gradientStatistics(grads: readonly tf.Tensor[]): tf.Tensor1D {
  // A backend with a kernel of its own for the whole computation (tensorflow on a CPU:
  // backends/tensorflow-kernels.ts) takes it; the composition below is the definition.
  return (runListKernel(GRADIENT_STATISTICS, grads) as tf.Tensor1D | undefined) ?? composedGradientStatistics(grads);
}

/** `gradientStatistics` as a composition of tfjs ops, on any backend: the definition. */
export function composedGradientStatistics(grads: readonly tf.Tensor[]): tf.Tensor1D {
  return tf.tidy(() => {
    const g = tf.concat(grads.map((t) => tf.reshape(t, [-1])));
    const n = g.size;
    const min = tf.min(g);
    const max = tf.max(g);
    const sum = tf.sum(g);
    const sumSq = tf.sum(tf.square(g));
    const mean = tf.div(sum, n);
    // One pass over G (sum and sum of squares) instead of two: measured 2.1 ms against 3.5 ms per
    // SimpleCNN step on the tensorflow backend. Gradients have |mean| << std, so the textbook
    // cancellation risk of this form does not arise; the test compares it with a two-pass value.
    const variance = tf.div(tf.sub(sumSq, tf.mul(sum, mean)), Math.max(1, n - 1));
    const norm = tf.sqrt(sumSq);
    // torch.histc semantics: 100 equal bins over [min, max], the maximum falling in the last bin.
    // Truncating the cast is floor here because (g - min) >= 0 — for finite gradients. A diverging
    // step's NaN or ±Inf casts to whatever the backend makes of it (INT_MIN on TensorFlow, whose
    // bincount then throws): clipping the integer to [0, 99] keeps the op valid, and the NaN
    // variance and norm still tell the training loop that the step diverged.
    const range = tf.sub(max, min);
    const scale = tf.div(HISTOGRAM_BINS, tf.maximum(range, 1e-30));
    const binned = tf.cast(tf.mul(tf.sub(g, min), scale), 'int32');
    const index = tf.clipByValue(binned, 0, HISTOGRAM_BINS - 1);
    const counts = tf.cast(tf.bincount(index as tf.Tensor1D, [], HISTOGRAM_BINS), 'float32');
    return tf.concat([tf.stack([variance, min, max, norm, mean]), counts]) as tf.Tensor1D;
  });
}

/**
 * The STAT vector from the device's (DEVICE_STAT layout) and the number of gradient elements: the
 * two entropies of the histogram, in float64.
 */
export function statisticsFromDevice(device: ArrayLike<number>, n: number): Float32Array {
  const at = (i: number) => device[i]!;
  const min = at(DEVICE_STAT.min);
  const max = at(DEVICE_STAT.max);
  const range = max - min;
  // numpy.histogram widens an empty range to [min − 0.5, max + 0.5] (the original's density
  // "entropy" of constant gradients is over bins 0.01 wide); every value then shares one bin.
  const width = range > 0 ? range / HISTOGRAM_BINS : 1 / HISTOGRAM_BINS;
  let entropy = 0;
  let entropyDensity = 0;
  for (let b = 0; b < HISTOGRAM_BINS; b++) {
    const p = at(DEVICE_STAT.counts + b) / n;
    // 0·ln 0 = 0: empty bins contribute nothing to the probability entropy.
    if (p > 0) entropy -= p * Math.log(p);
    const density = p / width + 1e-12;
    entropyDensity -= density * Math.log(density);
  }
  // A non-finite step has no histogram to speak of: its entropies are NaN like its variance.
  // (A kernel that skipped the histogram of a non-finite G sends NaN counts.)
  if (!Number.isFinite(range) || Number.isNaN(at(DEVICE_STAT.counts))) entropy = entropyDensity = Number.NaN;
  const out = new Float32Array(STAT_COUNT);
  out[STAT.variance] = at(DEVICE_STAT.variance);
  out[STAT.min] = min;
  out[STAT.max] = max;
  out[STAT.entropy] = entropy;
  out[STAT.entropyDensity] = entropyDensity;
  out[STAT.norm] = at(DEVICE_STAT.norm);
  out[STAT.mean] = at(DEVICE_STAT.mean);
  return out;
}
