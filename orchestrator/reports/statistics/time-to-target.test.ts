import assert from 'node:assert/strict';
import { test } from 'node:test';
import { summariseTimeToTarget, timeToTarget } from './time-to-target.js';
import { performanceProfile } from './performance-profile.js';

test('time to target: first epoch at or above it, seconds summed up to that epoch', () => {
  assert.deepEqual(timeToTarget([0.7, 0.8, 0.9], [10, 11, 12], 0.8), { epochs: 2, seconds: 21 });
  assert.equal(timeToTarget([0.7, 0.79], [10, 11], 0.8), null);
  assert.equal(timeToTarget([], [], 0.8), null);
});

test('median over seeds counts a miss as infinitely slow', () => {
  const s = summariseTimeToTarget([{ epochs: 1, seconds: 10 }, { epochs: 3, seconds: 30 }, null], 0.9);
  assert.equal(s.reached, 2);
  assert.equal(s.medianSeconds, 30);
  assert.equal(s.medianEpochs, 3);
  assert.equal(s.minSeconds, 10);
  const missed = summariseTimeToTarget([{ epochs: 1, seconds: 10 }, null], 0.9);
  assert.equal(missed.medianSeconds, Infinity);
  assert.equal(summariseTimeToTarget([{ epochs: 1, seconds: 10 }, { epochs: 2, seconds: 20 }], 0.9).medianSeconds, 15);
});

test('performance profile and AlgoPerf score, worked by hand', () => {
  // Workload 1: A 10 s, B 20 s → ratios A 1, B 2. Workload 2: A 30 s, B 15 s → A 2, B 1.
  // Workload 3: A 50 s, B misses → A 1, B ∞. Workload 4: nobody reaches → ∞ for both.
  const p = performanceProfile({
    submissions: ['A', 'B'],
    workloads: ['w1', 'w2', 'w3', 'w4'],
    times: [
      [10, 20],
      [30, 15],
      [50, Infinity],
      [Infinity, Infinity],
    ],
  });
  assert.deepEqual(p.ratios, [
    [1, 2],
    [2, 1],
    [1, Infinity],
    [Infinity, Infinity],
  ]);
  const [a, b] = p.curves;
  // A: ρ(1) = 2/4, ρ(2) = 3/4. Area over [1, 4] = ((4−1) + (4−2) + (4−1))/4 = 2; score 2/3.
  assert.deepEqual(a!.points, [
    { tau: 1, rho: 0.5 },
    { tau: 2, rho: 0.75 },
    { tau: 4, rho: 0.75 },
  ]);
  assert.ok(Math.abs(a!.score - 2 / 3) < 1e-12);
  // B: ratios 2 and 1 within τ_max: area ((4−2) + (4−1))/4 = 1.25; score 1.25/3.
  assert.ok(Math.abs(b!.score - 1.25 / 3) < 1e-12);
});
