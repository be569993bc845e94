import { NO_CATALOG, type TrainingCatalog } from '../../shared/settings.js';
import type { KnownNames } from '../../shared/sweep/spec.js';
import { BACKENDS, DATASETS, datasetOptionProblems, FORMATS, hyperparameterProblems, MODELS, OPTIMIZERS, trainingCatalog, trialModel } from '../../worker/engine/catalog.js';

/**
 * For planning a spec's ids, labels and ablation only (counts, headlines, a report's cells): no
 * settings resolved, but the optimizers' switches, which an `ablate:` block expands from.
 */
export const LABELS_CATALOG: TrainingCatalog = { ...NO_CATALOG, switches: trainingCatalog.switches };

/**
 * The engine's catalog as the names a sweep spec is checked against: optimizers (with their
 * hyper-parameter schemas), data sets and formats (with their options), models and the task each
 * is for, and the training defaults of each data set (the planner resolves every cell with them). Lives beside the planner (not in cli/) because the dashboard and the planner use it too.
 */
export function engineKnownNames(): KnownNames {
  return {
    optimizers: OPTIMIZERS.names,
    datasets: DATASETS.names,
    formats: FORMATS.names,
    backends: BACKENDS.names,
    models: MODELS.names,
    checkHyperparameters: hyperparameterProblems,
    checkDataset: datasetOptionProblems,
    checkModel: (choice, model) => trialModel(choice, model ?? undefined).problem ?? null,
    training: trainingCatalog,
  };
}
