import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs-core';
import { backendOrSkip } from '../../../test/helpers/backends.js';
import { cpuBackend } from '../backends/cpu.js';
import { BACKENDS } from '../backends/catalog.js';
import { activateBackend } from '../backends/index.js';
import { stream } from '../random.js';
import { HISTOGRAM_BINS, STAT, gradientStatistics, statisticsFromDevice } from './gradient-stats.js';

/** The statistics as the host sees them: the device's vector, its entropies finished on the host. */
async function statisticsOf(grads: tf.Tensor[]): Promise<Float32Array> {
  const device = gradientStatistics(grads);
  const values = await device.data();
  device.dispose();
  return statisticsFromDevice(values, grads.reduce((n, g) => n + g.size, 0));
}

/** Independent plain-JS reference: two-pass variance, torch.histc-style bins, both entropies. */
function reference(values: number[]) {
  const n = values.length;
  const mean = values.reduce((a, b) => a + b, 0) / n;
  const variance = values.reduce((a, b) => a + (b - mean) ** 2, 0) / (n - 1);
  const min = Math.min(...values);
  const max = Math.max(...values);
  const width = (max - min) / HISTOGRAM_BINS;
  const counts = new Array<number>(HISTOGRAM_BINS).fill(0);
  for (const v of values) counts[Math.min(HISTOGRAM_BINS - 1, Math.floor((v - min) / width))]! += 1;
  let entropy = 0;
  let entropyDensity = 0;
  for (const c of counts) {
    const p = c / n;
    if (p > 0) entropy -= p * Math.log(p);
    const d = c / (n * width) + 1e-12;
    entropyDensity -= d * Math.log(d);
  }
  return { variance, min, max, mean, entropy, entropyDensity, norm: Math.sqrt(values.reduce((a, b) => a + b * b, 0)) };
}

describe('gradient statistics on the device', () => {
  before(async () => {
    await cpuBackend.activate();
  });

  it('match a plain-JS computation over all tensors concatenated', async () => {
    const random = stream(11, 'stats');
    const shapes = [[3, 3, 1, 4], [4], [50, 7], [7]];
    const arrays = shapes.map((shape) => Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => (random() - 0.45) * 0.02));
    const grads = arrays.map((a, i) => tf.tensor(a, shapes[i]));
    const stats = await statisticsOf(grads);
    const want = reference(arrays.flatMap((a) => Array.from(a)));
    const close = (got: number, expected: number, what: string) =>
      assert.ok(Math.abs(got - expected) <= 1e-4 * Math.abs(expected) + 1e-9, `${what}: ${got} vs ${expected}`);
    close(stats[STAT.variance]!, want.variance, 'variance');
    close(stats[STAT.min]!, want.min, 'min');
    close(stats[STAT.max]!, want.max, 'max');
    close(stats[STAT.mean]!, want.mean, 'mean');
    close(stats[STAT.norm]!, want.norm, 'norm');
    close(stats[STAT.entropy]!, want.entropy, 'entropy');
    close(stats[STAT.entropyDensity]!, want.entropyDensity, 'density entropy');
    assert.ok(stats[STAT.entropy]! > 0 && stats[STAT.entropy]! <= Math.log(100));
    // The original's density "entropy" of narrow gradients is a large negative number (spec).
    assert.ok(stats[STAT.entropyDensity]! < -100, `density entropy ${stats[STAT.entropyDensity]}`);
    tf.dispose(grads);
  });

  it('puts the maximum in the last bin and handles a constant gradient', async () => {
    const stats = await statisticsOf([tf.tensor1d([0, 0, 1])]);
    // Two values in bin 0, one in bin 99: p = (2/3, 1/3).
    const expected = -(2 / 3) * Math.log(2 / 3) - (1 / 3) * Math.log(1 / 3);
    assert.ok(Math.abs(stats[STAT.entropy]! - expected) < 1e-5);
    const constant = await statisticsOf([tf.fill([10], 0.5)]);
    assert.ok(Math.abs(constant[STAT.variance]!) < 1e-12);
    assert.ok(Math.abs(constant[STAT.entropy]!) < 1e-12, 'a single occupied bin has zero entropy');
    // numpy.histogram(g, bins=100, density=True) of a constant: range widened to ±0.5, bins 0.01
    // wide, all 10 values in one bin of density 100, the 99 others 0 (+1e-12 each, as the original).
    const occupied = 100 + 1e-12;
    const numpyDensityEntropy = -occupied * Math.log(occupied) - 99 * 1e-12 * Math.log(1e-12);
    assert.ok(Math.abs(constant[STAT.entropyDensity]! - numpyDensityEntropy) < 1e-3, `density entropy of a constant: ${constant[STAT.entropyDensity]} vs numpy's ${numpyDensityEntropy}`);
  });

  // A diverging step's gradients: the statistics must stay computable (TensorFlow's bincount threw
  // on the NaN → int32 cast) and say the step is not finite, on every backend.
  for (const backend of BACKENDS.entries) {
    it(`${backend.name}: NaN and infinite gradients give non-finite variance and norm, without an error`, async (t) => {
      if (!(await backendOrSkip(t, backend.name))) return;
      await activateBackend(backend.name);
      try {
        for (const bad of [Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY]) {
          const grads = [tf.tensor1d([0.1, bad, -0.2]), tf.tensor2d([[0.3, 0.4]])];
          const values = await statisticsOf(grads);
          tf.dispose(grads);
          assert.ok(!Number.isFinite(values[STAT.norm]!), `${bad}: norm ${values[STAT.norm]}`);
          assert.ok(!Number.isFinite(values[STAT.variance]!), `${bad}: variance ${values[STAT.variance]}`);
        }
      } finally {
        await cpuBackend.activate();
      }
    });
  }
});
