import { UsageError } from '../../../shared/errors.js';
import { permutation, stream } from '../random.js';
import type { LoadedDataset } from './data.js';

/**
 * The validation split: samples held out of a loaded data set's training split and evaluated after
 * every epoch (for tuning; the test split stays untouched). It works on the loaded splits, so it is
 * the same for every task and every loader, after the loader's own holdout (a data set whose test
 * split is held out of its only split gives its validation split from what remains for training).
 *
 * One seeded permutation of the training split, drawn from the split seed (never the trial's
 * seed), decides everything: its first `size` samples are the validation split, and `trainLimit`
 * takes the next ones for training. So the limit applies *after* the split: the validation split
 * does not depend on the limit, and both it and the training set are the same for every optimizer
 * and every training seed of a data set. Chosen samples keep their source order.
 *
 * What a loader derives from its whole training split before this step (a text vocabulary, an
 * image folder's mean and std) includes the validation samples, as it included the samples a
 * limit leaves out.
 */
export interface ValidationRequest {
  /** A fraction of the training split in (0, 1), or a whole number of samples. */
  readonly size: number;
  /** The split seed. */
  readonly seed: number;
  /** Training samples to keep of those left (undefined: all). */
  readonly trainLimit?: number;
}

/** How many samples a validation size takes of `count` training samples; a UsageError when none or all. */
export function validationCount(size: number, count: number): number {
  if (!(size > 0 && (size < 1 || Number.isInteger(size)))) throw new UsageError(`validation must be a fraction in (0, 1) or a whole number of samples, got ${size}`);
  const take = size < 1 ? Math.round(size * count) : size;
  if (take < 1) throw new UsageError(`validation ${size} of the ${count} training samples is no sample at all; give a larger fraction or a count`);
  if (take >= count) throw new UsageError(`validation ${size} takes ${take} samples, which leaves no training data (the training split has ${count})`);
  return take;
}

/** The training split without its validation samples (limited), and the validation split. */
export function splitValidation<D extends LoadedDataset>(data: D, request: ValidationRequest): { data: D; validation: D['test'] } {
  const count = data.train.count;
  const take = validationCount(request.size, count);
  const order = permutation(count, stream(request.seed, 'validation'));
  const inSourceOrder = (indices: Uint32Array) => Uint32Array.from(indices).sort();
  const rest = order.subarray(take);
  const train = request.trainLimit !== undefined && request.trainLimit < rest.length ? rest.subarray(0, request.trainLimit) : rest;
  return {
    data: { ...data, train: takeSamples(data.train, inSourceOrder(train)) },
    validation: takeSamples(data.train, inSourceOrder(order.subarray(0, take))) as D['test'],
  };
}

type Split = LoadedDataset['train'];
type Typed = Uint8Array | Uint16Array | Int32Array;

/**
 * The samples at `indices` of a split, copied. Every split is `count` and per-sample arrays (pixels,
 * labels, masks, tokens: data.ts), so one copy serves every task: each array's stride is its length
 * over the count.
 */
function takeSamples<S extends Split>(split: S, indices: Uint32Array): S {
  const out: Record<string, unknown> = { count: indices.length };
  for (const [key, value] of Object.entries(split)) {
    if (key === 'count') continue;
    if (!ArrayBuffer.isView(value) || value instanceof DataView || (value as Typed).length % split.count !== 0) {
      throw new Error(`validation split: field '${key}' of a split is not one array entry per sample`);
    }
    const array = value as Typed;
    const stride = array.length / split.count;
    const copy = new (array.constructor as new (n: number) => Typed)(indices.length * stride);
    for (let i = 0; i < indices.length; i++) {
      const j = indices[i]!;
      copy.set(array.subarray(j * stride, (j + 1) * stride), i * stride);
    }
    out[key] = copy;
  }
  return out as unknown as S;
}
