import * as tf from '@tensorflow/tfjs-core';
import type { ImageShape } from './models/types.js';
import type { ImageSplit } from './datasets/types.js';

/**
 * Copies a batch of examples (by index) out of a split into reusable host buffers and uploads them
 * as an image tensor and a one-hot label tensor. Reusing the buffers keeps the host side of a
 * training step allocation-free apart from the tensors themselves.
 */
export class BatchBuilder {
  private readonly pixels: number;
  private readonly imageBuffer: Float32Array;
  private readonly labelBuffer: Float32Array;

  constructor(
    private readonly split: ImageSplit,
    private readonly shape: ImageShape,
    private readonly classes: number,
    private readonly maxBatch: number,
  ) {
    this.pixels = shape[0] * shape[1] * shape[2];
    this.imageBuffer = new Float32Array(maxBatch * this.pixels);
    this.labelBuffer = new Float32Array(maxBatch * classes);
  }

  /** Batch of the examples `order[start, start + size)`; the caller disposes both tensors. */
  build(order: ArrayLike<number>, start: number, size: number): { images: tf.Tensor4D; labels: tf.Tensor2D } {
    if (size > this.maxBatch) throw new RangeError(`batch of ${size} exceeds ${this.maxBatch}`);
    const { images, labels } = this.split;
    this.labelBuffer.fill(0, 0, size * this.classes);
    for (let i = 0; i < size; i++) {
      const index = order[start + i]!;
      this.imageBuffer.set(images.subarray(index * this.pixels, (index + 1) * this.pixels), i * this.pixels);
      this.labelBuffer[i * this.classes + labels[index]!] = 1;
    }
    // tf.tensor copies the data, so the buffers can be refilled for the next batch at once.
    return {
      images: tf.tensor4d(this.imageBuffer.subarray(0, size * this.pixels), [size, ...this.shape]),
      labels: tf.tensor2d(this.labelBuffer.subarray(0, size * this.classes), [size, this.classes]),
    };
  }
}

/** Identity order 0..n-1, for evaluation. */
export function sequentialOrder(n: number): Uint32Array {
  const order = new Uint32Array(n);
  for (let i = 0; i < n; i++) order[i] = i;
  return order;
}
