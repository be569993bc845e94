import type { ImageClassificationData, LoadOptions } from './data.js';
import type { RemoteFile } from './files.js';
import { IDX_FILES, loadIdx } from './kinds/idx.js';

/** The normalisation of the original (torchvision's MNIST mean and standard deviation). */
export const MNIST_MEAN = 0.1307;
export const MNIST_STD = 0.3081;

const MIRRORS = ['https://ossci-datasets.s3.amazonaws.com/mnist/', 'https://storage.googleapis.com/cvdf-datasets/mnist/'];

function remote(name: string, sha256: string): RemoteFile {
  return { name, sha256, urls: MIRRORS.map((m) => m + name) };
}

/** SHA-256 of the canonical files' decompressed IDX bytes. */
export const MNIST_FILES = {
  trainImages: remote(IDX_FILES.trainImages, 'ba891046e6505d7aadcbbe25680a0738ad16aec93bde7f9b65e87a2fc25776db'),
  trainLabels: remote(IDX_FILES.trainLabels, '65a50cbbf4e906d70832878ad85ccda5333a97f0f4c3dd2ef09a8a9eef7101c5'),
  testImages: remote(IDX_FILES.testImages, '0fa7898d509279e482958e8ce81c8e77db3f2f8254e26661ceb7762c4d494ce7'),
  testLabels: remote(IDX_FILES.testLabels, 'ff7bcfd416de33731a308c3f266cc351222c34898ecbeaf847f06e48f7ec33f2'),
} as const;

/**
 * MNIST, 28×28×1, 60,000 / 10,000, from its IDX files (gzip or raw), downloaded and checked where
 * no folder is given. Normalised as the original does, (x/255 − 0.1307)/0.3081, in the double
 * precision this project has always used (so recorded runs reproduce bit for bit).
 */
export function loadMnist(options: LoadOptions): Promise<ImageClassificationData> {
  return loadIdx({ name: 'mnist', files: MNIST_FILES, classes: 10, shape: [28, 28, 1], normalization: { mean: [MNIST_MEAN], std: [MNIST_STD], arithmetic: 'float64' } }, options);
}
