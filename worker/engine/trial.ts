import { hostname } from 'node:os';
import { UsageError } from '../../shared/errors.js';
import { RESULT_FORMAT, type TrialResult } from '../../shared/result.js';
import { STEP_SERIES } from '../../shared/series.js';
import type { TrialConfig } from '../../shared/trial.js';
import { activateBackend, type DeviceReport } from './backends/index.js';
import { trialModel } from './catalog.js';
import { DATASETS, loadDataset } from './datasets/catalog.js';
import type { LoadOptions } from './datasets/data.js';
import { localDataDir } from './datasets/files.js';
import { MODELS } from './models/catalog.js';
import { createOptimizer } from './optimizers/index.js';
import { randomStreams } from './random.js';
import { runnerFor } from './tasks/index.js';
import type { StepRecord, TrainingListener } from './telemetry/listener.js';
import { train, type Divergence } from './train.js';
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

function divergenceRecord(d: Divergence): NonNullable<TrialResult['divergence']> {
  return { epoch: d.epoch, step: d.step, loss: finiteOrNull(d.loss), grad_norm: finiteOrNull(d.gradNorm), last_finite: d.lastFinite };
}

/** A trial's data-set options as the loaders take them. */
function loadOptions(config: TrialConfig, options: TrialOptions, listener?: TrainingListener): LoadOptions {
  const o = (config.dataOptions ?? {}) as { size?: [number, number]; channels?: 1 | 3; mean?: number[]; std?: number[]; classes?: number; ignore_index?: number };
  return {
    dataDir: config.kind !== undefined ? config.dataDir : localDataDir(config.dataset, config.dataDir),
    cacheDir: options.cacheDir,
    trainLimit: config.trainLimit,
    testLimit: config.testLimit,
    holdout: config.holdout,
    seed: config.seed,
    onBadSample: config.onBadSample,
    size: o.size,
    channels: o.channels,
    normalization: o.mean && o.std ? { mean: o.mean, std: o.std } : undefined,
    classes: o.classes,
    ignoreIndex: o.ignore_index,
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
  const optimizer = await createOptimizer(config.optimizer, config.hyperparameters, config.seed);
  const modelFactory = await modelMeta.load();

  const device = options.device ?? (await activateBackend(config.backend, { deviceIndex: config.deviceIndex }));
  listener?.onMessage?.(`backend ${device.backend} on ${device.device}`);
  const data = await loadDataset(config, loadOptions(config, options, listener));
  listener?.onMessage?.(`${data.name}: ${data.train.count} train, ${data.test.count} test samples${data.skipped?.count ? ` (${data.skipped.count} unreadable skipped)` : ''}`);
  const task = await runnerFor(data);

  const random = randomStreams(config.seed);
  const model = modelFactory.create(data.sample, random.init);
  try {
    const history = await train(model, optimizer, data, task, {
      epochs: config.epochs,
      batchSize: config.batchSize,
      shuffleRandom: random.shuffle,
      telemetryEvery: config.telemetryEvery,
      onGpu: device.gpu,
      deviceIndex: config.deviceIndex,
      listener,
      signal: options.signal,
    });
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
      ...perStepSeries(history.steps),
      telemetry_every: config.telemetryEvery,
      ...(history.divergence ? { divergence: divergenceRecord(history.divergence) } : {}),
      ...(optimizer.summary ? { optimizer_state: optimizer.summary() } : {}),
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
          sha256: data.sha256,
          train_samples: data.train.count,
          test_samples: data.test.count,
          ...(data.skipped ? { skipped: { count: data.skipped.count, examples: [...data.skipped.examples] } } : {}),
        },
        model: model.name,
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
