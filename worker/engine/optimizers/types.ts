import type * as tf from '@tensorflow/tfjs-core';
import type { HyperParameterValue } from '../../../shared/trial.js';

export type HyperParameters = Record<string, HyperParameterValue>;

/** What the training loop knows at each step; optimizers that steer themselves (EnhancedSGD) read it. */
export interface StepContext {
  /** 0-based epoch. */
  readonly epoch: number;
  /** 0-based global step. */
  readonly step: number;
  /** The batch loss, on the device. */
  readonly loss: tf.Scalar;
  /**
   * This step's gradient statistics on the device (telemetry/gradient-stats.ts, indexed by STAT),
   * computed once by the training loop for every optimizer.
   */
  readonly stats: tf.Tensor1D;
  /**
   * The one host read of a step: `[loss, ...stats]` as numbers. Memoised, so an optimizer that
   * needs host values (EnhancedSGD's controller) and the loop's telemetry share a single transfer.
   */
  readScalars(): Promise<Float32Array>;
}

/** Host-side values of the last step that an optimizer reports for telemetry (lr, momentum, …). */
export type OptimizerTelemetry = Record<string, number | string | null>;

export interface Optimizer {
  readonly name: string;
  /** The full, validated hyper-parameters (defaults filled in), recorded in the result manifest. */
  readonly hyperparameters: Readonly<HyperParameters>;
  /**
   * Applies one update in place. `grads[i]` is the gradient of `variables[i]`; the caller owns and
   * disposes the gradients. Implementations keep their state as tf.Variables and leak no tensors.
   */
  apply(variables: readonly tf.Variable[], grads: readonly tf.Tensor[], context: StepContext): void | Promise<void>;
  /** Values of the last step for telemetry; baselines report their constant lr (and momentum). */
  telemetry?(): OptimizerTelemetry | Promise<OptimizerTelemetry>;
  /** End-of-run state for the result file (e.g. EnhancedSGD's Q-table). */
  summary?(): Record<string, unknown>;
  dispose(): void;
}

/** An optimizer's implementation; its name, schema and defaults are its catalog entry (catalog.ts). */
export interface OptimizerFactory<H = HyperParameters> {
  /** Builds the optimizer from validated hyper-parameters (defaults filled in). */
  create(hyperparameters: H, seed: number): Optimizer;
}
