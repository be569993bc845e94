import * as tf from '@tensorflow/tfjs-core';
import type { z } from 'zod';
import type { sgdSchema } from './catalog.js';
import { SlotState, withWeightDecay } from './state.js';
import type { OptimizerFactory } from './types.js';

/** torch.optim.SGD: buf = μ·buf + (1 − dampening)·g (buf = g on the first step), p -= lr·buf. */
export const sgd: OptimizerFactory<z.infer<typeof sgdSchema>> = {
  create(hp) {
    const buffers = new SlotState('sgd_momentum');
    let first = true;
    return {
      name: 'sgd',
      hyperparameters: hp,
      telemetry: () => ({ lr: hp.lr, momentum: hp.momentum }),
      apply(variables, grads) {
        tf.tidy(() => {
          variables.forEach((p, i) => {
            let g = withWeightDecay(grads[i]!, p, hp.weight_decay);
            if (hp.momentum !== 0) {
              const buf = buffers.get(i, p);
              // PyTorch initialises the buffer with the first gradient itself (no dampening).
              // (A dampening of 0 scales g by 1: skipped, a pass over every gradient saved, the same bits.)
              buf.assign(first ? g : tf.add(tf.mul(buf, hp.momentum), hp.dampening === 0 ? g : tf.mul(g, 1 - hp.dampening)));
              g = hp.nesterov ? tf.add(g, tf.mul(buf, hp.momentum)) : buf;
            }
            p.assign(tf.sub(p, tf.mul(g, hp.lr)));
          });
        });
        first = false;
      },
      saveState() {
        const tensors: Record<string, tf.Tensor> = {};
        buffers.save(tensors);
        return { host: { first }, tensors };
      },
      loadState(state) {
        first = state.host.first === true;
        buffers.load(state.tensors);
      },
      dispose: () => buffers.dispose(),
    };
  },
};
