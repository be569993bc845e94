import { hostname } from 'node:os';
import { RESULT_FORMAT, type TrialResult } from '../../shared/result.js';
import type { TrialConfig } from '../../shared/trial.js';
import { activateBackend, type DeviceReport } from './backends/index.js';
import { localDataDir } from './datasets/files.js';
import { datasetByName } from './datasets/index.js';
import { modelByName } from './models/index.js';
import { createOptimizer } from './optimizers/index.js';
import { randomStreams } from './random.js';
import type { StepRecord, TrainingListener } from './telemetry/listener.js';
import { train, type Divergence } from './train.js';
import { coreVersions, gitCommit } from './versions.js';

export interface TrialOptions {
  readonly listener?: TrainingListener;
  readonly signal?: AbortSignal;
  /** Folder for downloaded data sets (default: the user cache). */
  readonly cacheDir?: string;
  /** An already active backend (bench and tests reuse one across trials). */
  readonly device?: DeviceReport;
}

/**
 * The original's per-batch keys (and ours) as parallel arrays over the kept steps. A series is
 * written only where the optimizer has that quantity (baselines have no mix_prob).
 */
const SERIES: Record<string, string> = {
  batch_loss: 'loss',
  learning_rate: 'lr',
  momentum: 'momentum',
  gradient_variance: 'grad_var',
  raw_gradient_variance: 'raw_variance',
  entropy: 'entropy',
  grad_norm: 'grad_norm',
  mix_prob: 'mix_prob',
};

/** A number as the result stores it: NaN and ±Inf (a diverged step's) become null, as in JSON. */
const finiteOrNull = (x: unknown): number | null => (typeof x === 'number' && Number.isFinite(x) ? x : null);

function perStepSeries(steps: StepRecord[]) {
  const series: Record<string, Array<number | null>> & { batch_step: number[]; batch_loss: Array<number | null> } = {
    batch_step: steps.map((r) => r.step),
    batch_loss: steps.map((r) => finiteOrNull(r.loss)),
  };
  for (const [key, field] of Object.entries(SERIES)) {
    if (key === 'batch_loss' || !steps.some((r) => typeof r[field] === 'number')) continue;
    series[key] = steps.map((r) => finiteOrNull(r[field]));
  }
  return series;
}

function divergenceRecord(d: Divergence): NonNullable<TrialResult['divergence']> {
  return { epoch: d.epoch, step: d.step, loss: finiteOrNull(d.loss), grad_norm: finiteOrNull(d.gradNorm), last_finite: d.lastFinite };
}

/** The default model of each data set (the original's choice). */
const DEFAULT_MODEL: Record<string, string> = { mnist: 'simple-cnn' };

/**
 * Runs one trial end to end: backend, data, model, optimizer, training, and the result with its
 * manifest. Everything random derives from `config.seed`.
 */
export async function runTrial(config: TrialConfig, options: TrialOptions = {}): Promise<TrialResult> {
  const startedAt = new Date().toISOString();
  const listener = options.listener;
  // Validate names before any slow work, so a typo fails at once.
  const loader = datasetByName(config.dataset);
  const modelName = config.model ?? DEFAULT_MODEL[config.dataset] ?? 'simple-cnn';
  const modelFactory = modelByName(modelName);
  const optimizer = createOptimizer(config.optimizer, config.hyperparameters, config.seed);

  const device = options.device ?? (await activateBackend(config.backend, { deviceIndex: config.deviceIndex }));
  listener?.onMessage?.(`backend ${device.backend} on ${device.device}`);
  const data = await loader.load({
    dataDir: localDataDir(config.dataset, config.dataDir),
    cacheDir: options.cacheDir,
    trainLimit: config.trainLimit,
    testLimit: config.testLimit,
    onProgress: (m) => listener?.onMessage?.(m),
  });
  listener?.onMessage?.(`${data.name}: ${data.train.count} train, ${data.test.count} test samples`);

  const random = randomStreams(config.seed);
  const model = modelFactory.create(data.shape, data.classes, random.init);
  try {
    const history = await train(model, optimizer, data, {
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
    return {
      format: RESULT_FORMAT,
      status: history.status,
      loss: epochs.map((e) => e.trainLoss),
      accuracy: epochs.map((e) => e.testAccuracy),
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
        dataset: { name: data.name, sha256: data.sha256, train_samples: data.train.count, test_samples: data.test.count },
        model: model.name,
        optimizer: optimizer.name,
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
