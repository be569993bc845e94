import * as tf from '@tensorflow/tfjs-core';
import type { z } from 'zod';
import type { adamParams } from './catalog.js';
import { decayWeights, SlotState, withWeightDecay } from './state.js';
import type { Optimizer, OptimizerFactory } from './types.js';

type AdamParams = z.infer<typeof adamParams>;

/**
 * torch.optim.Adam / AdamW. Adam adds weight decay to the gradient (L2); AdamW decays the weights
 * directly (decoupled). The update is p -= (lr / bc1) · m / (sqrt(v) / sqrt(bc2) + eps), exactly
 * PyTorch's ordering of eps, which differs from TensorFlow.js's built-in Adam.
 */
function adamLike(name: string, hp: AdamParams, decoupled: boolean): Optimizer {
  const m = new SlotState(`${name}_m`);
  const v = new SlotState(`${name}_v`);
  let t = 0;
  return {
    name,
    hyperparameters: hp,
    telemetry: () => ({ lr: hp.lr }),
    apply(variables, grads) {
      t += 1;
      const bc1 = 1 - hp.beta1 ** t;
      const bc2Sqrt = Math.sqrt(1 - hp.beta2 ** t);
      tf.tidy(() => {
        variables.forEach((p, i) => {
          if (decoupled) decayWeights(p, hp.lr, hp.weight_decay);
          const g = decoupled ? grads[i]! : withWeightDecay(grads[i]!, p, hp.weight_decay);
          const mi = m.get(i, p);
          const vi = v.get(i, p);
          mi.assign(tf.add(tf.mul(mi, hp.beta1), tf.mul(g, 1 - hp.beta1)));
          vi.assign(tf.add(tf.mul(vi, hp.beta2), tf.mul(tf.square(g), 1 - hp.beta2)));
          const denom = tf.add(tf.div(tf.sqrt(vi), bc2Sqrt), hp.eps);
          p.assign(tf.sub(p, tf.mul(tf.div(mi, denom), hp.lr / bc1)));
        });
      });
    },
    saveState() {
      const tensors: Record<string, tf.Tensor> = {};
      m.save(tensors);
      v.save(tensors);
      return { host: { t }, tensors };
    },
    loadState(state) {
      t = Number(state.host.t);
      m.load(state.tensors);
      v.load(state.tensors);
    },
    dispose() {
      m.dispose();
      v.dispose();
    },
  };
}

export const adam: OptimizerFactory<AdamParams> = {
  create: (hp) => adamLike('adam', hp, false),
};

export const adamw: OptimizerFactory<AdamParams> = {
  create: (hp) => adamLike('adamw', hp, true),
};
