import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs-core';
import { cpuBackend } from '../../backends/cpu.js';
import '../../tfjs-setup.js';
import { stream } from '../../random.js';
import { NoiseSource } from './noise.js';
import { scripted } from '../../../../test/helpers/scripted-random.js';


describe('EnhancedSGD noise', () => {
  before(async () => {
    await cpuBackend.activate();
  });

  it('pool: windows at seeded offsets, wrapping around the end', async () => {
    // Draws: the pool's seed, then one offset per sample (u·size, floored).
    const noise = new NoiseSource('pool', 1, 10, scripted([0.123, 0, 0.3, 0.7]));
    const all = tf.tidy(() => noise.sample(tf.zeros([10]))); // offset 0: the whole pool
    const pool = Array.from(await all.data());
    const like = tf.zeros([2, 3]);
    const inside = tf.tidy(() => noise.sample(like)); // offset 3
    const wrapped = tf.tidy(() => noise.sample(like)); // offset 7: pool[7, 8, 9, 0, 1, 2]
    assert.deepEqual(inside.shape, [2, 3]);
    assert.deepEqual(Array.from(await inside.data()), pool.slice(3, 9));
    assert.deepEqual(Array.from(await wrapped.data()), [pool[7], pool[8], pool[9], pool[0], pool[1], pool[2]]);
    assert.equal(noise.bytes(), 40);
    tf.dispose([all, like, inside, wrapped]);
    noise.dispose();
    assert.equal(noise.bytes(), 0);
  });

  it('pool values are N(0, noise_scale²), and the same seed gives the same noise', async () => {
    const a = new NoiseSource('pool', 1e-4, 1 << 16, stream(3, 'enhanced-sgd:noise'));
    const b = new NoiseSource('pool', 1e-4, 1 << 16, stream(3, 'enhanced-sgd:noise'));
    const like = tf.zeros([20000]);
    for (let step = 0; step < 3; step++) {
      const x = tf.tidy(() => a.sample(like));
      const y = tf.tidy(() => b.sample(like));
      const values = Array.from(await x.data());
      assert.deepEqual(values, Array.from(await y.data()));
      const mean = values.reduce((s, v) => s + v, 0) / values.length;
      const sd = Math.sqrt(values.reduce((s, v) => s + (v - mean) ** 2, 0) / (values.length - 1));
      assert.ok(Math.abs(mean) < 5e-6, `mean ${mean}`);
      assert.ok(Math.abs(sd - 1e-4) < 3e-6, `sd ${sd}`);
      tf.dispose([x, y]);
    }
    assert.equal(a.bytes(), 4 << 16);
    tf.dispose(like);
    a.dispose();
    b.dispose();
  });

  it('the pool grows to the largest tensor; exact noise is fresh and seeded', async () => {
    const small = new NoiseSource('pool', 1, 8, stream(1, 'n'));
    const t = tf.tidy(() => small.sample(tf.zeros([20])));
    assert.equal(t.size, 20);
    assert.equal(small.bytes(), 80);
    const e1 = new NoiseSource('exact', 0.5, 0, stream(1, 'n'));
    const e2 = new NoiseSource('exact', 0.5, 0, stream(1, 'n'));
    const [x1, x2] = tf.tidy(() => [e1.sample(tf.zeros([5, 5])), e1.sample(tf.zeros([5, 5]))]);
    const y1 = tf.tidy(() => e2.sample(tf.zeros([5, 5])));
    assert.deepEqual(Array.from(await x1!.data()), Array.from(await y1.data()));
    assert.notDeepEqual(Array.from(await x1!.data()), Array.from(await x2!.data()));
    assert.equal(e1.bytes(), 0);
    tf.dispose([t, x1!, x2!, y1]);
    [small, e1, e2].forEach((n) => n.dispose());
  });

  it('samples() over a step’s tensors gives what sample() on each in turn gives, across a pool regrowth', async () => {
    // Pool of 8: the second tensor (20) regrows it mid-step, the third (6) is cut from the new pool.
    const shapes = [[5], [4, 5], [6], [2, 3]];
    const one = new NoiseSource('pool', 1, 8, stream(7, 'n'));
    const all = new NoiseSource('pool', 1, 8, stream(7, 'n'));
    for (let step = 0; step < 2; step++) {
      const likes = shapes.map((s) => tf.zeros(s));
      const each = tf.tidy(() => likes.map((l) => one.sample(l)));
      const batched = tf.tidy(() => all.samples(likes));
      assert.deepEqual(batched.map((t) => t.shape), shapes);
      for (const [i, t] of batched.entries()) assert.deepEqual(Array.from(await t.data()), Array.from(await each[i]!.data()), `step ${step}, tensor ${i}`);
      tf.dispose([...likes, ...each, ...batched]);
    }
    assert.equal(all.bytes(), one.bytes());
    one.dispose();
    all.dispose();
  });
});
