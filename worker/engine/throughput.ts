import * as tf from '@tensorflow/tfjs-core';
import { modelByName, type ImageShape, type Model, type ModelInput } from './models/index.js';
import { crossEntropy } from './tasks/classification.js';
import { createOptimizer, type Optimizer } from './optimizers/index.js';
import type { StepContext } from './optimizers/types.js';
import type { HyperParameterValue } from '../../shared/trial.js';
import { stream } from './random.js';
import { trainStep } from './train.js';

export interface ThroughputOptions {
  model?: string;
  optimizer?: string;
  hyperparameters?: Record<string, HyperParameterValue>;
  batchSize?: number;
  shape?: ImageShape;
  /** The sample to build the model for instead of an image of `shape` (text: token ids). */
  sample?: ModelInput;
  /** The model's own options (catalog schema). */
  modelOptions?: Record<string, unknown>;
  /** Measure for about this long (at least `minSteps` steps). */
  seconds: number;
  /** Untimed steps first (kernel compilation, allocator warm-up). */
  warmupSteps?: number;
  minSteps?: number;
  /** Wraps the optimizer (benchmarks use it to add work the original did, e.g. host copies). */
  wrapOptimizer?: (optimizer: Optimizer) => Optimizer;
  /**
   * false: the step without the gradient statistics every training step computes for telemetry
   * (forward, backward, update, loss read: the step PyTorch's benchmark script runs), to measure
   * what they cost. Only for optimizers that do not read them (an optimizer that does fails).
   */
  statistics?: boolean;
}

export interface Throughput {
  samplesPerSecond: number;
  msPerStep: number;
  steps: number;
}

/**
 * Samples/s of real training steps (the training loop's own step function) on synthetic data of
 * the given shape, on the active backend. Reads the loss back every step, as training does, so
 * asynchronous backends are timed to completion.
 */
export async function measureThroughput(options: ThroughputOptions): Promise<Throughput> {
  const batch = options.batchSize ?? 64;
  const shape = options.shape ?? [28, 28, 1];
  const random = stream(0, 'throughput');
  // A sample as a data set would describe it; the inputs are already normalised random values.
  const sample: ModelInput = options.sample ?? { kind: 'image', shape, classes: 10, normalization: { mean: [0], std: [1], arithmetic: 'float32' } };
  const model = (await modelByName(options.model ?? 'simple-cnn')).create(sample, random, options.modelOptions);
  const created = await createOptimizer(options.optimizer ?? 'sgd', options.hyperparameters ?? {}, 0);
  const optimizer = options.wrapOptimizer ? options.wrapOptimizer(created) : created;
  const images = sample.kind === 'tokens' ? tokenBatch(sample, batch, random) : (tf.randomNormal([batch, ...sample.shape], 0, 1, 'float32', 1) as tf.Tensor4D);
  const classes = sample.classes;
  const labels = tf.tidy(() => tf.cast(tf.oneHot(tf.tensor1d(Array.from({ length: batch }, (_, i) => i % classes), 'int32'), classes), 'float32')) as tf.Tensor2D;
  const loss = (logits: tf.Tensor, targets: tf.Tensor) => crossEntropy(logits as tf.Tensor2D, targets as tf.Tensor2D);
  const step =
    options.statistics === false
      ? (i: number) => stepWithoutStatistics(model, optimizer, loss, images, labels, i)
      : async (i: number) => {
          const output = await trainStep(model, optimizer, loss, images, labels, 0, i);
          await output.scalars;
        };
  try {
    let i = 0;
    for (; i < (options.warmupSteps ?? 2); i++) await step(i);
    const minSteps = options.minSteps ?? 3;
    const started = performance.now();
    let steps = 0;
    while (steps < minSteps || performance.now() - started < options.seconds * 1000) {
      await step(i++);
      steps++;
    }
    const seconds = (performance.now() - started) / 1000;
    return { samplesPerSecond: (steps * batch) / seconds, msPerStep: (seconds * 1000) / steps, steps };
  } finally {
    tf.dispose([images, labels]);
    model.dispose();
    optimizer.dispose();
  }
}

/** trainStep less the gradient statistics: the loss is the step's one host read. */
async function stepWithoutStatistics(model: Model, optimizer: Optimizer, loss: (o: tf.Tensor, t: tf.Tensor) => tf.Scalar, inputs: tf.Tensor, targets: tf.Tensor, step: number): Promise<void> {
  const { value, grads } = tf.variableGrads(() => loss(model.predict(inputs, true), targets), model.variables as tf.Variable[]);
  const list = model.variables.map((v) => grads[v.name]!);
  const context: StepContext = {
    epoch: 0,
    step,
    loss: value,
    get stats(): tf.Tensor1D {
      throw new Error(`measureThroughput({statistics: false}): optimizer '${optimizer.name}' reads the gradient statistics this step does not compute`);
    },
    readScalars: () => value.data() as Promise<Float32Array>,
  };
  try {
    await optimizer.apply(model.variables, list, context);
    await value.data();
  } finally {
    tf.dispose([...list, value]);
  }
}

/**
 * Random token ids with a padded tail of varying length, as real texts are (bench/pytorch/
 * text_models.py builds the same pattern): row i keeps length − (7i mod length/2) tokens.
 */
function tokenBatch(sample: Extract<ModelInput, { kind: 'tokens' }>, batch: number, random: () => number): tf.Tensor2D {
  const length = sample.maxLength;
  const ids = new Int32Array(batch * length).fill(sample.padId);
  for (let i = 0; i < batch; i++) {
    const real = length - ((i * 7) % Math.floor(length / 2));
    for (let t = 0; t < real; t++) ids[i * length + t] = 1 + Math.floor(random() * (sample.vocabSize - 1));
  }
  return tf.tensor2d(ids, [batch, length], 'int32');
}
