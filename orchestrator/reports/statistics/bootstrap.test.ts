import assert from 'node:assert/strict';
import { test } from 'node:test';
import seedrandom from 'seedrandom';
import { bootstrapBands, bootstrapMeanInterval, quantileSelect, quantileSorted } from './bootstrap.js';

test('quantileSorted is type 7 (R quantile(), NumPy percentile())', () => {
  // R: quantile(c(1, 2, 4, 8), c(0.1, 0.5, 0.975)) = 1.300 3.000 7.700
  const x = [1, 2, 4, 8];
  assert.ok(Math.abs(quantileSorted(x, 0.1) - 1.3) < 1e-12);
  assert.equal(quantileSorted(x, 0.5), 3);
  assert.ok(Math.abs(quantileSorted(x, 0.975) - 7.7) < 1e-12);
});

test('quantileSelect (quickselect) equals quantileSorted, ties and all', () => {
  const random = seedrandom.alea('select');
  for (const n of [1, 2, 3, 10, 101, 4000]) {
    for (const tiesEvery of [0, 3]) {
      const x = Float64Array.from({ length: n }, (_, i) => (tiesEvery && i % tiesEvery === 0 ? 0.5 : random()));
      const sorted = Float64Array.from(x).sort();
      for (const p of [0, 0.025, 0.5, 0.975, 1]) assert.equal(quantileSelect(Float64Array.from(x), p), quantileSorted(sorted, p), `n=${n} p=${p}`);
    }
  }
});

test('percentile bootstrap matches the exact bootstrap distribution (enumerated)', () => {
  // Exact bootstrap of the mean of (0, 1, 2, 10): all 4^4 = 256 resamples enumerated (NumPy,
  // itertools.product): the 2.5 % point falls inside the atom at 0.5 (CDF 0.0195 → 0.0586) and
  // the 97.5 % point inside the atom at 7.75 (0.9648 → 0.9805), so a faithful Monte-Carlo
  // bootstrap with 20 000 resamples lands on those two values exactly.
  const ci = bootstrapMeanInterval([0, 1, 2, 10], { seed: 'enumerated', resamples: 20000 });
  assert.deepEqual(ci, { lo: 0.5, hi: 7.75 });
});

test('two seeds: the percentile interval is their range; one seed: none', () => {
  assert.deepEqual(bootstrapMeanInterval([0.639, 0.678], { seed: 's' }), { lo: 0.639, hi: 0.678 });
  assert.equal(bootstrapMeanInterval([0.9], { seed: 's' }), null);
});

test('fixed seed: the same interval every time, another seed a slightly different one', () => {
  const x = [0.981, 0.978, 0.985, 0.972, 0.99, 0.969, 0.983, 0.977];
  const a = bootstrapMeanInterval(x, { seed: 'grn:test' })!;
  assert.deepEqual(bootstrapMeanInterval(x, { seed: 'grn:test' }), a);
  const b = bootstrapMeanInterval(x, { seed: 'grn:other' })!;
  assert.notDeepEqual(a, b);
  // Large-sample check: the interval is close to x̄ ± 1.96·σ̂/√n with σ̂ the plug-in sd.
  const mean = x.reduce((s, v) => s + v, 0) / x.length;
  const sd = Math.sqrt(x.reduce((s, v) => s + (v - mean) ** 2, 0) / x.length);
  const half = (1.96 * sd) / Math.sqrt(x.length);
  assert.ok(Math.abs(a.lo - (mean - half)) < half * 0.15, `${a.lo} vs ${mean - half}`);
  assert.ok(Math.abs(a.hi - (mean + half)) < half * 0.15, `${a.hi} vs ${mean + half}`);
});

test('bands resample whole seeds and skip missing points', () => {
  const seeds = [
    [1, 2, 3],
    [3, 4, Number.NaN],
  ];
  const { lo, hi } = bootstrapBands(seeds, 3, { seed: 'b', resamples: 2000 });
  assert.deepEqual([...lo.slice(0, 2)], [1, 2]);
  assert.deepEqual([...hi.slice(0, 2)], [3, 4]);
  // Only one seed has the third point: every resample's mean there is 3, so the band collapses.
  assert.equal(lo[2], 3);
  assert.equal(hi[2], 3);
});
