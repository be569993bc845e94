/**
 * The engine as everything outside it knows it: data sets and formats, tasks, models, optimizers,
 * backends — names, descriptions, tasks, defaults, schemas, series — and no TensorFlow.js. The
 * orchestrator, the dashboard and reports import this module and `shared/` only; each entry's
 * implementation is imported by the engine when a trial runs (catalog.test.ts checks it).
 */
import type { CatalogDefaults, TrainingCatalog, TrainingDefaults } from '../../shared/settings.js';
import type { HyperParameterValue } from '../../shared/trial.js';
import { describeDataset as describe, type DatasetChoice as Choice } from './datasets/catalog.js';
import { MODELS as models, modelOptions } from './models/catalog.js';
import { OPTIMIZERS as optimizers } from './optimizers/catalog.js';
import { TASKS as tasks, type TaskMeta } from './tasks/catalog.js';

export { BACKENDS, BACKEND_CHOICES, type BackendMeta } from './backends/catalog.js';
export { DATASETS, FORMATS, describeDataset, datasetOptionProblems, type DatasetChoice, type DatasetMeta, type FormatMeta } from './datasets/catalog.js';
export { TASK_NAMES, type TaskName } from './datasets/data.js';
export { BERT_RANDOM, MODELS, modelOptionProblems, modelOptions, type ModelMeta } from './models/catalog.js';
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

/** A data set's catalog layer: its task's defaults, then its own over them (key by key), and its default model. */
export function catalogDefaults(task: Pick<TaskMeta, 'defaults'>, dataset: { defaults?: TrainingDefaults; defaultModel?: string }): CatalogDefaults {
  const t = task.defaults ?? {};
  const d = dataset.defaults ?? {};
  const perModel = { ...t.model_options };
  for (const [model, options] of Object.entries(d.model_options ?? {})) perModel[model] = { ...perModel[model], ...options };
  const merged: CatalogDefaults = {
    ...t,
    ...d,
    hyperparameters: { ...t.hyperparameters, ...d.hyperparameters },
    options: { ...t.options, ...d.options },
    model_options: perModel,
    ...(dataset.defaultModel !== undefined ? { model: dataset.defaultModel } : {}),
  };
  return merged;
}

/**
 * The catalog as the settings resolution (shared/settings.ts) sees it: each data set's defaults,
 * the optimizers' and the models' schemas. Invalid values come back as given: the spec checks
 * report them, and a worker refuses them.
 */
export const trainingCatalog: TrainingCatalog = {
  defaults(choice) {
    const dataset = describe(choice);
    return catalogDefaults(tasks[dataset.task], dataset);
  },
  hyperparameters(optimizer, overrides) {
    const parsed = optimizers.find(optimizer)?.schema.safeParse(overrides);
    return parsed?.success ? (parsed.data as Record<string, HyperParameterValue>) : { ...overrides };
  },
  camLayers: (model) => models.find(model)?.camLayers ?? [],
  switches: (optimizer) => optimizers.find(optimizer)?.switches,
  modelOptions(model, options) {
    if (!models.has(model)) return { options: { ...options }, problems: [`unknown model '${model}'; known: ${models.names.join(', ')}`] };
    return modelOptions(model, options);
  },
};
