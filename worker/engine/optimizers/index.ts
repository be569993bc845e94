import type { z } from 'zod';
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
 * What is wrong with hyper-parameter overrides for an optimizer (unknown name, bad value), one
 * problem per entry naming the parameter; empty when they are valid. Sweep specs check every
 * variant with it, before any worker tries to build the optimizer.
 */
export function hyperparameterProblems(name: string, overrides: Record<string, HyperParameterValue>): string[] {
  const factory = optimizers[name];
  if (!factory) return [`unknown optimizer '${name}'; known: ${Object.keys(optimizers).join(', ')}`];
  const parsed = factory.schema.safeParse(overrides);
  return parsed.success ? [] : describeProblems(factory, parsed.error.issues);
}

/** The same as one line, or null when the overrides are valid. */
export function hyperparameterProblem(name: string, overrides: Record<string, HyperParameterValue>): string | null {
  const problems = hyperparameterProblems(name, overrides);
  return problems.length === 0 ? null : problems.join('; ');
}

function describeProblems(factory: OptimizerFactory, issues: readonly z.core.$ZodIssue[]): string[] {
  const known = Object.keys(factory.schema.shape).join(', ');
  return issues.map((issue) => {
    if (issue.code === 'unrecognized_keys') return `unknown hyper-parameter ${issue.keys.map((k) => `'${k}'`).join(', ')} (known: ${known})`;
    return `${issue.path.join('.') || '(root)'}: ${issue.message}`;
  });
}

/**
 * Validates hyper-parameter overrides against the optimizer's schema (defaults filled in) and
 * builds it. Errors name the optimizer, the parameter and what is wrong.
 */
export function createOptimizer(name: string, overrides: Record<string, HyperParameterValue>, seed: number): Optimizer {
  const factory = optimizerByName(name);
  const parsed = factory.schema.safeParse(overrides);
  if (!parsed.success) throw new UsageError(`optimizer '${name}': ${describeProblems(factory, parsed.error.issues).join('; ')}`);
  return factory.create(parsed.data, seed);
}
