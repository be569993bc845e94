import { z } from 'zod';
import { UsageError } from '../../../shared/errors.js';
import type { TrainingDefaults } from '../../../shared/settings.js';
import { checkOptions } from '../options.js';
import { Registry } from '../registry.js';
import type { LoadedDataset, LoadOptions, TaskName } from './data.js';

/**
 * The data sets and data formats the engine reads, as everything outside the engine needs to know
 * them — names, task, default model, accepted options — with no TensorFlow.js and no reading code:
 * each entry's `load` imports its implementation when a trial runs.
 */

/** Options of image formats: the training size, the channels, the normalisation. */
const imageOptions = z
  .object({
    size: z.tuple([z.int().positive(), z.int().positive()], { error: 'expected [height, width] in pixels' }).optional(),
    channels: z.union([z.literal(1), z.literal(3)], { error: 'expected 1 (grey) or 3 (RGB)' }).optional(),
    mean: z.array(z.number(), { error: 'expected a list of per-channel means' }).min(1).optional(),
    std: z.array(z.number().positive(), { error: 'expected a list of per-channel standard deviations' }).min(1).optional(),
  })
  .strict();
const normalizationOptions = imageOptions.pick({ mean: true, std: true });
/** Options of segmentation formats: an image format's, and what the masks' values mean. */
const maskOptions = imageOptions.extend({
  classes: z.int({ error: 'expected the number of classes (mask values 0..classes-1)' }).min(2).max(256).optional(),
  ignore_index: z.int({ error: 'expected the mask value of unlabelled pixels (0..255)' }).min(0).max(255).optional(),
});
const noOptions = z.object({}).strict();

/** Options of text data: tokens per text, a pretrained tokenizer, or the size of the built vocabulary. */
const textOptions = z
  .object({
    max_length: z.int({ error: 'expected a whole number of tokens from 1 to 8192' }).min(1).max(8192).optional(),
    tokenizer: z.string({ error: 'expected the path of a tokenizer.json, a vocab.txt or a folder holding one' }).min(1).optional(),
    vocab_size: z.int({ error: 'expected a whole number of words, at least 3' }).min(3).optional(),
  })
  .strict();
const columnName = z.union([z.string().min(1), z.int().min(0)], { error: 'expected a column name or a 0-based index' });
/** Table formats: which columns hold the text (several are joined) and the label. */
const csvTextOptions = textOptions.extend({
  text_column: z.union([columnName, z.array(columnName).min(1)]).optional(),
  label_column: columnName.optional(),
  header: z.boolean({ error: 'expected true or false' }).optional(),
});
const parquetTextOptions = textOptions.extend({
  text_column: z.union([z.string().min(1), z.array(z.string().min(1)).min(1)], { error: 'expected a column name or a list of them' }).optional(),
  label_column: z.string({ error: 'expected a column name' }).min(1).optional(),
});

/** Data read in one format from a folder the user names (a spec's `{name, kind, path, …}`). */
export interface FormatMeta {
  readonly name: string;
  readonly description: string;
  readonly task: TaskName;
  readonly defaultModel: string;
  /** The format's own options (beyond holdout and on_bad_sample, which every data set takes). */
  readonly options: z.ZodObject;
  /** Training settings for data read in this format, over its task's (see DatasetMeta.defaults). */
  readonly defaults?: TrainingDefaults;
  readonly load: (name: string, options: LoadOptions) => Promise<LoadedDataset>;
}

/** A data set of the catalog: a name users write, with everything else known. */
export interface DatasetMeta {
  readonly name: string;
  /** As the original and papers spell it (`all_results.json` keys, report headings). */
  readonly displayName: string;
  readonly description: string;
  readonly task: TaskName;
  /** The model a trial uses when the spec names none (the original's choice). */
  readonly defaultModel?: string;
  readonly options: z.ZodObject;
  /** What one sample is, where fixed by the data set (benchmarks build synthetic batches of it). */
  readonly sample?: { readonly shape: readonly [number, number, number]; readonly classes: number };
  /**
   * The original's training settings for this data set, over its task's defaults (tasks/catalog.ts)
   * and under the spec's: `{batch_size, epochs, hyperparameters: {lr}, options: {size, max_length, …}
   * (defaults of its own options), model_options: {<model>: {…}}}`. Absent: its task's.
   */
  readonly defaults?: TrainingDefaults;
  /**
   * Synthetic workloads train nothing: where they run — `agent` (no trainer process: what a no-op
   * dispatch benchmark measures), or `trainer` (through the trainer process, as real trainings).
   */
  readonly runsIn?: 'agent' | 'trainer';
  readonly load?: (options: LoadOptions) => Promise<LoadedDataset>;
}

/** Formats for users' own data. Adding one is one file in kinds/ and one entry here. */
export const FORMATS = new Registry<FormatMeta>('data format', [
  {
    name: 'idx',
    description: "IDX image and label files in MNIST's layout (train-images-idx3-ubyte[.gz], …; Fashion-MNIST, KMNIST, …)",
    task: 'image-classification',
    defaultModel: 'simple-cnn',
    options: normalizationOptions,
    load: (name, o) => import('./kinds/idx.js').then((m) => m.loadIdx({ name, files: m.localIdxFiles() }, o)),
  },
  {
    name: 'image-folder',
    description: 'JPEG/PNG images in class folders: train/<class>/*, test/<class>/* (or <class>/* with holdout), a folder or a .tar/.tar.gz of it',
    task: 'image-classification',
    defaultModel: 'simple-cnn',
    options: imageOptions,
    load: (name, o) => import('./kinds/image-folder.js').then((m) => m.loadImageFolder(name, o)),
  },
  {
    name: 'cifar-binary',
    description: "CIFAR's binary batches (data_batch_1..5.bin, test_batch.bin: 3,073 bytes per record), a folder or the .tar.gz",
    task: 'image-classification',
    defaultModel: 'simple-cnn',
    options: normalizationOptions,
    load: (name, o) => import('./kinds/cifar-binary.js').then((m) => m.loadCifarBinary(name, o, {})),
  },
  {
    name: 'segmentation-folder',
    description: 'image/mask pairs: images/<stem>.jpg|png and masks/<stem>.png (grey or palette PNGs of class indices), in train/ and test/ or with holdout; a folder or a .tar/.tar.gz',
    task: 'segmentation',
    defaultModel: 'unet',
    options: maskOptions,
    load: (name, o) => import('./kinds/segmentation-folder.js').then((m) => m.loadSegmentationFolder(name, o)),
  },
  {
    name: 'csv-text',
    description: 'texts and labels in CSV (.csv/.tsv, gzip or plain): one file (with holdout) or a folder of train*/test* files; text_column, label_column, header',
    task: 'text-classification',
    defaultModel: 'transformer',
    options: csvTextOptions,
    load: (name, o) => import('./text/csv-text.js').then((m) => m.loadCsvText(name, o)),
  },
  {
    name: 'parquet',
    description: "Parquet files as the Hugging Face Hub serves data sets (train-*.parquet, test-*.parquet); text_column, label_column (default 'text', 'label')",
    task: 'text-classification',
    defaultModel: 'transformer',
    options: parquetTextOptions,
    load: (name, o) => import('./text/parquet-text.js').then((m) => m.loadParquetText(name, o)),
  },
]);

/** Every data set. Adding one is one file in this folder and one entry here. */
export const DATASETS = new Registry<DatasetMeta>('data set', [
  {
    name: 'mnist',
    displayName: 'MNIST',
    description: 'MNIST handwritten digits, 28x28x1, 60,000 train / 10,000 test (IDX files, gzip or raw)',
    task: 'image-classification',
    defaultModel: 'simple-cnn',
    options: noOptions,
    sample: { shape: [28, 28, 1], classes: 10 },
    load: (o) => import('./mnist.js').then((m) => m.loadMnist(o)),
  },
  {
    name: 'cifar10',
    displayName: 'CIFAR-10',
    description: 'CIFAR-10, 32x32x3, 50,000 train / 10,000 test: the binary version (downloaded, SHA-256 checked) or an image-folder copy',
    task: 'image-classification',
    defaultModel: 'simple-cnn',
    options: noOptions,
    sample: { shape: [32, 32, 3], classes: 10 },
    load: (o) => import('./kinds/cifar10.js').then((m) => m.loadCifar10(o)),
  },
  {
    name: 'voc2012',
    displayName: 'Pascal VOC 2012',
    description: 'Pascal VOC 2012 segmentation, 21 classes (255 ignored), 1,464 train / 1,449 val: the VOCdevkit folder or VOCtrainval_11-May-2012.tar (downloaded, SHA-256 checked); size: [h, w] (default 224x224)',
    task: 'segmentation',
    defaultModel: 'unet',
    options: imageOptions.pick({ size: true }),
    load: (o) => import('./kinds/voc2012.js').then((m) => m.loadVoc2012(o)),
  },
  {
    name: 'ag_news',
    displayName: 'AG_NEWS',
    description: 'AG_NEWS news topics, 4 classes, 120,000 train / 7,600 test (ag_news_csv: train.csv, test.csv, classes.txt; downloaded, SHA-256 checked); only test.csv: use holdout',
    task: 'text-classification',
    defaultModel: 'transformer',
    options: textOptions,
    load: (o) => import('./text/ag-news.js').then((m) => m.loadAgNews(o)),
  },
  {
    name: 'imdb',
    displayName: 'IMDB',
    description: 'IMDB movie reviews, 2 classes, 25,000 train / 25,000 test: aclImdb folder or aclImdb_v1.tar.gz (downloaded, SHA-256 checked), or a CSV review,sentiment[,split]',
    task: 'text-classification',
    defaultModel: 'transformer',
    options: textOptions,
    load: (o) => import('./text/imdb.js').then((m) => m.loadImdb(o)),
  },
  {
    name: 'noop',
    displayName: 'noop',
    description: 'synthetic: finishes at once, in the worker agent (dispatch benchmarks)',
    task: 'synthetic',
    options: noOptions,
    runsIn: 'agent',
  },
  {
    name: 'sleep',
    displayName: 'sleep',
    description: 'synthetic: takes train.duration_ms in the trainer process (dispatch benchmarks)',
    task: 'synthetic',
    options: noOptions,
    runsIn: 'trainer',
  },
]);

/** What a trial's data is: a catalog data set by name, or the user's own in a format (`kind`). */
export interface DatasetChoice {
  readonly dataset: string;
  readonly kind?: string;
}

/** The description of a trial's data set: its task, default model, accepted options and defaults. */
export function describeDataset(choice: DatasetChoice): {
  name: string;
  displayName: string;
  task: TaskName;
  defaultModel?: string;
  options: z.ZodObject;
  defaults?: TrainingDefaults;
  runsIn?: 'agent' | 'trainer';
} {
  if (choice.kind !== undefined) {
    const format = FORMATS.get(choice.kind);
    return { name: choice.dataset, displayName: choice.dataset, task: format.task, defaultModel: format.defaultModel, options: format.options, defaults: format.defaults };
  }
  const meta = DATASETS.get(choice.dataset);
  return { ...meta };
}

/** The problems with a data set's options, one per entry naming the option; empty when valid. */
export function datasetOptionProblems(choice: DatasetChoice, options: Record<string, unknown>): string[] {
  const { options: schema } = describeDataset(choice);
  return checkOptions(schema, choice.kind ? `format '${choice.kind}'` : `data set '${choice.dataset}'`, options).problems;
}

/** Loads a trial's data set: the catalog's, or the user's own through its format. */
export async function loadDataset(choice: DatasetChoice, options: LoadOptions): Promise<LoadedDataset> {
  if (choice.kind !== undefined) return FORMATS.get(choice.kind).load(choice.dataset, options);
  const meta = DATASETS.get(choice.dataset);
  if (!meta.load) throw new UsageError(`data set '${meta.name}' is synthetic: it has no data to load`);
  return meta.load(options);
}
