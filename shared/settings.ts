import type { SwitchCatalog } from './switches.js';
import type { HyperParameterValue } from './trial.js';

/**
 * A trial's training settings — epochs, batch size, model and its options, hyper-parameters, the
 * data set's options (size, max_length) — resolved from layers, each above overriding the ones
 * below it, key by key:
 *
 *   1. built-in: the optimizer's own defaults (its catalog schema), epochs 2, batch size 64;
 *   2. the catalog: the data set's task (the original's per-task choices, e.g. text: batch 16,
 *      lr 0.01 for every optimizer), then the data set's (or format's) own `defaults`;
 *   3. the spec's `train` (for `grn train`: its flags);
 *   4. the spec's `train_overrides.<data set>`;
 *   5. the spec's `params.<optimizer>`: its fixed values and its axes.
 *
 * The data set's options come from the catalog, then the grid entry's own (`{name, size, …}`).
 * Model options belong to the model they were given for: a layer's `model_options` count only if
 * the model in effect at that layer is the one trained. This module is the one place the order
 * is implemented: the sweep planner and `grn train` both call resolveSettings.
 */

export const BUILT_IN_TRAINING = { epochs: 2, batch_size: 64 } as const;

type Options = Readonly<Record<string, unknown>>;
type HyperParameters = Readonly<Record<string, HyperParameterValue>>;

/** What the catalog sets for a task or a data set (or format): its `defaults` field. */
export interface TrainingDefaults {
  readonly epochs?: number;
  readonly batch_size?: number;
  /** Hyper-parameters for every optimizer (so only ones every optimizer takes: lr). */
  readonly hyperparameters?: HyperParameters;
  /** Defaults of the data set's own options (size, max_length, …), below the grid entry's. */
  readonly options?: Options;
  /** Options per model name, for whichever of them a trial of this data set trains. */
  readonly model_options?: Readonly<Record<string, Options>>;
}

/** The catalog's layer for one data set: its task's defaults, then its own, and its default model. */
export interface CatalogDefaults extends TrainingDefaults {
  readonly model?: string;
}

/** What the resolution needs of the engine's catalog; `shared/` never imports the engine. */
export interface TrainingCatalog {
  defaults(choice: { dataset: string; kind?: string }): CatalogDefaults;
  /** The optimizer's full hyper-parameters: the overrides over its defaults (as given when invalid). */
  hyperparameters(optimizer: string, overrides: HyperParameters): Record<string, HyperParameterValue>;
  /** The model's full options, its defaults filled in, and what is wrong with them (none: []). */
  modelOptions(model: string, options: Options): { options: Record<string, unknown>; problems: readonly string[] };
  /** The layers Grad-CAM can explain in the model ([]: none); absent: not known, taken as asked. */
  camLayers?(model: string): readonly string[];
  /** The optimizer's switches, for ablation (undefined: it has none); absent: not known, so a spec with `ablate:` cannot be expanded. */
  switches?(optimizer: string): SwitchCatalog | undefined;
}

/** A catalog of nothing: no defaults, every value as given (tests; plans read only for their ids). */
export const NO_CATALOG: TrainingCatalog = {
  defaults: () => ({}),
  hyperparameters: (_optimizer, overrides) => ({ ...overrides }),
  modelOptions: (_model, options) => ({ options: { ...options }, problems: [] }),
};

/** One layer as the spec writes it (`train`, `train_overrides.<name>`); unset keys are undefined. */
export interface SettingsLayer {
  readonly epochs?: number;
  readonly batch_size?: number;
  /** null: no limit (all samples), overriding a lower layer's. */
  readonly train_limit?: number | null;
  readonly test_limit?: number | null;
  /** A validation split (fraction or count); null: none, overriding a lower layer's. */
  readonly validation?: number | null;
  /** null: not set (the data set's default model). */
  readonly model?: string | null;
  readonly model_options?: Options;
  readonly hyperparameters?: HyperParameters;
}

export interface ResolvedSettings {
  epochs: number;
  batch_size: number;
  train_limit?: number;
  test_limit?: number;
  validation?: number;
  /** Absent only for synthetic workloads (no model, and none named). */
  model?: string;
  model_options: Record<string, unknown>;
  hyperparameters: Record<string, HyperParameterValue>;
  data_options: Record<string, unknown>;
}

export interface SettingsInput {
  readonly choice: { dataset: string; kind?: string };
  readonly optimizer: string;
  /** The grid entry's own options of the data set (size, …). */
  readonly dataOptions?: Options;
  /** Layers 3 and 4, lowest first. */
  readonly layers: readonly SettingsLayer[];
  /** Layer 5: the optimizer variant's hyper-parameters (fixed values and axis values). */
  readonly params?: HyperParameters;
}

/**
 * The model trained over these layers (the last one named, else the catalog's default) and the
 * layers whose model_options count for it: those given while that model was in effect.
 */
export function modelLayers(defaultModel: string | undefined, layers: readonly SettingsLayer[]): { model?: string; counting: number[] } {
  let inEffect = defaultModel;
  const effect: Array<string | undefined> = layers.map((layer) => (inEffect = typeof layer.model === 'string' ? layer.model : inEffect));
  const counting = layers.flatMap((layer, i) => (layer.model_options && inEffect !== undefined && effect[i] === inEffect ? [i] : []));
  return { ...(inEffect !== undefined ? { model: inEffect } : {}), counting };
}

/** The settings of one trial, resolved in the order this module's comment gives. */
export function resolveSettings(catalog: TrainingCatalog, input: SettingsInput): ResolvedSettings {
  const base = catalog.defaults(input.choice);
  const layers: SettingsLayer[] = [{ epochs: base.epochs, batch_size: base.batch_size, hyperparameters: base.hyperparameters }, ...input.layers];
  const last = <K extends 'epochs' | 'batch_size' | 'train_limit' | 'test_limit' | 'validation'>(key: K): SettingsLayer[K] => {
    let value: SettingsLayer[K] = undefined;
    for (const layer of layers) if (layer[key] !== undefined) value = layer[key];
    return value;
  };
  const { model, counting } = modelLayers(base.model, input.layers);
  let modelOptions: Record<string, unknown> = {};
  if (model !== undefined) {
    const given = [base.model_options?.[model] ?? {}, ...counting.map((i) => input.layers[i]!.model_options!)];
    modelOptions = catalog.modelOptions(model, Object.assign({}, ...given)).options;
  }
  const limit = (key: 'train_limit' | 'test_limit' | 'validation') => last(key) ?? undefined;
  return {
    epochs: last('epochs') ?? BUILT_IN_TRAINING.epochs,
    batch_size: last('batch_size') ?? BUILT_IN_TRAINING.batch_size,
    ...(limit('train_limit') !== undefined ? { train_limit: limit('train_limit')! } : {}),
    ...(limit('test_limit') !== undefined ? { test_limit: limit('test_limit')! } : {}),
    ...(limit('validation') !== undefined ? { validation: limit('validation')! } : {}),
    ...(model !== undefined ? { model } : {}),
    model_options: modelOptions,
    hyperparameters: catalog.hyperparameters(input.optimizer, Object.assign({}, ...layers.map((l) => l.hyperparameters ?? {}), input.params ?? {})),
    data_options: { ...base.options, ...input.dataOptions },
  };
}
