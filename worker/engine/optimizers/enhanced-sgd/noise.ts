import * as tf from '@tensorflow/tfjs-core';
import { restorable, type StreamState } from '../../random.js';
import { windows, type WindowCut } from '../batched.js';

/**
 * Where a noise source stands: its stream and how its pool was drawn, so a restored source
 * redraws the same pool (from its seed) instead of a checkpoint carrying 16 MB of noise.
 */
export interface NoiseState {
  random: StreamState;
  pool: { seed: number; size: number } | null;
}

/**
 * The gradient noise N(0, noise_scale²) of EnhancedSGD (spec step 3), drawn from a seeded stream.
 *
 * `exact`: fresh normals for every tensor and step via tf.randomNormal. TensorFlow.js 4.22 has no
 * device kernel for it on any backend: the values are generated in JavaScript on the host and
 * uploaded, ~420k per SimpleCNN step, which measured 14 ms per step on the tensorflow backend
 * (a third of the whole SGD step).
 *
 * `pool` (default): an approximation that keeps the step on the device. A pool of N(0, noise_scale²)
 * values is drawn once from the trial's seed and kept on the device; each tensor of each step reads
 * a contiguous window of it at a fresh uniformly random (seeded) offset, wrapping around the end.
 * Every element is exactly N(0, noise_scale²); what differs from fresh noise is that windows of
 * different tensors and steps may overlap (so some draws recur, shifted), the more so the smaller
 * the pool relative to the parameters — the default 2²² values is ~10× SimpleCNN's 422k
 * parameters. At noise_scale 1e-4, against gradients around 1e-3…1e-1, this is immaterial to
 * training; `noise_source: 'exact'` is there to check that.
 */
export class NoiseSource {
  private pool: tf.Tensor1D | undefined;
  /** How the pool was (or, after a restore, will be) drawn. */
  private poolDraw: { seed: number; size: number } | undefined;

  constructor(
    private readonly source: 'pool' | 'exact',
    private readonly scale: number,
    private readonly poolSize: number,
    private readonly random: () => number,
  ) {}

  saveState(): NoiseState {
    return { random: restorable(this.random).state(), pool: this.poolDraw ? { ...this.poolDraw } : null };
  }

  loadState(state: NoiseState): void {
    this.dispose();
    restorable(this.random).restore(state.random);
    this.poolDraw = state.pool ? { ...state.pool } : undefined;
  }

  /** Noise shaped like `like` (a new tensor: call inside tf.tidy). */
  sample(like: tf.Tensor): tf.Tensor {
    return this.samples([like])[0]!;
  }

  /**
   * Noise shaped like each of `likes`, drawn in their order (the same values as `sample` on each
   * in turn), in one kernel call where the backend has one (optimizers/batched.ts).
   */
  samples(likes: readonly tf.Tensor[]): tf.Tensor[] {
    if (this.source === 'exact') return likes.map((like) => tf.randomNormal(like.shape, 0, this.scale, 'float32', this.seed()));
    const out: tf.Tensor[] = [];
    let cuts: WindowCut[] = [];
    for (const like of likes) {
      // A tensor longer than the pool regrows it, with a draw from the stream at this point of the
      // sequence: the windows cut so far are taken from the old pool first.
      if (this.pool && this.pool.size < like.size && cuts.length) {
        out.push(...windows(this.pool, cuts));
        cuts = [];
      }
      const size = this.ensurePool(like.size).size;
      cuts.push({ offset: Math.min(size - 1, Math.floor(this.random() * size)), shape: like.shape });
    }
    if (cuts.length) out.push(...windows(this.pool!, cuts));
    return out;
  }

  /** Device bytes held by the pool. */
  bytes(): number {
    return this.pool ? this.pool.size * 4 : 0;
  }

  dispose(): void {
    this.pool?.dispose();
    this.pool = undefined;
  }

  /** The pool, created on first use (at least as long as the largest tensor, so a window wraps at most once). */
  private ensurePool(minimum: number): tf.Tensor1D {
    let pool = this.pool;
    if (!pool || pool.size < minimum) {
      pool?.dispose();
      // A restored source redraws the pool it had; otherwise the draw takes the stream's next seed.
      const draw = !pool && this.poolDraw && this.poolDraw.size >= minimum ? this.poolDraw : { seed: this.seed(), size: Math.max(this.poolSize, minimum) };
      this.poolDraw = draw;
      // Pre-scaled, so a step pays one slice and one add per tensor.
      pool = tf.keep(tf.tidy(() => tf.randomNormal([draw.size], 0, this.scale, 'float32', draw.seed) as tf.Tensor1D));
      this.pool = pool;
    }
    return pool;
  }

  private seed(): number {
    return Math.floor(this.random() * 2 ** 31);
  }
}
