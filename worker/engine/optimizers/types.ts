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
   * This step's gradient statistics on the device (telemetry/gradient-stats.ts, indexed by
   * DEVICE_STAT), computed once by the training loop for every optimizer.
   */
  readonly stats: tf.Tensor1D;
  /**
   * The one host read of a step: `[loss, ...STAT]` as numbers (the entropies finished on the
   * host from the device's counts). Memoised, so an optimizer that
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
  /**
   * Everything the next step depends on, between steps (checkpoints): host values as JSON and
   * device slots as tensors that are the caller's to read and dispose (clones, so training may go
   * on while they are read back).
   */
  saveState(): OptimizerSnapshot;
  /** Continues from a saved state, as if the steps that made it had been taken by this instance. */
  loadState(state: OptimizerSavedState): void;
  dispose(): void;
}

/** JSON-safe host state (non-finite numbers survive: checkpoint/format.ts encodes them). */
export type HostState = Record<string, unknown>;

/** An optimizer's state as saveState takes it: tensors still on the device. */
export interface OptimizerSnapshot {
  readonly host: HostState;
  readonly tensors: Readonly<Record<string, tf.Tensor>>;
}

/** A tensor read back from a checkpoint. */
export interface SavedTensor {
  readonly shape: readonly number[];
  readonly data: Float32Array;
}

/** An optimizer's state as loadState gets it back. */
export interface OptimizerSavedState {
  readonly host: HostState;
  readonly tensors: Readonly<Record<string, SavedTensor>>;
}

/** An optimizer's implementation; its name, schema and defaults are its catalog entry (catalog.ts). */
export interface OptimizerFactory<H = HyperParameters> {
  /** Builds the optimizer from validated hyper-parameters (defaults filled in). */
  create(hyperparameters: H, seed: number): Optimizer;
}
