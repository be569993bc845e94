import * as tf from '@tensorflow/tfjs-core';
import type { HyperParameterValue } from '../shared/trial.js';
import { modelByName, type Model, type ModelInput } from '../worker/engine/models/index.js';
import { createStepContext, disposeStepContext } from '../worker/engine/optimizers/context.js';
import { createOptimizer, type Optimizer } from '../worker/engine/optimizers/index.js';
import { stream } from '../worker/engine/random.js';
import { crossEntropy } from '../worker/engine/tasks/classification.js';
import { trainStep } from '../worker/engine/train.js';
import { timed, type Contender, type Timing } from './interleave.js';

/** One optimizer configuration of the optimizers benchmark. */
export interface Variant {
  name: string;
  optimizer: string;
  hyperparameters?: Record<string, HyperParameterValue>;
  wrap?: (o: Optimizer) => Optimizer;
  /** Its share of the run: rounds are multiplied by it (default 1). */
  share?: number;
}

export interface Disposable {
  dispose(): void;
}

/** MNIST's sample as the data set describes it; the inputs are already normalised random values. */
const SAMPLE: ModelInput = { kind: 'image', shape: [28, 28, 1], classes: 10, normalization: { mean: [0], std: [1], arithmetic: 'float32' } };

/** A SimpleCNN with the same initial weights for every variant (seed 0), and its optimizer. */
async function modelAndOptimizer(v: Variant): Promise<{ model: Model; optimizer: Optimizer }> {
  const model = (await modelByName('simple-cnn')).create(SAMPLE, stream(0, 'throughput'));
  const created = await createOptimizer(v.optimizer, v.hyperparameters ?? {}, 0);
  return { model, optimizer: v.wrap ? v.wrap(created) : created };
}

/** The synthetic batch of `measureThroughput` (worker/engine/throughput.ts): random images, labels i mod 10. */
export function syntheticBatch(batch: number): { images: tf.Tensor4D; labels: tf.Tensor2D } & Disposable {
  const images = tf.randomNormal([batch, 28, 28, 1], 0, 1, 'float32', 1) as tf.Tensor4D;
  const labels = tf.tidy(() => tf.cast(tf.oneHot(tf.tensor1d(Array.from({ length: batch }, (_, i) => i % 10), 'int32'), 10), 'float32')) as tf.Tensor2D;
  return { images, labels, dispose: () => tf.dispose([images, labels]) };
}

const loss = (logits: tf.Tensor, targets: tf.Tensor) => crossEntropy(logits as tf.Tensor2D, targets as tf.Tensor2D);

/**
 * The full training step: the training loop's own trainStep (forward, backward, the gradient
 * statistics every optimizer's telemetry pays for, the update, the step's host read), with the
 * model and optimizer kept from block to block as a trainer keeps them. `warmupSteps` untimed steps
 * first (kernel set-up, first allocations, the optimizer's slots and noise pool).
 */
export async function fullStepContender(v: Variant, data: { images: tf.Tensor4D; labels: tf.Tensor2D }, warmupSteps: number): Promise<Contender & Disposable> {
  const { model, optimizer } = await modelAndOptimizer(v);
  let step = 0;
  const once = async () => {
    const output = await trainStep(model, optimizer, loss, data.images, data.labels, 0, step++);
    await Promise.all([output.scalars, output.optimizer]);
  };
  for (let i = 0; i < warmupSteps; i++) await once();
  return {
    name: v.name,
    unit: () => timed(once),
    dispose: () => {
      model.dispose();
      optimizer.dispose();
    },
  };
}

/** One real backward pass of SimpleCNN (initial weights, the synthetic batch): gradients of its exact shapes and realistic scale, and the loss. */
export async function fixedGradients(data: { images: tf.Tensor4D; labels: tf.Tensor2D }): Promise<{ grads: tf.Tensor[]; loss: tf.Scalar } & Disposable> {
  const model = (await modelByName('simple-cnn')).create(SAMPLE, stream(0, 'throughput'));
  try {
    const { value, grads } = tf.variableGrads(() => loss(model.predict(data.images, true), data.labels), model.variables as tf.Variable[]);
    const list = model.variables.map((v) => grads[v.name]!);
    return { grads: list, loss: value, dispose: () => tf.dispose([...list, value]) };
  } finally {
    model.dispose();
  }
}

/**
 * The optimizer update alone, where what an optimizer adds is not diluted by the shared forward
 * and backward pass: apply() on fixed gradients of SimpleCNN's shapes, with the statistics context
 * the training loop gives it (createStepContext: the device statistics and the memoised host
 * read), advancing the step number as training does. Building the context is the loop's work, the
 * same for every optimizer, so it is outside the timed part; the timed part is apply() and, on a
 * GPU backend, the wait for the update to finish (a one-value read of the last variable, which
 * every optimizer here updates last). CPU backends execute ops synchronously, so nothing is added
 * there. After the timed part the loop's own read and the telemetry are awaited, as trainStep's
 * caller does.
 */
export async function updateContender(v: Variant, fixed: { grads: readonly tf.Tensor[]; loss: tf.Scalar }, gpu: boolean, warmupSteps: number): Promise<Contender & Disposable> {
  const { model, optimizer } = await modelAndOptimizer(v);
  const variables = model.variables;
  let step = 0;
  const once = async (): Promise<Timing> => {
    const context = createStepContext(fixed.grads, fixed.loss, 0, step++);
    try {
      const t = await timed(async () => {
        await optimizer.apply(variables, fixed.grads, context);
        if (gpu) {
          const probe = tf.tidy(() => tf.slice(tf.reshape(variables.at(-1)!, [-1]), [0], [1]));
          await probe.data();
          probe.dispose();
        }
      });
      await Promise.all([context.readScalars(), optimizer.telemetry?.()]);
      return t;
    } finally {
      disposeStepContext(context);
    }
  };
  for (let i = 0; i < warmupSteps; i++) await once();
  return {
    name: v.name,
    unit: once,
    dispose: () => {
      model.dispose();
      optimizer.dispose();
    },
  };
}
