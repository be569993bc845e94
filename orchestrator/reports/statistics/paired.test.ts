import assert from 'node:assert/strict';
import { test } from 'node:test';
import { comparePaired, holm } from './paired.js';

const close = (a: number, b: number, tol: number, what: string) => assert.ok(Math.abs(a - b) <= tol, `${what}: ${a} vs ${b}`);

test('Wilcoxon exact: Hollander & Wolfe depression scores (R ?wilcox.test example)', () => {
  // R: wilcox.test(x, y, paired = TRUE) → V = 40, p-value = 0.03906 (exact; 9 pairs, no ties).
  const x = [1.83, 0.5, 1.62, 2.48, 1.68, 1.88, 1.55, 3.06, 1.3];
  const y = [0.878, 0.647, 0.598, 2.05, 1.06, 1.29, 1.06, 3.14, 1.29];
  const r = comparePaired(x, y, 'hw');
  assert.equal(r.wilcoxon?.method, 'exact');
  assert.equal(r.wilcoxon?.statistic, 40);
  close(r.wilcoxon!.p, 0.0390625, 1e-12, 'p'); // = 20/512
  assert.equal(r.note, null);
  // W+ = 40, W− = 5: rank-biserial (40 − 5)/45.
  close(r.rankBiserial!, 35 / 45, 1e-12, 'rank-biserial');
});

test('Wilcoxon normal approximation with ties and a zero, paired t: Student\'s sleep data (R ?sleep)', () => {
  // R: with(sleep, wilcox.test(extra[group == 1], extra[group == 2], paired = TRUE))
  //    → V = 0, p-value = 0.009091 (normal approximation: one zero difference, tied ranks)
  // R: with(sleep, t.test(extra[group == 1], extra[group == 2], paired = TRUE))
  //    → t = -4.0621, df = 9, p-value = 0.002833, mean difference -1.58
  const g1 = [0.7, -1.6, -0.2, -1.2, -0.1, 3.4, 3.7, 0.8, 0.0, 2.0];
  const g2 = [1.9, 0.8, 1.1, 0.1, -0.1, 4.4, 5.5, 1.6, 4.6, 3.4];
  const r = comparePaired(g1, g2, 'sleep');
  assert.equal(r.n, 10);
  assert.equal(r.wilcoxon?.method, 'normal');
  assert.equal(r.wilcoxon?.n, 9);
  assert.equal(r.wilcoxon?.statistic, 0);
  close(r.wilcoxon!.p, 0.009091, 5e-7, 'wilcoxon p');
  close(r.t!.t, -4.0621, 5e-5, 't');
  assert.equal(r.t!.df, 9);
  close(r.t!.p, 0.002833, 5e-7, 't p');
  close(r.meanDiff, -1.58, 1e-12, 'mean difference');
  // d_z = mean / sd of the differences = -1.58 / 1.229995 (sd from R: sd(g1 - g2)).
  close(r.dz!, -1.58 / 1.2299955, 1e-6, 'dz');
  assert.equal(r.rankBiserial, -1);
});

test('too few seeds is said, not hidden', () => {
  const r = comparePaired([0.85, 0.82], [0.64, 0.68], 'few');
  assert.equal(r.n, 2);
  assert.equal(r.minWilcoxonP, 0.5);
  assert.match(r.note!, /cannot reach p < 0.05/);
  assert.equal(r.wilcoxon?.p, 0.5);
  assert.equal(comparePaired([0.8], [0.7], 'one').note, 'one shared seed: no test possible');
  assert.equal(comparePaired([], [], 'none').note, 'no shared seeds with the baseline');
  assert.equal(comparePaired([0.8, 0.7], [0.8, 0.7], 'same').note, 'identical on every shared seed');
});

test('differences equal up to rounding count as ties', () => {
  // 0.678 − 0.639 and 0.717 − 0.678 differ in the 17th digit; rounded, they tie.
  const r = comparePaired([0.678, 0.717, 0.75, 0.8, 0.9, 0.95], [0.639, 0.678, 0.7, 0.71, 0.72, 0.73], 'ties');
  assert.equal(r.wilcoxon?.method, 'normal');
});

test('Holm: R p.adjust(c(0.01, 0.04, 0.03, 0.005), "holm") = 0.03 0.06 0.06 0.02', () => {
  const out = holm([0.01, 0.04, null, 0.03, 0.005]);
  assert.equal(out[2], null);
  const expected = [0.03, 0.06, null, 0.06, 0.02];
  out.forEach((p, i) => (expected[i] === null ? assert.equal(p, null) : close(p!, expected[i]!, 1e-12, `p${i}`)));
  assert.deepEqual(holm([null]), [null]);
});
