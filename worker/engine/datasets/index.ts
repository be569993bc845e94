import { UsageError } from '../../../shared/errors.js';
import { mnist } from './mnist.js';
import type { DatasetLoader } from './types.js';

export type { DatasetLoader, ImageDataset, ImageSplit, LoadOptions } from './types.js';

/** Every data set, by name. Adding one is one file in this folder and one line here. */
export const datasets: Readonly<Record<string, DatasetLoader>> = {
  [mnist.name]: mnist,
};

export function datasetByName(name: string): DatasetLoader {
  const found = datasets[name];
  if (!found) throw new UsageError(`unknown dataset '${name}'; known: ${Object.keys(datasets).join(', ')}`);
  return found;
}
