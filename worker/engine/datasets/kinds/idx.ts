import { DataFileError } from '../../../../shared/errors.js';
import type { ImageClassificationData, ImageSplit, LoadOptions, PixelNormalization } from '../data.js';
import { defaultCacheDir, fetchDataFile, firstErrorInOrder, type RemoteFile } from '../files.js';
import { parseIdx } from '../idx.js';
import { channelStatistics } from './statistics.js';

/**
 * Data in MNIST's IDX layout (MNIST itself, Fashion-MNIST, KMNIST, EMNIST's splits, …): four
 * files, `train-images-idx3-ubyte`, `train-labels-idx1-ubyte`, `t10k-images-idx3-ubyte`,
 * `t10k-labels-idx1-ubyte`, each gzip or raw. Images are rank 3 (n, h, w: one channel) or rank 4
 * (n, h, w, c); labels rank 1. Classes: the largest label + 1, unless the data set says.
 */
export const IDX_FILES = {
  trainImages: 'train-images-idx3-ubyte.gz',
  trainLabels: 'train-labels-idx1-ubyte.gz',
  testImages: 't10k-images-idx3-ubyte.gz',
  testLabels: 't10k-labels-idx1-ubyte.gz',
} as const;

export interface IdxSource {
  readonly name: string;
  /** The four files; with SHA-256 and mirrors where they can be downloaded (MNIST). */
  readonly files: Record<keyof typeof IDX_FILES, RemoteFile>;
  /** Known class count (labels are checked against it); otherwise inferred. */
  readonly classes?: number;
  /** Known image shape [h, w, c] (files of another shape are refused); otherwise the files'. */
  readonly shape?: readonly [number, number, number];
  /** The data set's own normalisation; otherwise options.normalization, else the training split's statistics. */
  readonly normalization?: PixelNormalization;
}

/** The four files as a user's folder names them: nothing to download, no checksums to expect. */
export function localIdxFiles(): IdxSource['files'] {
  const local = (name: string): RemoteFile => ({ name, sha256: '', urls: [] });
  return { trainImages: local(IDX_FILES.trainImages), trainLabels: local(IDX_FILES.trainLabels), testImages: local(IDX_FILES.testImages), testLabels: local(IDX_FILES.testLabels) };
}

type LoadedFile = { bytes: Uint8Array; path: string; sha256: string };

export async function loadIdx(source: IdxSource, options: LoadOptions): Promise<ImageClassificationData> {
  const where = { dataDir: options.dataDir, cacheDir: options.cacheDir ?? defaultCacheDir(), onProgress: options.onProgress };
  const f = source.files;
  const [trainImages, trainLabels, testImages, testLabels] = await firstErrorInOrder([
    fetchDataFile(f.trainImages, where),
    fetchDataFile(f.trainLabels, where),
    fetchDataFile(f.testImages, where),
    fetchDataFile(f.testLabels, where),
  ]);
  const train = readSplit(trainImages, trainLabels);
  const test = readSplit(testImages, testLabels);
  if (train.shape.join('x') !== test.shape.join('x')) {
    throw new DataFileError(testImages.path, `images are ${test.shape.join('x')}, but ${trainImages.path} holds ${train.shape.join('x')}`);
  }
  if (source.shape && source.shape.join('x') !== train.shape.join('x')) {
    throw new DataFileError(trainImages.path, `images are ${train.shape.join('x')}, expected ${source.shape.join('x')} for ${source.name}`);
  }
  const classes = source.classes ?? Math.max(maxLabel(train.split.labels), maxLabel(test.split.labels)) + 1;
  for (const [split, file] of [[train.split, trainLabels], [test.split, testLabels]] as const) {
    const bad = split.labels.findIndex((l) => l >= classes);
    if (bad >= 0) throw new DataFileError(file.path, `label ${split.labels[bad]} at index ${bad} is not a class 0-${classes - 1}`);
  }
  const normalization = source.normalization ?? { ...(options.normalization ?? channelStatistics(train.split.pixels, train.shape[2])), arithmetic: 'float32' as const };
  return {
    task: 'image-classification',
    name: source.name,
    sample: { kind: 'image', shape: train.shape, classes, normalization },
    train: limit(train.split, train.shape, options.trainLimit),
    test: limit(test.split, test.shape, options.testLimit),
    sha256: Object.fromEntries([[f.trainImages.name, trainImages.sha256], [f.trainLabels.name, trainLabels.sha256], [f.testImages.name, testImages.sha256], [f.testLabels.name, testLabels.sha256]]),
  };
}

/** One split: images and labels that agree in count, as bytes. */
function readSplit(imagesFile: LoadedFile, labelsFile: LoadedFile): { split: ImageSplit; shape: [number, number, number] } {
  const images = parseIdx(imagesFile.bytes, imagesFile.path, [3, 4]);
  const labels = parseIdx(labelsFile.bytes, labelsFile.path, [1]);
  const [n, rows, cols, channels = 1] = images.dims as [number, number, number, number?];
  if (labels.dims[0] !== n) {
    throw new DataFileError(labelsFile.path, `holds ${labels.dims[0]} labels but ${imagesFile.path} holds ${n} images`);
  }
  return { split: { count: n, pixels: images.data, labels: labels.data }, shape: [rows, cols, channels] };
}

function maxLabel(labels: Uint8Array | Uint16Array): number {
  let max = 0;
  for (const l of labels) if (l > max) max = l;
  return max;
}

function limit(split: ImageSplit, shape: readonly number[], n?: number): ImageSplit {
  if (n === undefined || n >= split.count) return split;
  const pixels = shape[0]! * shape[1]! * shape[2]!;
  return { count: n, pixels: split.pixels.subarray(0, n * pixels), labels: split.labels.subarray(0, n) };
}
