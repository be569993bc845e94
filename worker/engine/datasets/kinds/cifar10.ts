import { DataFileError } from '../../../../shared/errors.js';
import { resolveSource } from '../archive.js';
import type { ImageClassificationData, LoadOptions, PixelNormalization } from '../data.js';
import { isCifarBinarySource, loadCifarBinary } from './cifar-binary.js';
import { loadImageFolder } from './image-folder.js';

/**
 * The catalog's "cifar10": from the image-folder layout (the team's tar of 32x32 JPEGs,
 * train/<class>/NNNN.jpg and test/<class>/NNNN.jpg), from the binary batches (folder or
 * cifar-10-binary.tar.gz), or, with no data folder, the binary archive downloaded. Whatever the
 * source, the normalisation is the original's (the widely used CIFAR-10 mean and std, torchvision
 * float32 arithmetic), so results compare across sources and with the literature.
 */
export const CIFAR10_NORMALIZATION: PixelNormalization = {
  mean: [0.4914, 0.4822, 0.4465],
  std: [0.2023, 0.1994, 0.201],
  arithmetic: 'float32',
};

export async function loadCifar10(given: LoadOptions): Promise<ImageClassificationData> {
  const options = given.dataDir ? { ...given, dataDir: await resolveSource(given.dataDir) } : given;
  const data =
    !options.dataDir || (await isCifarBinarySource(options.dataDir))
      ? await loadCifarBinary('cifar10', options, { normalization: CIFAR10_NORMALIZATION })
      : await loadImageFolder('cifar10', { ...options, fixedNormalization: CIFAR10_NORMALIZATION });
  const [h, w, c] = data.sample.shape;
  if (h !== 32 || w !== 32 || c !== 3 || data.sample.classes !== 10) {
    throw new DataFileError(
      options.dataDir ?? 'cifar10',
      `cifar10 needs 32x32x3 images in 10 classes, found ${h}x${w}x${c} in ${data.sample.classes} classes (for another data set, use the image-folder loader)`,
    );
  }
  return data;
}
