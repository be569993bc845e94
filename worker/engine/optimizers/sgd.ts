import * as tf from '@tensorflow/tfjs-core';
import { z } from 'zod';
import { SlotState, withWeightDecay } from './state.js';
import type { OptimizerFactory } from './types.js';

const schema = z
  .object({
    lr: z.number().positive().default(0.01),
    momentum: z.number().min(0).max(1).default(0.9),
    dampening: z.number().min(0).max(1).default(0),
    weight_decay: z.number().min(0).default(0),
    nesterov: z.boolean().default(false),
  })
  .strict();

/** torch.optim.SGD: buf = μ·buf + (1 − dampening)·g (buf = g on the first step), p -= lr·buf. */
export const sgd: OptimizerFactory<typeof schema> = {
  name: 'sgd',
  description: 'SGD with momentum (PyTorch semantics; seed defaults lr 0.01, momentum 0.9)',
  schema,
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
              buf.assign(first ? g : tf.add(tf.mul(buf, hp.momentum), tf.mul(g, 1 - hp.dampening)));
              g = hp.nesterov ? tf.add(g, tf.mul(buf, hp.momentum)) : buf;
            }
            p.assign(tf.sub(p, tf.mul(g, hp.lr)));
          });
        });
        first = false;
      },
      dispose: () => buffers.dispose(),
    };
  },
};
