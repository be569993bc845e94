import * as tf from '@tensorflow/tfjs-core';
import './tfjs-setup.js';
import type { LoadedDataset } from './datasets/data.js';
import type { Model } from './models/types.js';
import { createStepContext, disposeStepContext } from './optimizers/context.js';
import type { Optimizer, OptimizerTelemetry } from './optimizers/types.js';
import { permutation, type RandomStream, type StreamState } from './random.js';
import { STAT } from './telemetry/gradient-stats.js';
import type { EpochSummary, StepRecord, TrainingListener } from './telemetry/listener.js';
import { memorySnapshot } from './telemetry/memory.js';
import type { BatchSource, TaskRunner } from './tasks/types.js';

export interface TrainOptions {
  readonly epochs: number;
  readonly batchSize: number;
  /** Stream for the per-epoch data order (saved at each epoch's start, for checkpoints). */
  readonly shuffleRandom: RandomStream;
  /** Keep every K-th batch loss in the history. */
  readonly telemetryEvery: number;
  /** Whether tensors live in GPU memory (for the memory report). */
  readonly onGpu: boolean;
  /** The device this trial is pinned to, for the GPU memory query. */
  readonly deviceIndex?: number;
  readonly listener?: TrainingListener;
  readonly signal?: AbortSignal;
  /** Absent: no checkpoints, and nothing of them costs anything. */
  readonly checkpoint?: CheckpointHook;
  /** Continue from a checkpoint's loop state (the model and optimizer already restored). */
  readonly resume?: LoopState;
  /** A validation split (datasets/validation.ts), evaluated after every epoch like the test split. */
  readonly validation?: LoadedDataset['test'];
}

/**
 * Where the loop stands between two steps: with the model's and the optimizer's state, all a
 * resumed run needs to go on exactly as the uninterrupted one would have.
 */
export interface LoopState {
  /** Epochs completed (so also the 0-based epoch in progress). */
  readonly epoch: number;
  /** Batches of epoch `epoch` done. */
  readonly batch: number;
  /** Global steps done. */
  readonly step: number;
  /** The shuffle stream at the start of epoch `epoch`: it redraws that epoch's data order. */
  readonly shuffle: StreamState;
  readonly epochs: readonly EpochSummary[];
  readonly steps: readonly StepRecord[];
  /** The step records of epoch `epoch` so far (all of them: which are kept is decided at its end). */
  readonly records: ReadonlyArray<StepRecord | null>;
  readonly lossSum: number;
  readonly lossesRead: number;
  readonly lastFinite: Divergence['lastFinite'];
  /** Seconds of epoch `epoch` trained so far (its epoch_time continues from it). */
  readonly elapsed: number;
}

/** What the loop calls to checkpoint; it awaits `save` only for the state's capture. */
export interface CheckpointHook {
  /** Steps between checkpoints (> 0); one is also taken at each epoch's end. */
  readonly every: number;
  save(state: LoopState): Promise<void>;
  /** Waits for the checkpoints still being written. */
  flush(): Promise<void>;
}

/** Where a run diverged: the first step whose loss or gradient norm was not finite. */
export interface Divergence {
  /** 1-based epoch, as the original numbers them. */
  epoch: number;
  /** 0-based global step (as in batch_step). */
  step: number;
  loss: number;
  gradNorm: number;
  /** The last step before it with finite values (null when the first step diverged). */
  lastFinite: { step: number; loss: number } | null;
}

export interface TrainingHistory {
  status: 'completed' | 'diverged';
  epochs: EpochSummary[];
  /** Every `telemetryEvery`-th step's record (and the diverging step, when there is one). */
  steps: StepRecord[];
  divergence?: Divergence;
}

/** A step diverged when its loss or its gradients (their norm) are NaN or infinite. */
function diverges(record: StepRecord): boolean {
  return !Number.isFinite(record.loss) || !Number.isFinite(record.grad_norm);
}

/** Outstanding asynchronous loss reads before the loop waits for them (bounds queued work). */
const MAX_PENDING_READS = 32;

/**
 * A step's telemetry record from its host read (`[loss, ...stats]`) and the optimizer's values.
 * Optimizers that keep their own notion of a statistic (EnhancedSGD's EMA variance, its
 * mode-dependent entropy) override the common one.
 */
function stepRecord(epoch: number, step: number, scalars: Float32Array, fromOptimizer: OptimizerTelemetry): StepRecord {
  const at = (i: number) => scalars[1 + i]!;
  return {
    epoch,
    step,
    loss: scalars[0]!,
    raw_variance: at(STAT.variance),
    grad_var: at(STAT.variance),
    entropy: at(STAT.entropy),
    grad_norm: at(STAT.norm),
    ...fromOptimizer,
  };
}

/** What one training step leaves for the loop: the batch loss and the step's host read. */
export interface StepOutput {
  /** `[loss, ...gradient statistics]` (telemetry/gradient-stats.ts), one transfer. */
  readonly scalars: Promise<Float32Array>;
  /** The optimizer's host-side values of this step (lr, momentum, controller state). */
  readonly optimizer: OptimizerTelemetry | Promise<OptimizerTelemetry>;
}

/**
 * One training step: forward, backward, gradient statistics, optimizer update. Shared by the
 * training loop, `grn backends` and the benchmarks so that what is measured is what trains.
 * Leaves no tensors behind once `scalars` has resolved.
 */
export async function trainStep(
  model: Model,
  optimizer: Optimizer,
  loss: (outputs: tf.Tensor, targets: tf.Tensor) => tf.Scalar,
  inputs: tf.Tensor,
  targets: tf.Tensor,
  epoch: number,
  step: number,
): Promise<StepOutput> {
  const { value, grads } = tf.variableGrads(() => loss(model.predict(inputs, true), targets), model.variables as tf.Variable[]);
  const gradList = model.variables.map((v) => grads[v.name]!);
  const context = createStepContext(gradList, value, epoch, step);
  try {
    await optimizer.apply(model.variables, gradList, context);
  } finally {
    tf.dispose(gradList);
  }
  const telemetry = optimizer.telemetry?.() ?? {};
  const scalars = context.readScalars().finally(() => {
    disposeStepContext(context);
    value.dispose();
  });
  return { scalars, optimizer: telemetry };
}

/**
 * Trains `model` with `optimizer` for the given epochs, evaluating on the test split after each.
 * Batch losses are read back asynchronously (no pipeline stall per step on GPU backends). The
 * first step with a non-finite loss or gradient ends training with status `diverged`: the epochs
 * completed before it stay as they were, the partial epoch is not evaluated (its weights are no
 * longer numbers), and `divergence` names the step. Which step that is depends only on the data,
 * not on how far the loop ran ahead of its reads: later steps' records are dropped.
 */
export async function train<D extends LoadedDataset>(model: Model, optimizer: Optimizer, data: D, task: TaskRunner<D>, options: TrainOptions): Promise<TrainingHistory> {
  const trainBatches = task.batches(data, 'train', options.batchSize);
  try {
    const history = await trainEpochs(model, optimizer, data, task, trainBatches, options);
    await options.checkpoint?.flush();
    return history;
  } finally {
    trainBatches.dispose();
  }
}

async function trainEpochs<D extends LoadedDataset>(
  model: Model,
  optimizer: Optimizer,
  data: D,
  task: TaskRunner<D>,
  trainBatches: BatchSource,
  options: TrainOptions,
): Promise<TrainingHistory> {
  const { batchSize, listener } = options;
  const lossOf = (outputs: tf.Tensor, targets: tf.Tensor) => task.loss(outputs, targets, data);
  const batches = Math.ceil(data.train.count / batchSize);
  const resume = options.resume;
  const history: TrainingHistory = { status: 'completed', epochs: [...(resume?.epochs ?? [])], steps: [...(resume?.steps ?? [])] };
  let step = resume?.step ?? 0;
  let lastFinite: Divergence['lastFinite'] = resume?.lastFinite ?? null;
  if (resume) options.shuffleRandom.restore(resume.shuffle);
  const checkpoint = options.checkpoint;

  for (let epoch = resume?.epoch ?? 0; epoch < options.epochs && !history.divergence; epoch++) {
    listener?.onEpochStart?.(epoch, options.epochs, batches);
    // Only checkpoints read it: without them the stream is not asked for its state.
    const shuffleAtStart = checkpoint ? options.shuffleRandom.state() : undefined;
    const order = permutation(data.train.count, options.shuffleRandom);
    const resumed = resume && epoch === resume.epoch ? resume : undefined;
    const records: Array<StepRecord | undefined> = new Array(batches);
    resumed?.records.forEach((r, i) => (records[i] = r ?? undefined));
    let lossesRead = resumed?.lossesRead ?? 0;
    let lossSum = resumed?.lossSum ?? 0;
    let pending: Promise<void>[] = [];
    const started = performance.now() - (resumed?.elapsed ?? 0) * 1000;
    const loopState = (batch: number, atEnd: boolean): LoopState => ({
      epoch: atEnd ? epoch + 1 : epoch,
      batch: atEnd ? 0 : batch,
      step,
      shuffle: atEnd ? options.shuffleRandom.state() : shuffleAtStart!,
      epochs: [...history.epochs],
      steps: [...history.steps],
      records: atEnd ? [] : records.slice(0, batch).map((r) => r ?? null),
      lossSum: atEnd ? 0 : lossSum,
      lossesRead: atEnd ? 0 : lossesRead,
      lastFinite,
      elapsed: atEnd ? 0 : (performance.now() - started) / 1000,
    });

    for (let b = resumed?.batch ?? 0; b < batches && !history.divergence; b++) {
      options.signal?.throwIfAborted();
      const start = b * batchSize;
      const size = Math.min(batchSize, data.train.count - start);
      const { inputs, targets } = trainBatches.build(order, start, size);
      let output: StepOutput;
      try {
        output = await trainStep(model, optimizer, lossOf, inputs, targets, epoch, step);
      } finally {
        inputs.dispose();
        targets.dispose();
      }
      const index = b;
      const globalStep = step;
      pending.push(
        Promise.all([output.scalars, output.optimizer]).then(([scalars, fromOptimizer]) => {
          // Reads resolve in step order; nothing after the diverging step counts.
          if (history.divergence) return;
          const record = stepRecord(epoch, globalStep, scalars, fromOptimizer);
          records[index] = record;
          listener?.onStep?.(record);
          if (diverges(record)) {
            history.divergence = { epoch: epoch + 1, step: globalStep, loss: record.loss, gradNorm: record.grad_norm, lastFinite };
            return;
          }
          lastFinite = { step: globalStep, loss: record.loss };
          lossSum += record.loss;
          lossesRead += 1;
        }),
      );
      step += 1;
      // The epoch's last batch is left to the epoch-end checkpoint, which follows its evaluation.
      const checkpointNow = checkpoint !== undefined && step % checkpoint.every === 0 && b < batches - 1;
      if (pending.length >= MAX_PENDING_READS || b === batches - 1 || checkpointNow) {
        await Promise.all(pending);
        pending = [];
        const elapsed = (performance.now() - started) / 1000;
        listener?.onBatch?.({
          epoch,
          epochs: options.epochs,
          batch: b + 1,
          batches,
          samplesPerSecond: (start + size) / elapsed,
          runningLoss: lossesRead > 0 ? lossSum / lossesRead : Number.NaN,
        });
        // Every read up to this step is in: the state is whole. (A diverged run has none to keep.)
        if (checkpointNow && !history.divergence) await checkpoint.save(loopState(b + 1, false));
      }
    }
    await Promise.all(pending);
    const epochTime = (performance.now() - started) / 1000;
    // Set by the reads' callbacks, which TypeScript's narrowing of the loop condition cannot see.
    const d = history.divergence as Divergence | undefined;
    records.forEach((record, b) => {
      if (record && ((epoch * batches + b) % options.telemetryEvery === 0 || record.step === d?.step)) history.steps.push(record);
    });
    if (d) {
      history.status = 'diverged';
      const last = d.lastFinite ? `; last finite loss ${d.lastFinite.loss.toPrecision(4)} at step ${d.lastFinite.step}` : '';
      listener?.onMessage?.(`training diverged at step ${d.step} (epoch ${d.epoch}): loss ${d.loss}, gradient norm ${d.gradNorm}${last}; stopping`);
      break;
    }
    const trainLoss = lossSum / batches;
    const evaluation = await task.evaluate(model, data);
    // The task's own evaluation, on the validation split in the test split's place.
    const validation = options.validation ? await task.evaluate(model, { ...data, test: options.validation } as D) : undefined;
    const memory = await memorySnapshot(options.onGpu, options.deviceIndex);
    const primaryMetric = task.meta.primaryMetric;
    const summary: EpochSummary = {
      epoch,
      epochs: options.epochs,
      trainLoss,
      testLoss: evaluation.loss,
      metrics: evaluation.metrics,
      primaryMetric,
      primary: evaluation.metrics[primaryMetric] ?? Number.NaN,
      ...(validation ? { validation: { loss: validation.loss, metrics: validation.metrics, primary: validation.metrics[primaryMetric] ?? Number.NaN } } : {}),
      epochTime,
      samplesPerSecond: data.train.count / epochTime,
      vramMb: memory.vramMb,
      ramMb: memory.ramMb,
      tensorMb: memory.tensorMb,
    };
    // (Every step's loss was finite, so their float64 mean is too: divergence is caught per step.)
    history.epochs.push(summary);
    listener?.onEpochEnd?.(summary);
    if (checkpoint) await checkpoint.save(loopState(batches, true));
  }
  return history;
}
