import { z } from 'zod';
import type { TaskName } from '../datasets/data.js';
import { checkOptions } from '../options.js';
import { Registry } from '../registry.js';
import type { ModelFactory } from './types.js';

/** A model as the catalog knows it: what it is for, and where its implementation is. */
export interface ModelMeta {
  readonly name: string;
  readonly description: string;
  /** The task whose data sets it trains on; a spec pairing it with another task's data is refused. */
  readonly task: TaskName;
  /** The model's own options (a spec's model_options, ModelFactory.create's third argument); none when absent. */
  readonly options?: z.ZodObject;
  readonly load: () => Promise<ModelFactory>;
}

/** The options of a model that declares none: any key is an error. */
const NO_OPTIONS = z.object({}).strict();

/** mlp's options: the width of its hidden layer. */
export const mlpOptions = z.object({ hidden: z.int({ error: 'expected a positive integer' }).positive({ error: 'expected a positive integer' }).default(64) }).strict();

/** Every model. Adding one is one file in this folder and one entry here. */
export const MODELS = new Registry<ModelMeta>('model', [
  {
    name: 'simple-cnn',
    description: "SimpleCNN of the original: 2 conv (32, 64) + max-pool, dense 128, dense classes (545,098 parameters on 32x32x3)",
    task: 'image-classification',
    load: () => import('./simple-cnn.js').then((m) => m.simpleCnn),
  },
  {
    name: 'mlp',
    description: 'flatten, dense hidden (64), ReLU, dense classes (tests and quick checks); option hidden',
    task: 'image-classification',
    options: mlpOptions,
    load: () => import('./mlp.js').then((m) => m.mlp),
  },
]);

/**
 * A model's options checked against its schema: the options with its defaults filled in, and one
 * problem per bad entry naming the option ([] when valid; then `options` is what the model gets).
 */
export function modelOptions(name: string, given: Readonly<Record<string, unknown>>): { options: Record<string, unknown>; problems: string[] } {
  return checkOptions(MODELS.get(name).options ?? NO_OPTIONS, `model '${name}'`, given);
}
