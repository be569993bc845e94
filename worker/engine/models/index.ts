import { MODELS } from './catalog.js';
import type { ModelFactory } from './types.js';

export type { ImageShape, Model, ModelFactory, ModelInput } from './types.js';

/** The implementation of a catalog model (a usage error naming the known ones otherwise). */
export function modelByName(name: string): Promise<ModelFactory> {
  return MODELS.get(name).load();
}
