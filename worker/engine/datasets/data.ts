/**
 * What a loaded data set is, for every task, with no TensorFlow.js in it: typed arrays on the host
 * and a description of one sample. The task's batch builder (tasks/) turns them into tensors; a
 * data set never touches the device. Loaders (kinds/) read files into these shapes.
 */

/** The kinds of learning problem the engine trains; each has its loss and metrics (tasks/). */
export const TASK_NAMES = ['image-classification', 'text-classification', 'segmentation', 'synthetic'] as const;
export type TaskName = (typeof TASK_NAMES)[number];

/**
 * How uint8 pixels become the model's input, per channel: (x/255 − mean[c]) / std[c]. `arithmetic`
 * says in which precision, so each data set reproduces its reference bit for bit: `float64`
 * computes x·(1/(255·std)) − mean/std in double precision and rounds once (what MNIST here has
 * always done); `float32` rounds after every step as torchvision's ToTensor + Normalize does.
 * Applied per batch on the device through a 256-entry table per channel (tasks/image-batches.ts).
 */
export interface PixelNormalization {
  readonly mean: readonly number[];
  readonly std: readonly number[];
  readonly arithmetic: 'float64' | 'float32';
}

/** One image sample: its shape (NHWC without N), its classes, its normalisation. */
export interface ImageSample {
  readonly kind: 'image';
  /** [height, width, channels] */
  readonly shape: readonly [number, number, number];
  readonly classes: number;
  /** Class names in label order, where the source has them (folder names, CIFAR's batches.meta). */
  readonly classNames?: readonly string[];
  readonly normalization: PixelNormalization;
}

/** One split of an image-classification data set, held as bytes: `count` NHWC uint8 images. */
export interface ImageSplit {
  readonly count: number;
  /** count × h × w × c bytes, image after image. */
  readonly pixels: Uint8Array;
  /** One class index per image, in [0, classes). */
  readonly labels: Uint8Array | Uint16Array;
}

/** Samples that could not be read and were skipped (on_bad_sample: skip), with the first few. */
export interface SkippedSamples {
  readonly count: number;
  /** Up to 20 entries `file: reason`. */
  readonly examples: readonly string[];
}

export interface ImageClassificationData {
  readonly task: 'image-classification';
  readonly name: string;
  readonly sample: ImageSample;
  readonly train: ImageSplit;
  readonly test: ImageSplit;
  /**
   * SHA-256 of every source file, by name (the decompressed bytes for gzip files, so
   * recompressed copies match; an archive's own bytes for tar files).
   */
  readonly sha256: Record<string, string>;
  readonly skipped?: SkippedSamples;
}

/** One image-and-mask sample: the image as ImageSample describes it, one class per pixel. */
export interface MaskSample extends Omit<ImageSample, 'kind'> {
  readonly kind: 'image-mask';
  /** The mask value of pixels that belong to no class (VOC: 255, its object boundaries). */
  readonly ignoreIndex: number;
}

/** One split of a segmentation data set: `count` images and as many [h, w] masks of class indices. */
export interface MaskSplit {
  readonly count: number;
  /** count × h × w × c bytes. */
  readonly pixels: Uint8Array;
  /** count × h × w class indices (or ignoreIndex). */
  readonly masks: Uint8Array;
}

export interface SegmentationData {
  readonly task: 'segmentation';
  readonly name: string;
  readonly sample: MaskSample;
  readonly train: MaskSplit;
  readonly test: MaskSplit;
  readonly sha256: Record<string, string>;
  readonly skipped?: SkippedSamples;
}

/**
 * How a data set's texts became token ids: the algorithm, the vocabulary's size and where it came
 * from (built from the training split, or a pretrained tokenizer's files), so results say it.
 */
export interface TokenizerInfo {
  /** e.g. `word-level (lower-cased, BERT basic pre-tokenizer)`, `wordpiece (vocab.txt)`. */
  readonly algorithm: string;
  /** `training split` or the tokenizer file it was read from. */
  readonly source: string;
}

/** One text sample: token ids padded or cut to `maxLength`, with its classes. */
export interface TextSample {
  readonly kind: 'tokens';
  /** Tokens per sample (the original: 128); shorter texts are padded with `padId`. */
  readonly maxLength: number;
  /** Token ids are in [0, vocabSize). */
  readonly vocabSize: number;
  readonly padId: number;
  readonly classes: number;
  readonly classNames?: readonly string[];
  readonly tokenizer: TokenizerInfo;
}

/** One split of a text-classification data set: `count` rows of `maxLength` token ids. */
export interface TextSplit {
  readonly count: number;
  /** count × maxLength token ids, row after row, padded with padId. */
  readonly tokens: Int32Array;
  /** One class index per text, in [0, classes). */
  readonly labels: Uint8Array | Uint16Array;
}

export interface TextClassificationData {
  readonly task: 'text-classification';
  readonly name: string;
  readonly sample: TextSample;
  readonly train: TextSplit;
  readonly test: TextSplit;
  readonly sha256: Record<string, string>;
  readonly skipped?: SkippedSamples;
}

/** Every loaded data set. */
export type LoadedDataset = ImageClassificationData | TextClassificationData | SegmentationData;

/** What to do with a sample that cannot be decoded: stop with its name, or skip it and count it. */
export type BadSamplePolicy = 'fail' | 'skip';

/** What a loader is asked for. Every field but `seed` is optional; loaders say what they ignore. */
export interface LoadOptions {
  /** A folder (or archive file) holding the data; nothing is downloaded when it is given. */
  readonly dataDir?: string;
  /** Where downloads and decoded caches go (default: defaultCacheDir()). */
  readonly cacheDir?: string;
  readonly trainLimit?: number;
  readonly testLimit?: number;
  /**
   * A fraction in (0, 1): when the source has no test split (or always, for sources that ask),
   * hold out this share of the training split as the test split, stratified by class and drawn
   * from `seed`, so every optimizer of a sweep sees the same split.
   */
  readonly holdout?: number;
  /** The trial's seed: the holdout split and anything else drawn at load time derive from it. */
  readonly seed: number;
  readonly onBadSample?: BadSamplePolicy;
  /** Resize every image to [height, width] (bilinear); without it all images must share one size. */
  readonly size?: readonly [number, number];
  /** Force 1 (grey) or 3 (RGB) channels; without it, the source's. */
  readonly channels?: 1 | 3;
  /** Normalisation to use instead of the training split's own mean and std. */
  readonly normalization?: { readonly mean: readonly number[]; readonly std: readonly number[] };
  /** Threads for decoding (default: the machine's cores, at most 4). */
  readonly threads?: number;
  /** Segmentation formats: the number of classes (mask values 0..classes−1), where the source does not fix it. */
  readonly classes?: number;
  /** Segmentation formats: the mask value of unlabelled pixels (default 255, VOC's). */
  readonly ignoreIndex?: number;
  /** Text: tokens per sample (default 128, the original's max length). */
  readonly maxLength?: number;
  /** Text: a Hugging Face tokenizer to use instead of a vocabulary built from the training split (`tokenizer.json` or `vocab.txt`, or a folder holding one). */
  readonly tokenizer?: string;
  /** Text: words in the vocabulary built from the training split, [PAD] and [UNK] included (default 30,000). */
  readonly vocabSize?: number;
  /** Text formats: the column(s) holding the text (several are joined with a space): names, or 0-based indices. */
  readonly textColumn?: string | number | readonly (string | number)[];
  /** Text formats: the column holding the label: a name, or a 0-based index. */
  readonly labelColumn?: string | number;
  /** CSV: whether the first row names the columns (default true). */
  readonly header?: boolean;
  /** Progress of long steps (downloads, decoding) for the caller to display. */
  readonly onProgress?: (message: string) => void;
}
