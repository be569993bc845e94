import type { HyperParameterValue } from '../../../shared/trial.js';
import { OPTIMIZERS, resolveHyperparameters } from './catalog.js';
import type { Optimizer } from './types.js';

export type { HyperParameters, Optimizer, OptimizerFactory, StepContext } from './types.js';

/**
 * Validates hyper-parameter overrides against the optimizer's schema (defaults filled in) and
 * builds it. Errors name the optimizer, the parameter and what is wrong.
 */
export async function createOptimizer(name: string, overrides: Record<string, HyperParameterValue>, seed: number): Promise<Optimizer> {
  const hyperparameters = resolveHyperparameters(name, overrides);
  return (await OPTIMIZERS.get(name).load()).create(hyperparameters, seed);
}
