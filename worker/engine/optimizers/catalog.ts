import { z } from 'zod';
import { UsageError } from '../../../shared/errors.js';
import type { SwitchCatalog } from '../../../shared/switches.js';
import { Registry } from '../registry.js';
import { COMPONENTS, CORRECTIONS, enhancedSgdSchema, MODES, resolveSwitches, SPEC_CORRECTIONS, SWITCHES } from './enhanced-sgd/params.js';
import type { OptimizerFactory } from './types.js';

/**
 * An optimizer as the catalog knows it: its names, its hyper-parameters with their defaults (the
 * original's learning rates), the per-step series its steps add to the training loop's own
 * (shared/series.ts), and where its implementation is.
 */
export interface OptimizerMeta<S extends z.ZodObject = z.ZodObject> {
  readonly name: string;
  /** As the original and papers spell it (`all_results.json` keys, report tables). */
  readonly displayName: string;
  readonly description: string;
  /** Hyper-parameters with their defaults; strict, so a misspelt name is an error. */
  readonly schema: S;
  /** Step-record fields this optimizer reports beyond the loop's (shared/series.ts LOOP_FIELDS). */
  readonly series: readonly string[];
  /** Steered by a controller whose state (ε, mix_prob, actions, Q-table) the dashboard and reports show. */
  readonly steered?: boolean;
  /** Its switches (components and corrections), for ablation sweeps; absent: it has none. */
  readonly switches?: SwitchCatalog;
  readonly load: () => Promise<OptimizerFactory<z.infer<S>>>;
}

export const sgdSchema = z
  .object({
    lr: z.number().positive().default(0.01),
    momentum: z.number().min(0).max(1).default(0.9),
    dampening: z.number().min(0).max(1).default(0),
    weight_decay: z.number().min(0).default(0),
    nesterov: z.boolean().default(false),
  })
  .strict();

function adamSchema(weightDecay: number) {
  return z
    .object({
      lr: z.number().positive().default(1e-3),
      beta1: z.number().min(0).lt(1).default(0.9),
      beta2: z.number().min(0).lt(1).default(0.999),
      eps: z.number().positive().default(1e-8),
      weight_decay: z.number().min(0).default(weightDecay),
    })
    .strict();
}
export const adamParams = adamSchema(0);
export const adamwParams = adamSchema(0.01);

export const rmspropSchema = z
  .object({
    lr: z.number().positive().default(1e-3),
    alpha: z.number().min(0).lt(1).default(0.99),
    eps: z.number().positive().default(1e-8),
    weight_decay: z.number().min(0).default(0),
    momentum: z.number().min(0).lt(1).default(0),
    centered: z.boolean().default(false),
  })
  .strict();

export const nadamwSchema = z
  .object({
    lr: z.number().positive().default(1e-3),
    beta1: z.number().min(0).lt(1).default(0.9),
    beta2: z.number().min(0).lt(1).default(0.999),
    eps: z.number().positive().default(1e-8),
    weight_decay: z.number().min(0).default(0.01),
    momentum_decay: z.number().min(0).default(4e-3),
  })
  .strict();

/**
 * EnhancedSGD's switches as its params module states them (COMPONENTS, CORRECTIONS, the modes'
 * defaults and what cannot run without the loss), resolved by the optimizer's own rules.
 */
const enhancedSgdSwitches: SwitchCatalog = {
  mode: { parameter: 'controller', values: MODES },
  switches: [...COMPONENTS.map((name) => ({ name, kind: 'component' as const })), ...CORRECTIONS.map((name) => ({ name, kind: 'correction' as const, ...(SPEC_CORRECTIONS.has(name) ? {} : { beyondSpec: true }) }))],
  resolve(hyperparameters) {
    const parsed = enhancedSgdSchema.safeParse(hyperparameters);
    if (!parsed.success) throw new UsageError(describeProblems(OPTIMIZERS.get('enhanced-sgd'), parsed.error.issues).join('; '));
    const resolved = (() => {
      try {
        return resolveSwitches(parsed.data);
      } catch (err) {
        // resolveSwitches names the optimizer; the caller names it too.
        throw new UsageError((err as Error).message.replace(/^optimizer 'enhanced-sgd': /, ''));
      }
    })();
    return { mode: resolved.controller, switches: Object.fromEntries(SWITCHES.map((s) => [s, resolved[s]])) };
  },
};

/** Keeps each entry's schema and loader typed together, then forgets the type for the list. */
const entry = <S extends z.ZodObject>(meta: OptimizerMeta<S>) => meta as unknown as OptimizerMeta;

/** Every optimizer. Adding one is one file in this folder and one entry here. */
export const OPTIMIZERS = new Registry<OptimizerMeta>('optimizer', [
  entry({
    name: 'sgd',
    displayName: 'SGD',
    description: 'SGD with momentum (PyTorch semantics; seed defaults lr 0.01, momentum 0.9)',
    schema: sgdSchema,
    series: ['lr', 'momentum'],
    load: () => import('./sgd.js').then((m) => m.sgd),
  }),
  entry({
    name: 'adam',
    displayName: 'Adam',
    description: 'Adam (PyTorch semantics; seed default lr 1e-3)',
    schema: adamParams,
    series: ['lr'],
    load: () => import('./adam.js').then((m) => m.adam),
  }),
  entry({
    name: 'adamw',
    displayName: 'AdamW',
    description: 'AdamW, decoupled weight decay 0.01 (PyTorch semantics; seed default lr 1e-3)',
    schema: adamwParams,
    series: ['lr'],
    load: () => import('./adam.js').then((m) => m.adamw),
  }),
  entry({
    name: 'rmsprop',
    displayName: 'RMSprop',
    description: 'RMSprop (PyTorch semantics; seed default lr 1e-3)',
    schema: rmspropSchema,
    series: ['lr', 'momentum'],
    load: () => import('./rmsprop.js').then((m) => m.rmsprop),
  }),
  entry({
    name: 'nadamw',
    displayName: 'NAdamW',
    description: 'NAdam with decoupled weight decay 0.01, the AlgoPerf baseline (PyTorch semantics; lr 1e-3)',
    schema: nadamwSchema,
    series: ['lr'],
    load: () => import('./nadamw.js').then((m) => m.nadamw),
  }),
  entry({
    name: 'enhanced-sgd',
    displayName: 'EnhancedSGD',
    description: 'EnhancedSGD (Q-learning-steered SGD); controller=intended|as-written|seed|off',
    schema: enhancedSgdSchema,
    series: ['lr', 'momentum', 'mix_prob', 'epsilon', 'action', 'action_kind', 'reward', 'q_size', 'spike', 'retention_size'],
    steered: true,
    switches: enhancedSgdSwitches,
    load: () => import('./enhanced-sgd/index.js').then((m) => m.enhancedSgd),
  }),
]);

/**
 * What is wrong with hyper-parameter overrides for an optimizer (unknown name, bad value), one
 * problem per entry naming the parameter; empty when they are valid. Sweep specs check every
 * variant with it, before any worker tries to build the optimizer.
 */
export function hyperparameterProblems(name: string, overrides: Record<string, unknown>): string[] {
  const meta = OPTIMIZERS.find(name);
  if (!meta) return [`unknown optimizer '${name}'; known: ${OPTIMIZERS.names.join(', ')}`];
  const parsed = meta.schema.safeParse(overrides);
  return parsed.success ? [] : describeProblems(meta, parsed.error.issues);
}

/** Overrides checked against the optimizer's schema, defaults filled in; a usage error names every problem. */
export function resolveHyperparameters(name: string, overrides: Record<string, unknown>): Record<string, unknown> {
  const meta = OPTIMIZERS.get(name);
  const parsed = meta.schema.safeParse(overrides);
  if (!parsed.success) throw new UsageError(`optimizer '${name}': ${describeProblems(meta, parsed.error.issues).join('; ')}`);
  return parsed.data;
}

function describeProblems(meta: OptimizerMeta, issues: readonly z.core.$ZodIssue[]): string[] {
  const known = Object.keys(meta.schema.shape).join(', ');
  return issues.map((issue) => {
    if (issue.code === 'unrecognized_keys') return `unknown hyper-parameter ${issue.keys.map((k) => `'${k}'`).join(', ')} (known: ${known})`;
    return `${issue.path.join('.') || '(root)'}: ${issue.message}`;
  });
}
