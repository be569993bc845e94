import type { Optimizer } from '../worker/engine/optimizers/index.js';

/**
 * What the original EnhancedSGD did each step, for comparison: copy every gradient to host memory
 * and compute the statistics there (concatenate, unbiased variance, min/max, 100-bin density
 * histogram, entropy), before the update. Wrapping our optimizer with it adds exactly that work.
 */
export function withHostStatistics(inner: Optimizer): Optimizer {
  let hostVariance = Number.NaN;
  let hostEntropy = Number.NaN;
  return {
    ...inner,
    telemetry: async () => ({ ...(await inner.telemetry?.()), host_variance: hostVariance, host_entropy: hostEntropy }),
    name: `${inner.name}+host-statistics`,
    async apply(variables, grads, context) {
      const arrays = await Promise.all(grads.map((g) => g.data() as Promise<Float32Array>));
      const n = arrays.reduce((s, a) => s + a.length, 0);
      const all = new Float32Array(n);
      let offset = 0;
      for (const a of arrays) {
        all.set(a, offset);
        offset += a.length;
      }
      let sum = 0;
      let min = Infinity;
      let max = -Infinity;
      for (const x of all) {
        sum += x;
        if (x < min) min = x;
        if (x > max) max = x;
      }
      const mean = sum / n;
      let sq = 0;
      for (const x of all) sq += (x - mean) ** 2;
      const counts = new Float64Array(100);
      const width = (max - min) / 100 || 1;
      for (const x of all) counts[Math.min(99, Math.floor((x - min) / width))]! += 1;
      let entropy = 0;
      for (const c of counts) {
        const p = c / (n * width) + 1e-12;
        entropy -= p * Math.log(p);
      }
      hostVariance = sq / (n - 1);
      hostEntropy = entropy;
      await inner.apply(variables, grads, context);
    },
  };
}
