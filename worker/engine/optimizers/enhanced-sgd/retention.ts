import * as tf from '@tensorflow/tfjs-core';

/**
 * The original's gradient retention buffer: a deque of the last `capacity` processed gradient
 * tensors (one entry per parameter tensor per step, pushed while the entropy exceeds the threshold).
 * Nothing ever reads it, in the original or here; it exists for faithfulness and for its memory
 * cost, which is reported.
 */
export class RetentionBuffer {
  private readonly tensors: tf.Tensor[] = [];
  private bytesHeld = 0;

  constructor(private readonly capacity: number) {}

  /** Keeps a copy of `t` (safe inside tf.tidy), dropping the oldest beyond the capacity. */
  push(t: tf.Tensor): void {
    const copy = tf.keep(tf.clone(t));
    this.tensors.push(copy);
    this.bytesHeld += copy.size * 4;
    while (this.tensors.length > this.capacity) {
      const old = this.tensors.shift()!;
      this.bytesHeld -= old.size * 4;
      old.dispose();
    }
  }

  get size(): number {
    return this.tensors.length;
  }

  /** Bytes of the retained float32 tensors. */
  get bytes(): number {
    return this.bytesHeld;
  }

  /** Clones of the retained tensors, oldest first (checkpoints; the caller disposes them). */
  save(): tf.Tensor[] {
    return this.tensors.map((t) => tf.clone(t));
  }

  /** Replaces the contents with `tensors` (taken over, not copied). */
  restore(tensors: readonly tf.Tensor[]): void {
    this.dispose();
    for (const t of tensors) {
      this.tensors.push(t);
      this.bytesHeld += t.size * 4;
    }
  }

  dispose(): void {
    for (const t of this.tensors) t.dispose();
    this.tensors.length = 0;
    this.bytesHeld = 0;
  }
}
