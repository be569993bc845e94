import { UsageError } from '../../../../shared/errors.js';
import { permutation, stream } from '../../random.js';
import type { ImageSplit } from '../data.js';

/**
 * Drawing subsets of a split at load time, seeded by the trial's seed so every optimizer of a sweep
 * sees the same samples. Chosen samples keep their source order (training shuffles them anyway),
 * so a split is reproducible from (source, seed) alone.
 */

/** The images at `indices` (in that order), copied into a new split. */
export function takeSamples(split: ImageSplit, shape: readonly [number, number, number], indices: ArrayLike<number>): ImageSplit {
  const size = shape[0] * shape[1] * shape[2];
  const pixels = new Uint8Array(indices.length * size);
  const labels = split.labels instanceof Uint16Array ? new Uint16Array(indices.length) : new Uint8Array(indices.length);
  for (let i = 0; i < indices.length; i++) {
    const j = indices[i]!;
    pixels.set(split.pixels.subarray(j * size, (j + 1) * size), i * size);
    labels[i] = split.labels[j]!;
  }
  return { count: indices.length, pixels, labels };
}

/**
 * Splits `split` into train and test, stratified by class: of each class's n samples, a seeded
 * shuffle picks round(fraction·n) for test, at least 1 and at most n − 1, so every class with two
 * or more samples is in both splits (a class with one sample stays in train).
 */
export function holdoutSplit(
  split: ImageSplit,
  shape: readonly [number, number, number],
  classes: number,
  fraction: number,
  seed: number,
): { train: ImageSplit; test: ImageSplit } {
  const { train, test } = holdoutIndices(split.labels, classes, fraction, seed);
  return { train: takeSamples(split, shape, train), test: takeSamples(split, shape, test) };
}

/**
 * Which samples of a split (by their labels) holdoutSplit puts in train and which in test, each in
 * source order: for splits of any kind of sample (images, texts), which copy their rows themselves.
 */
export function holdoutIndices(labels: ArrayLike<number>, classes: number, fraction: number, seed: number): { train: number[]; test: number[] } {
  checkFraction(fraction);
  const count = labels.length;
  const byClass: number[][] = Array.from({ length: classes }, () => []);
  for (let i = 0; i < count; i++) {
    const label = labels[i]!;
    if (label >= classes) throw new UsageError(`holdout: label ${label} of sample ${i} is not below the ${classes} classes`);
    byClass[label]!.push(i);
  }
  const random = stream(seed, 'holdout');
  const inTest = new Uint8Array(count);
  for (const members of byClass) {
    const n = members.length;
    if (n < 2) continue;
    const take = Math.min(n - 1, Math.max(1, Math.round(fraction * n)));
    const order = permutation(n, random);
    for (let k = 0; k < take; k++) inTest[members[order[k]!]!] = 1;
  }
  const train: number[] = [];
  const test: number[] = [];
  for (let i = 0; i < count; i++) (inTest[i] ? test : train).push(i);
  return { train, test };
}

/**
 * The first `limit` samples of a seeded shuffle of the split (not the first `limit` in source
 * order, which for class-sorted folders would be one or two classes only), kept in source order.
 * No limit, or one at least the split's size, returns the split itself.
 */
export function limitSplit(
  split: ImageSplit,
  shape: readonly [number, number, number],
  limit: number | undefined,
  seed: number,
  purpose: string,
): ImageSplit {
  const chosen = limitIndices(split.count, limit, seed, purpose);
  return chosen ? takeSamples(split, shape, chosen) : split;
}

/** The samples limitSplit keeps, in source order, or null when it keeps the split whole. */
export function limitIndices(count: number, limit: number | undefined, seed: number, purpose: string): number[] | null {
  if (limit === undefined || limit >= count) return null;
  if (!Number.isInteger(limit) || limit < 0) throw new UsageError(`${purpose}: limit must be a whole number ≥ 0, got ${limit}`);
  const order = permutation(count, stream(seed, purpose));
  return Array.from(order.subarray(0, limit)).sort((a, b) => a - b);
}

export function checkFraction(fraction: number): void {
  if (!(typeof fraction === 'number' && fraction > 0 && fraction < 1)) {
    throw new UsageError(`holdout must be a fraction strictly between 0 and 1, got ${fraction}`);
  }
}
