import { UsageError } from '../../../shared/errors.js';
import { mlp } from './mlp.js';
import { simpleCnn } from './simple-cnn.js';
import type { ModelFactory } from './types.js';

export type { ImageShape, Model, ModelFactory } from './types.js';

/** Every model, by name. Adding one is one file in this folder and one line here. */
export const models: Readonly<Record<string, ModelFactory>> = {
  [simpleCnn.name]: simpleCnn,
  [mlp.name]: mlp,
};

export function modelByName(name: string): ModelFactory {
  const found = models[name];
  if (!found) throw new UsageError(`unknown model '${name}'; known: ${Object.keys(models).join(', ')}`);
  return found;
}
