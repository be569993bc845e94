import * as tf from '@tensorflow/tfjs-core';
import type { z } from 'zod';
import type { nadamwSchema } from './catalog.js';
import { decayWeights, SlotState } from './state.js';
import type { OptimizerFactory } from './types.js';

/**
 * torch.optim.NAdam with decoupled_weight_decay=True (the AlgoPerf baseline "NAdamW").
 * μ_t = β1·(1 − ½·0.96^(t·ψ)); the update mixes the current gradient and the momentum with the
 * running product of μ, as PyTorch's single-tensor implementation does.
 */
export const nadamw: OptimizerFactory<z.infer<typeof nadamwSchema>> = {
  create(hp) {
    const m = new SlotState('nadamw_m');
    const v = new SlotState('nadamw_v');
    let t = 0;
    let muProduct = 1;
    return {
      name: 'nadamw',
      hyperparameters: hp,
      telemetry: () => ({ lr: hp.lr }),
      apply(variables, grads) {
        t += 1;
        const mu = hp.beta1 * (1 - 0.5 * 0.96 ** (t * hp.momentum_decay));
        const muNext = hp.beta1 * (1 - 0.5 * 0.96 ** ((t + 1) * hp.momentum_decay));
        muProduct *= mu;
        const bc2 = 1 - hp.beta2 ** t;
        const gradStep = (hp.lr * (1 - mu)) / (1 - muProduct);
        const momentumStep = (hp.lr * muNext) / (1 - muProduct * muNext);
        tf.tidy(() => {
          variables.forEach((p, i) => {
            const g = grads[i]!;
            decayWeights(p, hp.lr, hp.weight_decay);
            const mi = m.get(i, p);
            const vi = v.get(i, p);
            mi.assign(tf.add(tf.mul(mi, hp.beta1), tf.mul(g, 1 - hp.beta1)));
            vi.assign(tf.add(tf.mul(vi, hp.beta2), tf.mul(tf.square(g), 1 - hp.beta2)));
            const denom = tf.add(tf.sqrt(tf.div(vi, bc2)), hp.eps);
            const update = tf.add(tf.mul(tf.div(g, denom), gradStep), tf.mul(tf.div(mi, denom), momentumStep));
            p.assign(tf.sub(p, update));
          });
        });
      },
      saveState() {
        const tensors: Record<string, tf.Tensor> = {};
        m.save(tensors);
        v.save(tensors);
        return { host: { t, muProduct }, tensors };
      },
      loadState(state) {
        t = Number(state.host.t);
        muProduct = Number(state.host.muProduct);
        m.load(state.tensors);
        v.load(state.tensors);
      },
      dispose() {
        m.dispose();
        v.dispose();
      },
    };
  },
};
