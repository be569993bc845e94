import { DataFileError } from '../../../shared/errors.js';
import { defaultCacheDir, fetchDataFile, firstErrorInOrder, type RemoteFile } from './files.js';
import { parseIdx } from './idx.js';
import type { DatasetLoader, ImageDataset, ImageSplit, LoadOptions } from './types.js';

/** The normalisation of the original (torchvision's MNIST mean and standard deviation). */
export const MNIST_MEAN = 0.1307;
export const MNIST_STD = 0.3081;

const MIRRORS = ['https://ossci-datasets.s3.amazonaws.com/mnist/', 'https://storage.googleapis.com/cvdf-datasets/mnist/'];

function remote(name: string, sha256: string): RemoteFile {
  return { name, sha256, urls: MIRRORS.map((m) => m + name) };
}

/** SHA-256 of the canonical files' decompressed IDX bytes. */
export const MNIST_FILES = {
  trainImages: remote('train-images-idx3-ubyte.gz', 'ba891046e6505d7aadcbbe25680a0738ad16aec93bde7f9b65e87a2fc25776db'),
  trainLabels: remote('train-labels-idx1-ubyte.gz', '65a50cbbf4e906d70832878ad85ccda5333a97f0f4c3dd2ef09a8a9eef7101c5'),
  testImages: remote('t10k-images-idx3-ubyte.gz', '0fa7898d509279e482958e8ce81c8e77db3f2f8254e26661ceb7762c4d494ce7'),
  testLabels: remote('t10k-labels-idx1-ubyte.gz', 'ff7bcfd416de33731a308c3f266cc351222c34898ecbeaf847f06e48f7ec33f2'),
} as const;

export const mnist: DatasetLoader = {
  name: 'mnist',
  description: 'MNIST handwritten digits, 28x28x1, 60,000 train / 10,000 test (IDX files, gzip or raw)',
  async load(options: LoadOptions): Promise<ImageDataset> {
    const where = { dataDir: options.dataDir, cacheDir: options.cacheDir ?? defaultCacheDir(), onProgress: options.onProgress };
    const [trainImages, trainLabels, testImages, testLabels] = await firstErrorInOrder([
      fetchDataFile(MNIST_FILES.trainImages, where),
      fetchDataFile(MNIST_FILES.trainLabels, where),
      fetchDataFile(MNIST_FILES.testImages, where),
      fetchDataFile(MNIST_FILES.testLabels, where),
    ]);
    const train = split(trainImages, trainLabels, options.trainLimit);
    const test = split(testImages, testLabels, options.testLimit);
    return {
      name: 'mnist',
      shape: [28, 28, 1],
      classes: 10,
      train,
      test,
      sha256: {
        [MNIST_FILES.trainImages.name]: trainImages.sha256,
        [MNIST_FILES.trainLabels.name]: trainLabels.sha256,
        [MNIST_FILES.testImages.name]: testImages.sha256,
        [MNIST_FILES.testLabels.name]: testLabels.sha256,
      },
    };
  },
};

type LoadedFile = { bytes: Uint8Array; path: string };

/** Decodes one split: checks that images and labels agree, normalises as the original did. */
function split(imagesFile: LoadedFile, labelsFile: LoadedFile, limit?: number): ImageSplit {
  const images = parseIdx(imagesFile.bytes, imagesFile.path, 3);
  const labels = parseIdx(labelsFile.bytes, labelsFile.path, 1);
  const [n, rows, cols] = images.dims as [number, number, number];
  if (rows !== 28 || cols !== 28) throw new DataFileError(imagesFile.path, `images are ${rows}x${cols}, expected 28x28`);
  if (labels.dims[0] !== n) {
    throw new DataFileError(labelsFile.path, `holds ${labels.dims[0]} labels but ${imagesFile.path} holds ${n} images`);
  }
  for (let i = 0; i < n; i++) {
    if (labels.data[i]! > 9) throw new DataFileError(labelsFile.path, `label ${labels.data[i]} at index ${i} is not a digit 0-9`);
  }
  const count = limit === undefined ? n : Math.min(limit, n);
  const pixels = count * rows * cols;
  const out = new Float32Array(pixels);
  const scale = 1 / (255 * MNIST_STD);
  const shift = MNIST_MEAN / MNIST_STD;
  for (let i = 0; i < pixels; i++) out[i] = images.data[i]! * scale - shift;
  return { images: out, labels: labels.data.slice(0, count), count };
}
