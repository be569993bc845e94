import assert from 'node:assert/strict';
import { before, test } from 'node:test';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { conv2DBackpropFilter } from './cpu-kernels.js';

/** cpu-kernels.ts's filter gradient against tfjs-backend-cpu's own, bit for bit. */
let original: tf.KernelFunc;
before(async () => {
  await tf.setBackend('cpu');
  // Taken before anything replaces it (the cpu backend's activate() does).
  original = tf.getKernel(tf.Conv2DBackpropFilter, 'cpu')!.kernelFunc;
});

const CASES: Array<{ x: [number, number, number, number]; filter: [number, number]; channels: number; strides: number | [number, number]; pad: 'same' | 'valid' | number; format?: 'NHWC' | 'NCHW' }> = [
  { x: [4, 9, 9, 3], filter: [3, 3], channels: 5, strides: 1, pad: 'same' },
  { x: [2, 11, 8, 4], filter: [3, 2], channels: 3, strides: [2, 1], pad: 'valid' },
  { x: [3, 10, 10, 2], filter: [5, 5], channels: 4, strides: 2, pad: 'same' },
  { x: [2, 7, 7, 3], filter: [3, 3], channels: 2, strides: 1, pad: 1 },
  { x: [2, 3, 8, 8], filter: [3, 3], channels: 4, strides: 1, pad: 'same', format: 'NCHW' },
];

for (const c of CASES) {
  test(`Conv2DBackpropFilter ${JSON.stringify(c)}: the same bits as tfjs-backend-cpu's`, () => {
    const format = c.format ?? 'NHWC';
    const inChannels = format === 'NHWC' ? c.x[3] : c.x[1];
    const filterShape: [number, number, number, number] = [c.filter[0], c.filter[1], inChannels, c.channels];
    const x = tf.randomNormal(c.x, 0, 1, 'float32', 7);
    const w = tf.randomNormal(filterShape, 0, 1, 'float32', 8);
    // dy has the forward pass's output shape.
    const info = tf.backend_util.computeConv2DInfo(c.x, filterShape, c.strides, 1, c.pad, undefined, false, format === 'NHWC' ? 'channelsLast' : 'channelsFirst');
    const dy = tf.randomNormal(info.outShape, 0, 1, 'float32', 9);
    const attrs = { strides: c.strides, pad: c.pad, dataFormat: format, dimRoundingMode: undefined, filterShape } as unknown as tf.NamedAttrMap;
    const backend = tf.backend();
    const args = { inputs: { x, dy }, backend, attrs };
    const theirs = original(args) as tf.TensorInfo;
    const ours = conv2DBackpropFilter(args);
    assert.deepEqual(ours.shape, theirs.shape);
    const a = tf.engine().makeTensorFromTensorInfo(ours).dataSync();
    const b = tf.engine().makeTensorFromTensorInfo(theirs).dataSync();
    assert.deepEqual(Array.from(a), Array.from(b));
    assert.ok(b.some((v) => v !== 0), 'a non-trivial gradient');
    tf.dispose([x, w, dy]);
  });
}
