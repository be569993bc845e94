import { DataFileError, UsageError } from '../../../../shared/errors.js';
import { listEntries, resolveSource, sourceDigest } from '../archive.js';
import type { ImageClassificationData, ImageSplit, LoadOptions, PixelNormalization, SkippedSamples } from '../data.js';
import { decodedCacheKey, readDecoded, writeDecoded } from '../decoded-cache.js';
import { convertChannels } from '../decode/decode.js';
import { decodeImages, type DecodeResult } from '../decode/pool.js';
import { defaultCacheDir } from '../files.js';
import { checkFraction, holdoutSplit, limitSplit } from './holdout.js';
import { channelStatistics } from './statistics.js';

/**
 * torchvision's ImageFolder layout, from a folder or straight from a .tar/.tar.gz:
 *
 *   train/<class>/<image> and test/<class>/<image>   (optionally all under one top folder)
 *   <class>/<image>                                   (then a seeded, stratified holdout is the test split)
 *
 * Images are .jpg, .jpeg and .png (any case; the decoder goes by the bytes); other files are
 * ignored. Classes are the folder names sorted (ImageFolder's label order). Decoded images are
 * cached on disk keyed by the source's SHA-256 and the decode options, so only the first load of a
 * source decodes; the holdout, the limits and the normalisation are applied after the cache, so one
 * cache serves every seed.
 *
 * Sample order: each split sorted by (class, path). `trainLimit`/`testLimit` take a seeded random
 * subset of that size (the trial's seed; see limitSplit), not the first N, which would be a single
 * class. `holdout`, when given, replaces a train/test layout's test split too: it is then held out
 * of the training split. Files are named in errors as `<source>/<path in source>`.
 */
export interface ImageFolderOptions extends LoadOptions {
  /** The folder or archive; default `dataDir`. */
  readonly path?: string;
  /** Normalisation instead of options.normalization / the training split's statistics (e.g. a catalog's fixed one). */
  readonly fixedNormalization?: PixelNormalization;
}

const IMAGE = /\.(jpe?g|png)$/i;
export const DEFAULT_HOLDOUT = 0.2;
const MAX_EXAMPLES = 20;

export async function loadImageFolder(name: string, options: ImageFolderOptions): Promise<ImageClassificationData> {
  const given = options.path ?? options.dataDir;
  if (!given) throw new UsageError(`${name}: an image-folder data set needs a folder or archive (data_dir)`);
  const source = await resolveSource(given);
  if (options.holdout !== undefined) checkFraction(options.holdout);
  const onBadSample = options.onBadSample ?? 'fail';
  if (onBadSample !== 'fail' && onBadSample !== 'skip') throw new UsageError(`on_bad_sample must be 'fail' or 'skip', got ${String(onBadSample)}`);
  checkSize(options.size);
  const cacheDir = options.cacheDir ?? defaultCacheDir();
  const digest = await sourceDigest(source);
  const key = decodedCacheKey(digest.sha256, { loader: 'image-folder', size: options.size, channels: options.channels, onBadSample });

  let decoded = await readDecoded(cacheDir, key, options.onProgress);
  if (decoded) {
    options.onProgress?.(`${source}: decoded cache hit (${key.slice(0, 12)}), ${decoded.train.count + decoded.test.count} images`);
  } else {
    decoded = await decodeFolder(name, source, options, onBadSample, { [digest.name]: digest.sha256 });
    try {
      await writeDecoded(cacheDir, key, decoded);
    } catch (err) {
      options.onProgress?.(`${cacheDir}: could not write the decoded cache (${(err as Error).message})`);
    }
  }
  const { shape, classes } = decoded.sample;
  let train = decoded.train;
  let test = decoded.test;
  // An empty test split in the cache means the source is the flat <class>/<image> layout.
  const flat = test.count === 0;
  if (flat || options.holdout !== undefined) {
    ({ train, test } = holdoutSplit(train, shape, classes, options.holdout ?? DEFAULT_HOLDOUT, options.seed));
  }
  train = limitSplit(train, shape, options.trainLimit, options.seed, 'train-limit');
  test = limitSplit(test, shape, options.testLimit, options.seed, 'test-limit');
  const normalization = options.fixedNormalization ?? chooseNormalization(options, train, shape[2]);
  return {
    ...decoded,
    name,
    sample: { ...decoded.sample, normalization },
    train,
    test,
    sha256: { [digest.name]: digest.sha256 },
  };
}

export function checkSize(size: LoadOptions['size']): void {
  if (size === undefined) return;
  if (size.length !== 2 || !size.every((v) => Number.isInteger(v) && v > 0 && v <= 16384)) {
    throw new UsageError(`size must be [height, width] of whole numbers ≥ 1, got ${JSON.stringify(size)}`);
  }
}

/** options.normalization (checked), else the training split's own per-channel mean and std. */
export function chooseNormalization(options: LoadOptions, train: Pick<ImageSplit, 'pixels'>, channels: number): PixelNormalization {
  if (options.normalization) {
    const { mean, std } = options.normalization;
    if (mean.length !== channels || std.length !== channels || std.some((s) => !(s > 0))) {
      throw new UsageError(`normalization needs ${channels} means and ${channels} positive stds, got mean ${JSON.stringify(mean)}, std ${JSON.stringify(std)}`);
    }
    return { mean: [...mean], std: [...std], arithmetic: 'float32' };
  }
  return { ...channelStatistics(train.pixels, channels), arithmetic: 'float32' };
}

interface Sample {
  readonly path: string;
  readonly label: number;
  readonly bytes: Uint8Array;
}

interface Layout {
  readonly kind: 'split' | 'flat';
  /** '' or 'top/' */
  readonly prefix: string;
}

/** Reads the source, finds its layout and classes, decodes every image. Test is empty for the flat layout. */
async function decodeFolder(
  name: string,
  source: string,
  options: ImageFolderOptions,
  onBadSample: 'fail' | 'skip',
  sha256: Record<string, string>,
): Promise<ImageClassificationData> {
  options.onProgress?.(`reading ${source}`);
  const dirs = new Set<string>();
  const others: string[] = [];
  const images = new Map<string, Uint8Array>();
  for await (const entry of listEntries(source, {
    filter: (p) => {
      if (IMAGE.test(p) && !isHidden(p)) return true;
      others.push(p);
      return false;
    },
    onDirectory: (d) => dirs.add(d),
  })) {
    images.set(entry.path, entry.bytes);
  }
  const paths = [...images.keys()];
  const layout = detectLayout(source, paths, dirs, others);
  const file = (p: string) => `${source}/${p}`;

  // Class folders: every folder at the class depth, with or without images (an empty one is an error).
  const splitNames = layout.kind === 'split' ? ['train', 'test'] : [''];
  const classesOf = (split: string): Map<string, string[]> => {
    const base = layout.prefix + (split ? `${split}/` : '');
    const found = new Map<string, string[]>();
    for (const d of dirs) {
      if (!d.startsWith(base)) continue;
      const rest = d.slice(base.length);
      if (rest && !rest.includes('/') && !isHidden(rest)) found.set(rest, []);
    }
    for (const p of paths) {
      if (!p.startsWith(base)) continue;
      const parts = p.slice(base.length).split('/');
      found.get(parts[0]!)?.push(p) ?? found.set(parts[0]!, [p]);
    }
    for (const [cls, members] of found) {
      if (members.length === 0) throw new DataFileError(file(base + cls), 'class folder has no images (.jpg, .jpeg or .png)');
    }
    return found;
  };
  const perSplit = splitNames.map(classesOf);
  const classNames = [...perSplit[0]!.keys()].sort();
  if (layout.kind === 'split') {
    const [train, test] = perSplit as [Map<string, string[]>, Map<string, string[]>];
    for (const cls of classNames) {
      if (!test.has(cls)) throw new DataFileError(file(`${layout.prefix}test/${cls}`), `class folder missing (train/${cls} exists; train and test need the same classes)`);
    }
    for (const cls of test.keys()) {
      if (!train.has(cls)) throw new DataFileError(file(`${layout.prefix}train/${cls}`), `class folder missing (test/${cls} exists; train and test need the same classes)`);
    }
  }
  if (classNames.length > 65536) throw new DataFileError(source, `${classNames.length} classes; at most 65,536 are supported`);

  const samplesOf = (classes: Map<string, string[]>): Sample[] =>
    classNames.flatMap((cls, label) => [...classes.get(cls)!].sort(comparePaths).map((p) => ({ path: p, label, bytes: images.get(p)! })));
  const splits = perSplit.map(samplesOf);
  images.clear();
  const all = splits.flat();
  const results = await decodeImages(all.map((s) => ({ name: s.path, bytes: s.bytes })), { size: options.size, channels: options.channels, threads: options.threads, onProgress: options.onProgress });
  for (const s of all) (s as { bytes?: Uint8Array }).bytes = undefined;

  // Bad images: stop with the first one's name and reason, or count them and go on.
  const skippedExamples: string[] = [];
  let skippedCount = 0;
  for (let i = 0; i < results.length; i++) {
    const r = results[i]!;
    if (r.ok) continue;
    if (onBadSample === 'fail') throw new DataFileError(file(all[i]!.path), `cannot decode image: ${r.reason} (on_bad_sample: skip would skip it)`);
    skippedCount++;
    if (skippedExamples.length < MAX_EXAMPLES) skippedExamples.push(`${file(all[i]!.path)}: ${r.reason}`);
  }
  const good = results.flatMap((r, i) => (r.ok ? [{ r, sample: all[i]! }] : []));
  if (good.length === 0) throw new DataFileError(source, `none of the ${results.length} images could be decoded (e.g. ${skippedExamples[0]})`);

  // One shape for all: without `size` every image must already share it, named by one file of each size.
  const first = good[0]!;
  if (!options.size) {
    const other = good.find(({ r }) => r.height !== first.r.height || r.width !== first.r.width);
    if (other) {
      throw new DataFileError(
        source,
        `images have different sizes: ${file(first.sample.path)} is ${first.r.height}x${first.r.width}, ${file(other.sample.path)} is ${other.r.height}x${other.r.width}; give size: [height, width] to resize them all`,
      );
    }
  }
  // Mixed grey and colour files without `channels`: grey ones are replicated to RGB.
  const channels: 1 | 3 = options.channels ?? (good.some(({ r }) => r.channels === 3) ? 3 : 1);
  const [height, width] = options.size ?? [first.r.height, first.r.width];
  const shape: [number, number, number] = [height, width, channels];

  const pack = (range: readonly Sample[], offset: number): ImageSplit => {
    const chosen: Array<{ r: Extract<DecodeResult, { ok: true }>; label: number }> = [];
    for (let i = 0; i < range.length; i++) {
      const r = results[offset + i]!;
      if (r.ok) chosen.push({ r, label: range[i]!.label });
    }
    const size = height * width * channels;
    const pixels = new Uint8Array(chosen.length * size);
    const labels = classNames.length <= 256 ? new Uint8Array(chosen.length) : new Uint16Array(chosen.length);
    chosen.forEach(({ r, label }, i) => {
      const px = r.channels === channels ? r.pixels : convertChannels(r, channels).pixels;
      pixels.set(px, i * size);
      labels[i] = label;
    });
    return { count: chosen.length, pixels, labels };
  };
  const train = pack(splits[0]!, 0);
  const test = layout.kind === 'split' ? pack(splits[1]!, splits[0]!.length) : { count: 0, pixels: new Uint8Array(0), labels: new Uint8Array(0) };
  const skipped: SkippedSamples | undefined = skippedCount ? { count: skippedCount, examples: skippedExamples } : undefined;
  return {
    task: 'image-classification',
    name,
    sample: { kind: 'image', shape, classes: classNames.length, classNames, normalization: { ...channelStatistics(train.pixels, channels), arithmetic: 'float32' } },
    train,
    test,
    sha256,
    ...(skipped ? { skipped } : {}),
  };
}

function isHidden(path: string): boolean {
  return path.split('/').some((part) => part.startsWith('.') || part === '__MACOSX');
}

function comparePaths(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * Which of the two layouts the image paths form, at the root or under one top folder. Anything else
 * is an error that says what was found and what is accepted.
 */
export function detectLayout(source: string, paths: readonly string[], dirs: ReadonlySet<string>, others: readonly string[] = []): Layout {
  const accepted =
    'expected train/<class>/<image> and test/<class>/<image> (optionally under one top folder), or <class>/<image> (with a holdout split as test)';
  if (paths.length === 0) {
    const seen = others.length ? `${others.length} other files, e.g. ${others.slice(0, 3).join(', ')}` : 'no files';
    throw new DataFileError(source, `no images (.jpg, .jpeg, .png) found (${seen}); ${accepted}`);
  }
  const prefixes = [''];
  const top = paths[0]!.split('/')[0]!;
  if (paths.every((p) => p.startsWith(`${top}/`))) prefixes.push(`${top}/`);
  for (const prefix of prefixes) {
    const rest = paths.map((p) => p.slice(prefix.length).split('/'));
    if (rest.every((r) => r.length === 3 && (r[0] === 'train' || r[0] === 'test'))) {
      const hasTrain = rest.some((r) => r[0] === 'train');
      const hasTest = rest.some((r) => r[0] === 'test');
      if (hasTrain && hasTest) return { kind: 'split', prefix };
      const missing = hasTrain ? 'test' : 'train';
      throw new DataFileError(`${source}/${prefix}${missing}`, `folder missing: found ${prefix}${hasTrain ? 'train' : 'test'}/<class>/ only; ${accepted}`);
    }
    if (rest.every((r) => r.length === 2)) {
      const folder = prefix.slice(0, -1);
      if (folder === 'train' || folder === 'test') {
        const missing = folder === 'train' ? 'test' : 'train';
        throw new DataFileError(`${source}/${missing}`, `folder missing: found ${folder}/<class>/ only; ${accepted}`);
      }
      return { kind: 'flat', prefix };
    }
  }
  const depths = [...new Set(paths.map((p) => p.split('/').length - 1))].sort((a, b) => a - b);
  const topLevel = [...new Set(paths.map((p) => (p.includes('/') ? `${p.split('/')[0]}/` : p)))].sort().slice(0, 5);
  void dirs;
  throw new DataFileError(
    source,
    `no recognised image-folder layout: found ${paths.length} images at folder depth ${depths.join(', ')} under ${topLevel.join(', ')} (e.g. ${paths[0]}); ${accepted}`,
  );
}
