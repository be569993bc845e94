/**
 * The engine as everything outside it knows it: data sets and formats, tasks, models, optimizers,
 * backends — names, descriptions, tasks, defaults, schemas, series — and no TensorFlow.js. The
 * orchestrator, the dashboard and reports import this module and `shared/` only; each entry's
 * implementation is imported by the engine when a trial runs (catalog.test.ts checks it).
 */
import { describeDataset as describe, type DatasetChoice as Choice } from './datasets/catalog.js';
import { MODELS as models } from './models/catalog.js';

export { BACKENDS, BACKEND_CHOICES, type BackendMeta } from './backends/catalog.js';
export { DATASETS, FORMATS, describeDataset, datasetOptionProblems, type DatasetChoice, type DatasetMeta, type FormatMeta } from './datasets/catalog.js';
export { TASK_NAMES, type TaskName } from './datasets/data.js';
export { BERT_RANDOM, MODELS, modelOptionProblems, type ModelMeta } from './models/catalog.js';
export { OPTIMIZERS, hyperparameterProblems, resolveHyperparameters, type OptimizerMeta } from './optimizers/catalog.js';
export { TASKS, type TaskMeta } from './tasks/catalog.js';

/**
 * The model a trial of this data set trains, or why there is none: the model named (it must be of
 * the data set's task — the error names both) or the data set's default. Checked when a spec is
 * planned and when `grn train` starts, before anything is loaded.
 */
export function trialModel(choice: Choice, model: string | undefined): { model?: string; problem?: string } {
  const dataset = describe(choice);
  if (dataset.task === 'synthetic') return {};
  const name = model ?? dataset.defaultModel;
  if (!name) return { problem: `data set '${choice.dataset}' (${dataset.task}) has no default model: name one` };
  const meta = models.find(name);
  if (!meta) return { problem: `unknown model '${name}'; known: ${models.names.join(', ')}` };
  if (meta.task !== dataset.task) return { problem: `model '${meta.name}' is for ${meta.task}, but data set '${choice.dataset}' is ${dataset.task}` };
  return { model: name };
}
