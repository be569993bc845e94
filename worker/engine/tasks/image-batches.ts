import * as tf from '@tensorflow/tfjs-core';
import type { ImageSample, ImageSplit, PixelNormalization } from '../datasets/data.js';

/**
 * Input values of every (channel, byte) pair, `channels × 256` of them, in the data set's own
 * arithmetic (data.ts): normalising a batch on the device is then one gather from this table,
 * exact to the bit with what the reference computes on the host, whatever the backend.
 */
export function normalizationTable(n: PixelNormalization, channels: number): Float32Array {
  const table = new Float32Array(channels * 256);
  for (let c = 0; c < channels; c++) {
    const mean = n.mean[c] ?? n.mean[0]!;
    const std = n.std[c] ?? n.std[0]!;
    for (let v = 0; v < 256; v++) {
      table[c * 256 + v] =
        n.arithmetic === 'float64'
          ? v * (1 / (255 * std)) - mean / std
          : Math.fround(Math.fround(Math.fround(v / 255) - Math.fround(mean)) / Math.fround(std));
    }
  }
  return table;
}

/**
 * Copies a batch of images (by index) out of a split into a reusable host buffer of bytes (as
 * int32: TensorFlow.js has no uint8 tensors), uploads it and normalises it on the device; the
 * targets are the labels (one-hot for classification, built by the caller's `targets`). The host
 * side of a step allocates nothing but the tensors themselves.
 */
export class ImageBatches {
  private readonly pixels: number;
  private readonly bytes: Int32Array;
  private readonly table: tf.Tensor1D;
  /** c·256 per channel (absent for one channel): turns a byte into its row of the table. */
  private readonly offsets: tf.Tensor1D | undefined;

  constructor(
    private readonly split: Pick<ImageSplit, 'pixels'>,
    private readonly sample: Pick<ImageSample, 'shape' | 'normalization'>,
    private readonly maxBatch: number,
  ) {
    const [h, w, c] = sample.shape;
    this.pixels = h * w * c;
    this.bytes = new Int32Array(maxBatch * this.pixels);
    this.table = tf.tensor1d(normalizationTable(sample.normalization, c), 'float32');
    this.offsets = c > 1 ? tf.tensor1d(Array.from({ length: c }, (_, k) => k * 256), 'int32') : undefined;
  }

  /** The normalised images `order[start, start + size)`, `[size, h, w, c]` float32; the caller disposes it. */
  images(order: ArrayLike<number>, start: number, size: number): tf.Tensor4D {
    if (size > this.maxBatch) throw new RangeError(`batch of ${size} exceeds ${this.maxBatch}`);
    const { pixels } = this.split;
    for (let i = 0; i < size; i++) {
      const index = order[start + i]!;
      this.bytes.set(pixels.subarray(index * this.pixels, (index + 1) * this.pixels), i * this.pixels);
    }
    return tf.tidy(() => {
      // tf.tensor copies the buffer, so it can be refilled for the next batch at once.
      const raw = tf.tensor4d(this.bytes.subarray(0, size * this.pixels), [size, ...this.sample.shape], 'int32');
      const rows = this.offsets ? tf.add(raw, this.offsets) : raw;
      return tf.gather(this.table, rows) as unknown as tf.Tensor4D;
    });
  }

  dispose(): void {
    tf.dispose([this.table, ...(this.offsets ? [this.offsets] : [])]);
  }
}
