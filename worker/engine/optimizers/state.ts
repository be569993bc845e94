import * as tf from '@tensorflow/tfjs-core';
import type { SavedTensor } from './types.js';

/**
 * Per-parameter optimizer state (momentum buffers, moment estimates), one tf.Variable per
 * parameter tensor, created as zeros on first use and updated in place with `assign`, so a step
 * allocates no long-lived tensors.
 */
/** TensorFlow.js keeps one global namespace of variable names: every slot needs its own. */
let slotCounter = 0;

export class SlotState {
  private readonly slots: tf.Variable[] = [];

  constructor(private readonly label: string) {}

  get(index: number, like: tf.Tensor): tf.Variable {
    let slot = this.slots[index];
    if (!slot) {
      slot = tf.tidy(() => tf.variable(tf.zerosLike(like), false, `${this.label}_${index}_${slotCounter++}`));
      this.slots[index] = slot;
    }
    return slot;
  }

  /** Clones of the slots made so far, keyed `label/index`, into `into` (checkpoints). */
  save(into: Record<string, tf.Tensor>): void {
    this.slots.forEach((slot, i) => {
      if (slot) into[`${this.label}/${i}`] = tf.clone(slot);
    });
  }

  /** Replaces the slots with the saved ones of this label (absent ones: not made yet). */
  load(from: Readonly<Record<string, SavedTensor>>): void {
    this.dispose();
    const prefix = `${this.label}/`;
    for (const [key, saved] of Object.entries(from)) {
      if (!key.startsWith(prefix)) continue;
      const index = Number(key.slice(prefix.length));
      if (!Number.isInteger(index) || index < 0) throw new Error(`optimizer state: bad slot name '${key}'`);
      this.slots[index] = tf.tidy(() => tf.variable(tf.tensor(saved.data, [...saved.shape], 'float32'), false, `${this.label}_${index}_${slotCounter++}`));
    }
  }

  /** Bytes held, for memory reports. */
  bytes(): number {
    return this.slots.reduce((sum, s) => sum + s.size * 4, 0);
  }

  dispose(): void {
    for (const s of this.slots) s.dispose();
    this.slots.length = 0;
  }
}

/** Decoupled weight decay (AdamW, NAdamW): p <- p * (1 - lr * wd), applied before the update. */
export function decayWeights(variable: tf.Variable, lr: number, weightDecay: number): void {
  if (weightDecay === 0) return;
  tf.tidy(() => variable.assign(tf.mul(variable, 1 - lr * weightDecay)));
}

/** Coupled (L2) weight decay, as torch.optim's SGD, Adam and RMSprop apply it: g + wd·p. */
export function withWeightDecay(grad: tf.Tensor, variable: tf.Variable, weightDecay: number): tf.Tensor {
  return weightDecay === 0 ? grad : tf.add(grad, tf.mul(variable, weightDecay));
}
