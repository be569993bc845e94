import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs-core';
import '../tfjs-setup.js';
import { modelByName } from '../models/index.js';
import { stream } from '../random.js';
import type { ImageSample } from '../datasets/data.js';
import { crossEntropy } from '../tasks/classification.js';
import { backendOrSkip } from '../../../test/helpers/backends.js';
import { BACKENDS } from './catalog.js';
import { activateBackend, backendByName } from './index.js';

/**
 * Each native/accelerated backend must compute the same gradients as the reference cpu backend.
 * A backend that is not installed here is skipped with its reason, unless GRN_REQUIRE_BACKENDS
 * names it (CI sets it for all), in which case its absence fails the test.
 */

const IMAGE_28: ImageSample = { kind: 'image', shape: [28, 28, 1], classes: 10, normalization: { mean: [0], std: [1], arithmetic: 'float32' } };

/** Loss and gradients of SimpleCNN (seed 5) on a fixed batch of 4, on the active backend. */
async function lossAndGradients(): Promise<{ loss: number; grads: Float32Array[] }> {
  const model = (await modelByName('simple-cnn')).create(IMAGE_28, stream(5, 'init'));
  const random = stream(5, 'data');
  const images = tf.tensor4d(Float32Array.from({ length: 4 * 784 }, () => random() * 2 - 1), [4, 28, 28, 1]);
  const labels = tf.tidy(() => tf.cast(tf.oneHot(tf.tensor1d([3, 1, 4, 1], 'int32'), 10), 'float32')) as tf.Tensor2D;
  const { value, grads } = tf.variableGrads(() => crossEntropy(model.predict(images) as tf.Tensor2D, labels), model.variables as tf.Variable[]);
  // data(), not dataSync(): WebGPU under Node cannot read GPU buffers synchronously.
  const out = { loss: (await value.data())[0]!, grads: await Promise.all(model.variables.map(async (v) => (await grads[v.name]!.data()) as Float32Array)) };
  tf.dispose([value, images, labels, ...Object.values(grads)]);
  model.dispose();
  return out;
}

describe('backends', () => {
  it('rejects an unknown backend name, listing the known ones', () => {
    assert.throws(() => backendByName('tpu'), /unknown backend 'tpu' \(did you mean 'cpu'\?\); known: tensorflow, webgpu, wasm, cpu/);
  });

  it('auto picks an available backend and reports its device', async () => {
    const report = await activateBackend('auto');
    assert.ok(BACKENDS.has(report.backend));
    assert.equal(tf.getBackend(), report.backend);
    assert.ok(report.device.length > 0);
  });

  let reference: { loss: number; grads: Float32Array[] } | undefined;
  for (const backend of BACKENDS.entries.filter((b) => b.name !== 'cpu')) {
    it(`${backend.name}: SimpleCNN loss and gradients equal the cpu backend's`, async (t) => {
      if (!(await backendOrSkip(t, backend.name))) return;
      if (!reference) {
        await activateBackend('cpu');
        reference = await lossAndGradients();
      }
      const report = await activateBackend(backend.name);
      assert.equal(tf.getBackend(), backend.name);
      assert.equal(report.backend, backend.name);
      const got = await lossAndGradients();
      assert.ok(Math.abs(got.loss - reference.loss) < 1e-4 * Math.max(1, Math.abs(reference.loss)), `loss ${got.loss} vs ${reference.loss}`);
      got.grads.forEach((g, i) => {
        const want = reference!.grads[i]!;
        let diff = 0;
        let norm = 0;
        for (let k = 0; k < g.length; k++) {
          diff += (g[k]! - want[k]!) ** 2;
          norm += want[k]! ** 2;
        }
        assert.ok(Math.sqrt(diff) <= 1e-3 * Math.sqrt(norm) + 1e-7, `gradient ${i}: relative error ${Math.sqrt(diff / norm)}`);
      });
    });
  }
});
