import * as tf from '@tensorflow/tfjs-core';

/**
 * Batch normalisation as torch.nn.BatchNorm2d: in training, each channel is normalised with the
 * batch's mean and biased variance over (batch, h, w), and the running statistics move by
 * `momentum` towards the batch's mean and unbiased variance (n/(n−1)); in evaluation, the running
 * statistics are used. weight 1 and bias 0 at the start (torchvision's init), running mean 0 and
 * variance 1. The running statistics are non-trainable tf.Variables kept out of the model's
 * `variables`, so optimizers neither see nor update them; `state` lists them for dispose (and for
 * checkpoints).
 */
export class BatchNorm2d {
  readonly weight: tf.Variable;
  readonly bias: tf.Variable;
  readonly runningMean: tf.Variable;
  readonly runningVar: tf.Variable;

  constructor(
    readonly channels: number,
    readonly momentum = 0.1,
    readonly eps = 1e-5,
  ) {
    this.weight = tf.tidy(() => tf.variable(tf.ones([channels]), true));
    this.bias = tf.tidy(() => tf.variable(tf.zeros([channels]), true));
    this.runningMean = tf.tidy(() => tf.variable(tf.zeros([channels]), false));
    this.runningVar = tf.tidy(() => tf.variable(tf.ones([channels]), false));
  }

  /** The trainable parameters, in torch's order (weight, bias). */
  get parameters(): tf.Variable[] {
    return [this.weight, this.bias];
  }

  /** The buffers (running mean, running var). */
  get state(): tf.Variable[] {
    return [this.runningMean, this.runningVar];
  }

  apply(x: tf.Tensor4D, training: boolean): tf.Tensor4D {
    return tf.tidy(() => this.forward(x, training));
  }

  private forward(x: tf.Tensor4D, training: boolean): tf.Tensor4D {
    if (!training) return tf.batchNorm4d(x, this.runningMean as tf.Tensor1D, this.runningVar as tf.Tensor1D, this.bias as tf.Tensor1D, this.weight as tf.Tensor1D, this.eps);
    const { mean, variance } = tf.moments(x, [0, 1, 2]);
    const n = x.shape[0] * x.shape[1] * x.shape[2];
    // The update is data, not part of the loss: under tf.variableGrads it is off the path from the
    // trainable variables to the loss, so no gradient flows through it.
    tf.tidy(() => {
      this.runningMean.assign(tf.add(tf.mul(this.runningMean, 1 - this.momentum), tf.mul(mean, this.momentum)));
      this.runningVar.assign(tf.add(tf.mul(this.runningVar, 1 - this.momentum), tf.mul(variance, (this.momentum * n) / Math.max(1, n - 1))));
    });
    return tf.batchNorm4d(x, mean as tf.Tensor1D, variance as tf.Tensor1D, this.bias as tf.Tensor1D, this.weight as tf.Tensor1D, this.eps);
  }

  dispose(): void {
    tf.dispose([...this.parameters, ...this.state]);
  }
}
