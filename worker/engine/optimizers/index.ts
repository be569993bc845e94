import { UsageError } from '../../../shared/errors.js';
import type { HyperParameterValue } from '../../../shared/trial.js';
import { adam, adamw } from './adam.js';
import { enhancedSgd } from './enhanced-sgd/index.js';
import { nadamw } from './nadamw.js';
import { rmsprop } from './rmsprop.js';
import { sgd } from './sgd.js';
import type { Optimizer, OptimizerFactory } from './types.js';

export type { HyperParameters, Optimizer, OptimizerFactory, StepContext } from './types.js';

/** Every optimizer, by name. Adding one is one file in this folder and one line here. */
export const optimizers: Readonly<Record<string, OptimizerFactory>> = {
  [sgd.name]: sgd,
  [adam.name]: adam,
  [adamw.name]: adamw,
  [rmsprop.name]: rmsprop,
  [nadamw.name]: nadamw,
  [enhancedSgd.name]: enhancedSgd,
};

export function optimizerByName(name: string): OptimizerFactory {
  const found = optimizers[name];
  if (!found) throw new UsageError(`unknown optimizer '${name}'; known: ${Object.keys(optimizers).join(', ')}`);
  return found;
}

/**
 * Validates hyper-parameter overrides against the optimizer's schema (defaults filled in) and
 * builds it. Errors name the optimizer, the parameter and what is wrong.
 */
export function createOptimizer(name: string, overrides: Record<string, HyperParameterValue>, seed: number): Optimizer {
  const factory = optimizerByName(name);
  const parsed = factory.schema.safeParse(overrides);
  if (!parsed.success) {
    const known = Object.keys(factory.schema.shape).join(', ');
    const problems = parsed.error.issues.map((issue) => {
      if (issue.code === 'unrecognized_keys') return `unknown hyper-parameter ${issue.keys.map((k) => `'${k}'`).join(', ')} (known: ${known})`;
      return `${issue.path.join('.') || '(root)'}: ${issue.message}`;
    });
    throw new UsageError(`optimizer '${name}': ${problems.join('; ')}`);
  }
  return factory.create(parsed.data, seed);
}
