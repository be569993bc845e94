import { hostname } from 'node:os';
import { UsageError } from '../../shared/errors.js';
import { RESULT_FORMAT, type TrialResult } from '../../shared/result.js';
import { STEP_SERIES } from '../../shared/series.js';
import { DEFAULT_CHECKPOINT_EVERY, DEFAULT_VALIDATION_SEED, type TrialConfig } from '../../shared/trial.js';
import { activateBackend, type DeviceReport } from './backends/index.js';
import { checkpointer, restoreCheckpoint, trialIdentity, type CheckpointAt, type CheckpointSink } from './checkpoint/index.js';
import { trialModel } from './catalog.js';
import { DATASETS, loadDataset } from './datasets/catalog.js';
import type { TrialArtefact } from './gradcam/index.js';
import type { LoadOptions } from './datasets/data.js';
import { localDataDir } from './datasets/files.js';
import { splitValidation } from './datasets/validation.js';
import { MODELS, modelOptions } from './models/catalog.js';
import { createOptimizer } from './optimizers/index.js';
import { randomStreams } from './random.js';
import { runnerFor } from './tasks/index.js';
import type { EpochSummary, StepRecord, TrainingListener } from './telemetry/listener.js';
import type { MetricName } from '../../shared/metrics.js';
import { train, type Divergence, type LoopState } from './train.js';
import { coreVersions, gitCommit } from './versions.js';

export interface TrialOptions {
  readonly listener?: TrainingListener;
  readonly signal?: AbortSignal;
  /** Folder for downloaded data sets and decoded caches (default: the user cache). */
  readonly cacheDir?: string;
  /** Told how long a synthetic trial will take (dispatch benchmarks' `sleep`). */
  readonly eta?: (ms: number) => void;
  /** An already active backend (bench and tests reuse one across trials). */
  readonly device?: DeviceReport;
  /**
   * Receives the files the trial makes besides its result (Grad-CAM PNGs, named as the result's
   * `gradcam.images` list them), before runTrial resolves. Without it they are made and dropped.
   */
  readonly onArtefact?: (artefact: TrialArtefact) => void | Promise<void>;
  /**
   * Receives a checkpoint every `checkpointEvery` steps and at each epoch end (none when the trial
   * says 0). Training goes on while the sink works; runTrial resolves after the last one is done.
   */
  readonly onCheckpoint?: CheckpointSink;
  /** A checkpoint of this same trial to continue from (CheckpointError if it is not one). */
  readonly resumeFrom?: Uint8Array;
}

/** A number as the result stores it: NaN and ±Inf (a diverged step's) become null, as in JSON. */
const finiteOrNull = (x: unknown): number | null => (typeof x === 'number' && Number.isFinite(x) ? x : null);

/** The per-step series (shared/series.ts) over the kept steps; one only where some step has it. */
function perStepSeries(steps: StepRecord[]) {
  const series: Record<string, Array<number | null>> & { batch_step: number[]; batch_loss: Array<number | null> } = {
    batch_step: steps.map((r) => r.step),
    batch_loss: steps.map((r) => finiteOrNull(r.loss)),
  };
  for (const { key, field } of STEP_SERIES) {
    if (key === 'batch_loss' || !steps.some((r) => typeof r[field] === 'number')) continue;
    series[key] = steps.map((r) => finiteOrNull(r[field]));
  }
  return series;
}

/** The validation split's loss and metrics after each epoch, as the result keeps them. */
function validationRecord(epochs: readonly EpochSummary[], samples: number, seed: number): NonNullable<TrialResult['validation']> {
  const names = [...new Set(epochs.flatMap((e) => Object.keys(e.validation?.metrics ?? {})))] as MetricName[];
  return {
    samples,
    seed,
    loss: epochs.map((e) => e.validation?.loss ?? Number.NaN),
    ...Object.fromEntries(names.map((name) => [name, epochs.map((e) => e.validation?.metrics[name] ?? Number.NaN)])),
  };
}

function divergenceRecord(d: Divergence): NonNullable<TrialResult['divergence']> {
  return { epoch: d.epoch, step: d.step, loss: finiteOrNull(d.loss), grad_norm: finiteOrNull(d.gradNorm), last_finite: d.lastFinite };
}

/** Text data sets' options (datasets/catalog.ts textOptions, csvTextOptions). */
interface TextDataOptions {
  max_length?: number;
  tokenizer?: string;
  vocab_size?: number;
  text_column?: string | number | Array<string | number>;
  label_column?: string | number;
  header?: boolean;
}

/** The split seed of a trial with a validation split (datasets/validation.ts), else undefined. */
function splitSeed(config: TrialConfig): number | undefined {
  return config.validation === undefined ? undefined : (config.validationSeed ?? DEFAULT_VALIDATION_SEED);
}

/**
 * A trial's data-set options as the loaders take them. With a validation split the loader draws
 * its splits from the split seed and keeps the whole training split: the limit is applied after
 * the validation split is taken out (splitValidation).
 */
function loadOptions(config: TrialConfig, options: TrialOptions, listener?: TrainingListener): LoadOptions {
  const o = (config.dataOptions ?? {}) as { size?: [number, number]; channels?: 1 | 3; mean?: number[]; std?: number[]; classes?: number; ignore_index?: number } & TextDataOptions;
  const split = splitSeed(config);
  return {
    dataDir: config.kind !== undefined ? config.dataDir : localDataDir(config.dataset, config.dataDir),
    cacheDir: options.cacheDir,
    trainLimit: split === undefined ? config.trainLimit : undefined,
    testLimit: config.testLimit,
    holdout: config.holdout,
    seed: split ?? config.seed,
    onBadSample: config.onBadSample,
    size: o.size,
    channels: o.channels,
    normalization: o.mean && o.std ? { mean: o.mean, std: o.std } : undefined,
    classes: o.classes,
    ignoreIndex: o.ignore_index,
    maxLength: o.max_length,
    tokenizer: o.tokenizer,
    vocabSize: o.vocab_size,
    textColumn: o.text_column,
    labelColumn: o.label_column,
    header: o.header,
    onProgress: (m) => listener?.onMessage?.(m),
  };
}

/**
 * Runs one trial end to end: backend, data, model, optimizer, training, and the result with its
 * manifest. Everything random derives from `config.seed`. Names are checked against the catalog
 * before any slow work, so a typo (or a model of another task) fails at once.
 */
export async function runTrial(config: TrialConfig, options: TrialOptions = {}): Promise<TrialResult> {
  // Synthetic workloads train nothing: no backend, no data, no model (dispatch benchmarks).
  if (config.kind === undefined && DATASETS.find(config.dataset)?.task === 'synthetic') {
    return (await import('./datasets/synthetic.js')).runSynthetic(config, options.signal, options.eta);
  }
  const startedAt = new Date().toISOString();
  const listener = options.listener;
  const { model: modelName, problem } = trialModel(config, config.model);
  if (!modelName) throw new UsageError(problem ?? `data set '${config.dataset}' trains no model`);
  const modelMeta = MODELS.get(modelName);
  const { options: modelOpts, problems } = modelOptions(modelName, config.modelOptions ?? {});
  if (problems.length) throw new UsageError(problems.join('; '));
  const optimizer = await createOptimizer(config.optimizer, config.hyperparameters, config.seed);
  const modelFactory = await modelMeta.load();

  const device = options.device ?? (await activateBackend(config.backend, { deviceIndex: config.deviceIndex }));
  listener?.onMessage?.(`backend ${device.backend} on ${device.device}`);
  const loaded = await loadDataset(config, loadOptions(config, options, listener));
  const seed = splitSeed(config);
  const { data, validation } = seed === undefined ? { data: loaded, validation: undefined } : splitValidation(loaded, { size: config.validation!, seed, trainLimit: config.trainLimit });
  const validationText = validation ? `, ${validation.count} validation (split seed ${seed})` : '';
  listener?.onMessage?.(`${data.name}: ${data.train.count} train${validationText}, ${data.test.count} test samples${data.skipped?.count ? ` (${data.skipped.count} unreadable skipped)` : ''}`);
  const task = await runnerFor(data);

  const random = randomStreams(config.seed);
  const model = modelFactory.create(data.sample, random.init, modelOpts);
  try {
    // A Grad-CAM request the model or data cannot serve fails now, not after the training.
    if (config.gradcam) {
      if (data.task === 'text-classification') throw new UsageError(`Grad-CAM explains image models; data set '${data.name}' is text`);
      (await import('./gradcam/index.js')).gradcamLayer(model, config.gradcam.layer);
    }
    const parts = { model, optimizer, identity: trialIdentity(config, optimizer.hyperparameters, data.sha256) };
    let resume: { loop: LoopState; at: CheckpointAt } | undefined;
    if (options.resumeFrom) {
      resume = restoreCheckpoint(options.resumeFrom, parts);
      listener?.onMessage?.(`resuming from the checkpoint at epoch ${resume.at.epoch}, step ${resume.at.step}`);
    }
    const every = config.checkpointEvery ?? DEFAULT_CHECKPOINT_EVERY;
    const checkpoint =
      options.onCheckpoint && every > 0
        ? checkpointer(parts, every, options.onCheckpoint, (err, at) => listener?.onMessage?.(`checkpoint at step ${at.step} lost: ${err instanceof Error ? err.message : String(err)}`))
        : undefined;
    const history = await train(model, optimizer, data, task, {
      epochs: config.epochs,
      batchSize: config.batchSize,
      shuffleRandom: random.shuffle,
      telemetryEvery: config.telemetryEvery,
      onGpu: device.gpu,
      deviceIndex: config.deviceIndex,
      listener,
      signal: options.signal,
      checkpoint,
      resume: resume?.loop,
      ...(validation ? { validation } : {}),
    });
    let gradcam: TrialResult['gradcam'];
    // A diverged model's weights are not finite: there is nothing to explain.
    if (config.gradcam && history.status === 'completed' && data.task !== 'text-classification') {
      listener?.onMessage?.(`Grad-CAM: ${config.gradcam.samples} test sample(s)`);
      const { gradcamImages } = await import('./gradcam/index.js');
      const made = await gradcamImages(model, data, config.gradcam, { dataset: config.dataset, optimizer: config.optimizer, seed: config.seed });
      for (const a of made.artefacts) await options.onArtefact?.(a);
      gradcam = made.record;
    }
    const epochs = history.epochs;
    const metric = (name: 'accuracy' | 'pixel_accuracy' | 'miou') => epochs.map((e) => e.metrics[name] ?? Number.NaN);
    const segmentation = data.task === 'segmentation';
    return {
      format: RESULT_FORMAT,
      status: history.status,
      task: data.task,
      primary_metric: task.meta.primaryMetric,
      loss: epochs.map((e) => e.trainLoss),
      accuracy: metric(segmentation ? 'pixel_accuracy' : 'accuracy'),
      ...(segmentation ? { pixel_accuracy: metric('pixel_accuracy'), miou: metric('miou') } : {}),
      test_loss: epochs.map((e) => e.testLoss),
      epoch_time: epochs.map((e) => e.epochTime),
      samples_per_s: epochs.map((e) => e.samplesPerSecond),
      memory_usage: epochs.map((e) => [e.vramMb, e.ramMb] as [number, number]),
      tensor_memory_mb: epochs.map((e) => e.tensorMb),
      ...(validation ? { validation: validationRecord(epochs, validation.count, seed!) } : {}),
      ...perStepSeries(history.steps),
      telemetry_every: config.telemetryEvery,
      resumed_from: resume ? { epoch: resume.at.epoch, step: resume.at.step } : null,
      ...(history.divergence ? { divergence: divergenceRecord(history.divergence) } : {}),
      ...(optimizer.summary ? { optimizer_state: optimizer.summary() } : {}),
      ...(gradcam ? { gradcam } : {}),
      manifest: {
        backend: device.backend,
        device: device.device,
        gpu: device.gpu,
        versions: { ...coreVersions(), ...device.versions },
        git_commit: gitCommit(),
        seed: config.seed,
        dataset: {
          name: data.name,
          ...(config.kind ? { kind: config.kind } : {}),
          ...(config.dataOptions && Object.keys(config.dataOptions).length ? { options: { ...config.dataOptions } } : {}),
          sha256: data.sha256,
          train_samples: data.train.count,
          test_samples: data.test.count,
          ...(data.skipped ? { skipped: { count: data.skipped.count, examples: [...data.skipped.examples] } } : {}),
        },
        model: model.name,
        ...(Object.keys(modelOpts).length ? { model_options: modelOpts } : {}),
        optimizer: config.optimizer,
        hyperparameters: { ...optimizer.hyperparameters },
        epochs: config.epochs,
        batch_size: config.batchSize,
        host: hostname(),
        started_at: startedAt,
        ended_at: new Date().toISOString(),
      },
    };
  } finally {
    model.dispose();
    optimizer.dispose();
  }
}
