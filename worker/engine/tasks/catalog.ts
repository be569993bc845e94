import type { MetricName } from '../../../shared/metrics.js';
import type { TrainingDefaults } from '../../../shared/settings.js';
import type { LoadedDataset, TaskName } from '../datasets/data.js';
import type { TaskRunner } from './types.js';

/**
 * The tasks the engine trains, as the orchestrator, reports and the dashboard need to know them:
 * which metrics a trial of the task reports per epoch, which one judges it, and what its models
 * take as input. No TensorFlow.js here; the loss and the metrics themselves are in ./index.ts.
 */
export interface TaskMeta {
  readonly name: TaskName;
  readonly description: string;
  /** The metric reports rank by and targets refer to. */
  readonly primaryMetric: MetricName;
  /** Every metric a trial of this task reports after each epoch. */
  readonly metrics: readonly MetricName[];
  /** What a model of this task takes: images (NHWC), token ids, or nothing (synthetic workloads). */
  readonly input: 'image' | 'tokens' | 'none';
  /**
   * The original's training settings for the task, below each data set's own `defaults` and the
   * spec's (shared/settings.ts gives the order); absent: the built-in ones and the optimizers'.
   */
  readonly defaults?: TrainingDefaults;
  /** Its loss and metrics (TensorFlow.js), loaded when a trial needs them; none for synthetic workloads. */
  readonly runner?: () => Promise<TaskRunner<LoadedDataset>>;
}

/** The runner of a lazily imported module, typed for any data set of its task. */
const lazy = (load: () => Promise<TaskRunner<never>>) => () => load() as unknown as Promise<TaskRunner<LoadedDataset>>;

export const TASKS: Readonly<Record<TaskName, TaskMeta>> = {
  'image-classification': {
    name: 'image-classification',
    description: 'one class per image; softmax cross-entropy, accuracy',
    primaryMetric: 'accuracy',
    metrics: ['accuracy'],
    input: 'image',
    runner: lazy(() => import('./classification.js').then((m) => m.imageClassification)),
  },
  'text-classification': {
    name: 'text-classification',
    description: 'one class per text (token ids); softmax cross-entropy, accuracy',
    primaryMetric: 'accuracy',
    metrics: ['accuracy'],
    input: 'tokens',
    // The original's main.py fine-tunes with batch 16 and lr 0.01 for every optimizer on IMDB and AG_NEWS.
    defaults: { batch_size: 16, hyperparameters: { lr: 0.01 } },
    runner: lazy(() => import('./text-classification.js').then((m) => m.textClassification)),
  },
  segmentation: {
    name: 'segmentation',
    description: 'one class per pixel, an ignore index for unlabelled pixels; pixel cross-entropy, pixel accuracy, mean IoU',
    primaryMetric: 'miou',
    metrics: ['pixel_accuracy', 'miou'],
    input: 'image',
    // The original trains VOC 2012 with batch 4 (at 224x224: the data set's own `size` default).
    defaults: { batch_size: 4 },
    runner: lazy(() => import('./segmentation.js').then((m) => m.segmentation)),
  },
  synthetic: {
    name: 'synthetic',
    description: 'workloads that train nothing (dispatch benchmarks): noop, sleep',
    primaryMetric: 'accuracy',
    metrics: ['accuracy'],
    input: 'none',
  },
};
