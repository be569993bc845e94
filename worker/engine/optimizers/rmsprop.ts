import * as tf from '@tensorflow/tfjs-core';
import type { z } from 'zod';
import type { rmspropSchema } from './catalog.js';
import { SlotState, withWeightDecay } from './state.js';
import type { OptimizerFactory } from './types.js';

/**
 * torch.optim.RMSprop: sq = α·sq + (1 − α)·g²; avg = sqrt(sq − ga²) + eps when centered
 * (ga the running mean of g), else sqrt(sq) + eps; p -= lr·g/avg, or through a momentum buffer.
 */
export const rmsprop: OptimizerFactory<z.infer<typeof rmspropSchema>> = {
  create(hp) {
    const square = new SlotState('rmsprop_sq');
    const gradAvg = new SlotState('rmsprop_ga');
    const buffer = new SlotState('rmsprop_buf');
    return {
      name: 'rmsprop',
      hyperparameters: hp,
      telemetry: () => ({ lr: hp.lr, momentum: hp.momentum }),
      apply(variables, grads) {
        tf.tidy(() => {
          variables.forEach((p, i) => {
            const g = withWeightDecay(grads[i]!, p, hp.weight_decay);
            const sq = square.get(i, p);
            sq.assign(tf.add(tf.mul(sq, hp.alpha), tf.mul(tf.square(g), 1 - hp.alpha)));
            let avg: tf.Tensor;
            if (hp.centered) {
              const ga = gradAvg.get(i, p);
              ga.assign(tf.add(tf.mul(ga, hp.alpha), tf.mul(g, 1 - hp.alpha)));
              avg = tf.add(tf.sqrt(tf.sub(sq, tf.square(ga))), hp.eps);
            } else {
              avg = tf.add(tf.sqrt(sq), hp.eps);
            }
            if (hp.momentum > 0) {
              const buf = buffer.get(i, p);
              buf.assign(tf.add(tf.mul(buf, hp.momentum), tf.div(g, avg)));
              p.assign(tf.sub(p, tf.mul(buf, hp.lr)));
            } else {
              p.assign(tf.sub(p, tf.mul(tf.div(g, avg), hp.lr)));
            }
          });
        });
      },
      saveState() {
        const tensors: Record<string, tf.Tensor> = {};
        for (const slots of [square, gradAvg, buffer]) slots.save(tensors);
        return { host: {}, tensors };
      },
      loadState(state) {
        for (const slots of [square, gradAvg, buffer]) slots.load(state.tensors);
      },
      dispose() {
        square.dispose();
        gradAvg.dispose();
        buffer.dispose();
      },
    };
  },
};
