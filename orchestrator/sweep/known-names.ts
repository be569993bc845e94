import type { KnownNames } from '../../shared/sweep/spec.js';
import { SYNTHETIC_WORKLOADS } from '../../shared/sweep/workloads.js';
import { datasets } from '../../worker/engine/datasets/index.js';
import { models } from '../../worker/engine/models/index.js';
import { hyperparameterProblems, optimizers } from '../../worker/engine/optimizers/index.js';

/**
 * The engine's registries as the names a sweep spec is checked against: the optimizers (with
 * their hyper-parameter schemas), the data set loaders plus the synthetic workloads, the models.
 * Lives beside the planner (not in cli/) because the dashboard and the planner use it too.
 */
export function engineKnownNames(): KnownNames {
  return {
    optimizers: Object.keys(optimizers),
    datasets: [...Object.keys(datasets), ...SYNTHETIC_WORKLOADS],
    models: Object.keys(models),
    checkHyperparameters: hyperparameterProblems,
  };
}
