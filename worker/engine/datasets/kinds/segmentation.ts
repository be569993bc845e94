import { DataFileError, UsageError } from '../../../../shared/errors.js';
import { permutation, stream } from '../../random.js';
import { sourceDigest } from '../archive.js';
import type { LoadOptions, MaskSplit, PixelNormalization, SegmentationData, SkippedSamples } from '../data.js';
import { decodedCacheKey, readDecodedSegmentation, writeDecoded } from '../decoded-cache.js';
import { convertChannels, type MaskOptions } from '../decode/decode.js';
import { decodeImages, type DecodeResult } from '../decode/pool.js';
import { defaultCacheDir } from '../files.js';
import { checkFraction } from './holdout.js';
import { checkSize, chooseNormalization } from './image-folder.js';
import { channelStatistics } from './statistics.js';

/**
 * What the segmentation loaders (voc2012, segmentation-folder) share once they have found their
 * image/mask pairs: decoding both on the decode pool (images bilinear, masks nearest, to `size`),
 * checking every pair (both files there and decodable, the same size, mask values classes or the
 * ignore index) under the on_bad_sample policy, the decoded cache, the seeded holdout and limits.
 */

/** One image and its mask as a layout found them; a missing file leaves its side undefined. */
export interface MaskPair {
  readonly stem: string;
  readonly split: 'train' | 'test';
  readonly image?: { readonly path: string; readonly bytes: Uint8Array };
  readonly mask?: { readonly path: string; readonly bytes: Uint8Array };
  /** Why a side is missing, for the bad-sample message (e.g. `listed in train.txt, no JPEGImages/x.jpg`). */
  readonly missing?: string;
}

/** What a layout reader returns: the pairs (sorted as the loader wants them) and what it knows of the classes. */
export interface PairLayout {
  readonly pairs: MaskPair[];
  /** Fixed by the data set (VOC: 21), else taken from options.classes or inferred from the masks. */
  readonly classes?: number;
  readonly classNames?: readonly string[];
}

export interface SegmentationSourceOptions extends LoadOptions {
  /** Cache key's loader name: another loader's decoding of the same files is another entry. */
  readonly loader: string;
  /** Reads the source's pairs (bytes in memory); called only when the decoded cache misses. */
  readonly read: (source: string) => Promise<PairLayout>;
  readonly fixedNormalization?: PixelNormalization;
  readonly maskOptions?: MaskOptions;
  /** The holdout when the source has no test split and `holdout` is not given. */
  readonly defaultHoldout: number;
}

const MAX_EXAMPLES = 20;

export async function loadSegmentationSource(name: string, source: string, options: SegmentationSourceOptions): Promise<SegmentationData> {
  if (options.holdout !== undefined) checkFraction(options.holdout);
  const onBadSample = options.onBadSample ?? 'fail';
  if (onBadSample !== 'fail' && onBadSample !== 'skip') throw new UsageError(`on_bad_sample must be 'fail' or 'skip', got ${String(onBadSample)}`);
  const size = options.size;
  checkSize(size);
  const ignoreIndex = options.ignoreIndex ?? 255;
  if (!Number.isInteger(ignoreIndex) || ignoreIndex < 0 || ignoreIndex > 255) throw new UsageError(`ignore_index must be a whole number in 0..255, got ${ignoreIndex}`);
  if (options.classes !== undefined && !(Number.isInteger(options.classes) && options.classes >= 2 && options.classes <= 256)) {
    throw new UsageError(`classes must be a whole number in 2..256, got ${options.classes}`);
  }
  const cacheDir = options.cacheDir ?? defaultCacheDir();
  const digest = await sourceDigest(source);
  const key = decodedCacheKey(digest.sha256, { loader: options.loader, size, channels: options.channels, onBadSample, classes: options.classes, ignoreIndex });
  let decoded = await readDecodedSegmentation(cacheDir, key, options.onProgress);
  if (decoded) {
    options.onProgress?.(`${source}: decoded cache hit (${key.slice(0, 12)}), ${decoded.train.count + decoded.test.count} images`);
  } else {
    options.onProgress?.(`reading ${source}`);
    const layout = await options.read(source);
    decoded = await decodePairs(name, source, layout, { ...options, onBadSample, ignoreIndex }, { [digest.name]: digest.sha256 });
    try {
      await writeDecoded(cacheDir, key, decoded);
    } catch (err) {
      options.onProgress?.(`${cacheDir}: could not write the decoded cache (${(err as Error).message})`);
    }
  }
  const { shape } = decoded.sample;
  let { train, test } = decoded;
  // An empty test split means the source has none (no ImageSets lists, no test/ folder).
  if (test.count === 0 || options.holdout !== undefined) ({ train, test } = holdoutMasks(train, shape, options.holdout ?? options.defaultHoldout, options.seed));
  train = limitMasks(train, shape, options.trainLimit, options.seed, 'train-limit');
  test = limitMasks(test, shape, options.testLimit, options.seed, 'test-limit');
  const normalization = options.fixedNormalization ?? chooseNormalization(options, train, shape[2]);
  return { ...decoded, name, sample: { ...decoded.sample, normalization }, train, test };
}

type Good = Extract<DecodeResult, { ok: true }>;

/** Decodes and checks every pair; the test split is empty when the layout has none. */
export async function decodePairs(
  name: string,
  source: string,
  layout: PairLayout,
  options: SegmentationSourceOptions & { onBadSample: 'fail' | 'skip'; ignoreIndex: number },
  sha256: Record<string, string>,
): Promise<SegmentationData> {
  const { pairs } = layout;
  const file = (p: string) => `${source}/${p}`;
  if (pairs.length === 0) throw new DataFileError(source, 'no image/mask pairs found');
  const withImage = pairs.filter((p) => p.image);
  const withMask = pairs.filter((p) => p.mask);
  const decodeOptions = { size: options.size, threads: options.threads, onProgress: options.onProgress };
  const images = await decodeImages(withImage.map((p) => ({ name: p.image!.path, bytes: p.image!.bytes })), { ...decodeOptions, channels: options.channels });
  const masks = await decodeImages(withMask.map((p) => ({ name: p.mask!.path, bytes: p.mask!.bytes })), { ...decodeOptions, mask: options.maskOptions ?? {} });
  const imageOf = new Map(withImage.map((p, i) => [p, images[i]!]));
  const maskOf = new Map(withMask.map((p, i) => [p, masks[i]!]));

  // Classes: the layout's, the option, or one more than the largest mask value that is not ignored.
  let classes = layout.classes ?? options.classes;
  if (classes === undefined) {
    let max = 0;
    for (const r of masks) if (r.ok) for (const v of r.pixels) if (v !== options.ignoreIndex && v > max) max = v;
    classes = Math.max(2, max + 1);
    options.onProgress?.(`${source}: ${classes} classes (the largest mask value + 1; give classes: N to fix it)`);
  }

  const skippedExamples: string[] = [];
  let skippedCount = 0;
  const good: Array<{ pair: MaskPair; image: Good; mask: Good }> = [];
  const bad = (path: string, reason: string) => {
    if (options.onBadSample === 'fail') throw new DataFileError(file(path), `${reason} (on_bad_sample: skip would skip it)`);
    skippedCount++;
    if (skippedExamples.length < MAX_EXAMPLES) skippedExamples.push(`${file(path)}: ${reason}`);
  };
  for (const pair of pairs) {
    const image = imageOf.get(pair);
    const mask = maskOf.get(pair);
    if (!image || !mask) {
      bad(pair.image?.path ?? pair.mask?.path ?? pair.stem, pair.missing ?? `no ${image ? 'mask' : 'image'} for '${pair.stem}'`);
      continue;
    }
    if (!image.ok) {
      bad(pair.image!.path, `cannot decode image: ${image.reason}`);
      continue;
    }
    if (!mask.ok) {
      bad(pair.mask!.path, `cannot decode mask: ${mask.reason}`);
      continue;
    }
    if (image.sourceHeight !== mask.sourceHeight || image.sourceWidth !== mask.sourceWidth) {
      bad(pair.mask!.path, `mask is ${mask.sourceHeight}x${mask.sourceWidth}, its image ${pair.image!.path} ${image.sourceHeight}x${image.sourceWidth}`);
      continue;
    }
    const wrong = mask.pixels.findIndex((v) => v >= classes && v !== options.ignoreIndex);
    if (wrong >= 0) {
      bad(pair.mask!.path, `mask value ${mask.pixels[wrong]} at pixel (${Math.floor(wrong / mask.width)}, ${wrong % mask.width}) is neither a class (0–${classes - 1}) nor the ignore index ${options.ignoreIndex}`);
      continue;
    }
    good.push({ pair, image, mask });
  }
  if (good.length === 0) throw new DataFileError(source, `none of the ${pairs.length} image/mask pairs could be read (e.g. ${skippedExamples[0]})`);

  const first = good[0]!;
  if (!options.size) {
    const other = good.find(({ image }) => image.height !== first.image.height || image.width !== first.image.width);
    if (other) {
      throw new DataFileError(
        source,
        `images have different sizes: ${file(first.pair.image!.path)} is ${first.image.height}x${first.image.width}, ${file(other.pair.image!.path)} is ${other.image.height}x${other.image.width}; give size: [height, width] to resize them all`,
      );
    }
  }
  const channels: 1 | 3 = options.channels ?? (good.some(({ image }) => image.channels === 3) ? 3 : 1);
  const [height, width] = options.size ?? [first.image.height, first.image.width];
  const shape: [number, number, number] = [height, width, channels];
  const pack = (split: 'train' | 'test'): MaskSplit => {
    const chosen = good.filter(({ pair }) => pair.split === split);
    const pixels = new Uint8Array(chosen.length * height * width * channels);
    const maskBytes = new Uint8Array(chosen.length * height * width);
    chosen.forEach(({ image, mask }, i) => {
      pixels.set(image.channels === channels ? image.pixels : convertChannels(image, channels).pixels, i * height * width * channels);
      maskBytes.set(mask.pixels, i * height * width);
    });
    return { count: chosen.length, pixels, masks: maskBytes };
  };
  const train = pack('train');
  const test = pack('test');
  if (train.count === 0) throw new DataFileError(source, 'no readable image/mask pair in the training split');
  const skipped: SkippedSamples | undefined = skippedCount ? { count: skippedCount, examples: skippedExamples } : undefined;
  return {
    task: 'segmentation',
    name,
    sample: {
      kind: 'image-mask',
      shape,
      classes,
      ...(layout.classNames ? { classNames: layout.classNames } : {}),
      ignoreIndex: options.ignoreIndex,
      normalization: { ...channelStatistics(train.pixels, channels), arithmetic: 'float32' },
    },
    train,
    test,
    sha256,
    ...(skipped ? { skipped } : {}),
  };
}

/** The samples at `indices` (in that order), copied into a new split. */
export function takeMasks(split: MaskSplit, shape: readonly [number, number, number], indices: ArrayLike<number>): MaskSplit {
  const [h, w, c] = shape;
  const pixels = new Uint8Array(indices.length * h * w * c);
  const masks = new Uint8Array(indices.length * h * w);
  for (let i = 0; i < indices.length; i++) {
    const j = indices[i]!;
    pixels.set(split.pixels.subarray(j * h * w * c, (j + 1) * h * w * c), i * h * w * c);
    masks.set(split.masks.subarray(j * h * w, (j + 1) * h * w), i * h * w);
  }
  return { count: indices.length, pixels, masks };
}

/**
 * A seeded random holdout: round(fraction·n) samples (at least 1, at most n − 1) become the test
 * split, the rest stay in train, both in source order. Not stratified: a segmentation sample has
 * many classes, none of which is its label.
 */
export function holdoutMasks(split: MaskSplit, shape: readonly [number, number, number], fraction: number, seed: number): { train: MaskSplit; test: MaskSplit } {
  checkFraction(fraction);
  const n = split.count;
  if (n < 2) throw new UsageError(`holdout: needs at least 2 samples to split, the source has ${n}`);
  const take = Math.min(n - 1, Math.max(1, Math.round(fraction * n)));
  const order = permutation(n, stream(seed, 'holdout'));
  const inTest = new Uint8Array(n);
  for (let k = 0; k < take; k++) inTest[order[k]!] = 1;
  const train: number[] = [];
  const test: number[] = [];
  for (let i = 0; i < n; i++) (inTest[i] ? test : train).push(i);
  return { train: takeMasks(split, shape, train), test: takeMasks(split, shape, test) };
}

/** The first `limit` samples of a seeded shuffle, kept in source order (holdout.ts limitSplit for masks). */
export function limitMasks(split: MaskSplit, shape: readonly [number, number, number], limit: number | undefined, seed: number, purpose: string): MaskSplit {
  if (limit === undefined || limit >= split.count) return split;
  if (!Number.isInteger(limit) || limit < 0) throw new UsageError(`${purpose}: limit must be a whole number ≥ 0, got ${limit}`);
  const order = permutation(split.count, stream(seed, purpose));
  return takeMasks(split, shape, Array.from(order.subarray(0, limit)).sort((a, b) => a - b));
}

/** The stem of a file name: `a/b/2007_000032.jpg` → `2007_000032`. */
export function stemOf(path: string): string {
  const base = path.slice(path.lastIndexOf('/') + 1);
  const dot = base.lastIndexOf('.');
  return dot > 0 ? base.slice(0, dot) : base;
}
