import type { ImageShape } from '../models/types.js';

/** One split held in memory: normalised NHWC float images and integer labels. */
export interface ImageSplit {
  readonly images: Float32Array;
  readonly labels: Uint8Array;
  readonly count: number;
}

export interface ImageDataset {
  readonly name: string;
  readonly shape: ImageShape;
  readonly classes: number;
  readonly train: ImageSplit;
  readonly test: ImageSplit;
  /** SHA-256 of each source file's decompressed bytes, keyed by file name. */
  readonly sha256: Record<string, string>;
}

export interface LoadOptions {
  /** A folder holding the data set's files; nothing is downloaded when it is given. */
  dataDir?: string;
  /** Where downloads are cached when no dataDir is given. */
  cacheDir?: string;
  trainLimit?: number;
  testLimit?: number;
  /** Progress of long steps (downloads, decoding) for the caller to display. */
  onProgress?: (message: string) => void;
}

export interface DatasetLoader {
  readonly name: string;
  readonly description: string;
  load(options: LoadOptions): Promise<ImageDataset>;
}
