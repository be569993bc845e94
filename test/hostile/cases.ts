import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import type { JsMsg } from '@nats-io/jetstream';
import type { ObjectStore } from '@nats-io/obj';
import type { z } from 'zod';
import { main } from '../../orchestrator/cli/main.js';
import type { ReportPool } from '../../orchestrator/reports/pool.js';
import { loadResults } from '../../orchestrator/reports/load.js';
import { digestCells } from '../../orchestrator/reports/report.task.js';
import { plannedCells, syntheticResult, type SyntheticSpec } from '../../orchestrator/reports/synthetic.js';
import { engineKnownNames } from '../../orchestrator/sweep/known-names.js';
import { GrnError } from '../../shared/errors.js';
import { decodeCellState } from '../../shared/protocol/cell-store.js';
import * as wire from '../../shared/protocol/messages.js';
import { readStoredResult } from '../../shared/protocol/result-store.js';
import { loadSweepSpec, parseSweepSpec } from '../../shared/sweep/load.js';
import { TrialConfigSchema } from '../../shared/trial.js';
import { decodeTrial } from '../../worker/agent/cell-runner.js';
import { loadDataset } from '../../worker/engine/datasets/catalog.js';
import type { LoadOptions } from '../../worker/engine/datasets/data.js';
import { cifarFiles, encodeJpeg, encodePng, fixturePixels, notAnImage, truncatedJpeg, truncatedPng, writeCifarFolder, writeImageFolder, writeTar } from '../helpers/image-fixtures.js';
import { idxBytes, syntheticDigits } from '../helpers/mnist-fixture.js';
import { encodePalettePng, fixtureMask, vocStem, writeSegmentationFolder, writeVocFolder } from '../helpers/seg-fixtures.js';
import { writeCsvTextFolder, writeParquetFolder } from '../helpers/text-fixtures.js';

/**
 * Hostile input, one case a row: what a user (or a broken peer) hands the system, how the case
 * builds it, and the error they get. `test/hostile/hostile.test.ts` runs every case and checks the
 * error's kind and that its message contains `expected`; `test/hostile/render.ts` renders this
 * table into docs/reliability.md (`npm run -s docs:hostile`), and a test fails when that is stale.
 *
 * `kind` is what the user meets: the error class thrown (SpecError, DataFileError, UsageError,
 * WireFormatError, GrnError), `exit N` with the line on stderr for the CLI, `warning` for what a
 * report prints and carries on past, `unreadable` for a stored value the system reads around.
 */
export type Area = 'spec' | 'data' | 'wire' | 'cli' | 'results';

export interface Seen {
  readonly kind: string;
  readonly message: string;
}

export interface HostileCase {
  readonly id: string;
  readonly area: Area;
  /** The input, as the table shows it. */
  readonly input: string;
  readonly kind: string;
  /** A part of the message the user gets (paths of the test's temporary folder left out). */
  readonly expected: string;
  /** Builds the input under `dir` (a fresh temporary folder) and feeds it to the system. */
  readonly run: (dir: string) => Promise<Seen>;
}

/** What `fn` threw, as a typed error; anything untyped propagates (a bug the test reports as such). */
async function caught(fn: () => unknown): Promise<Seen> {
  try {
    await fn();
  } catch (err) {
    if (err instanceof GrnError) return { kind: err.name, message: err.message };
    throw err;
  }
  return { kind: 'ok', message: '' };
}

// ---------------------------------------------------------------- spec

const known = engineKnownNames();
const GRID = 'grid:\n  optimizer: [sgd]\n  dataset: [mnist]\n  seed: [1]\n';
const spec = (text: string) => () => caught(() => parseSweepSpec(text, 'sweeps/x.yaml', known));

function specCase(id: string, input: string, text: string, expected: string): HostileCase {
  return { id, area: 'spec', input, kind: 'SpecError', expected, run: spec(text) };
}

const SPEC: HostileCase[] = [
  { id: 'spec-missing-file', area: 'spec', input: 'a spec path that does not exist', kind: 'SpecError', expected: 'nope.yaml: cannot read the sweep spec: no such file', run: (d) => caught(() => loadSweepSpec(join(d, 'nope.yaml'), known)) },
  { id: 'spec-is-folder', area: 'spec', input: 'a folder given as the spec', kind: 'SpecError', expected: 'cannot read the sweep spec: is a folder, not a spec file', run: (d) => caught(() => loadSweepSpec(d, known)) },
  specCase('spec-empty', 'an empty file', '', 'sweeps/x.yaml:1:1: the spec is empty; expected a mapping with at least name and grid'),
  specCase('spec-only-comments', 'a file of comments only', '# nothing here\n# at all\n', 'the spec is empty'),
  specCase('spec-scalar-root', 'a number instead of a mapping', '42\n', 'sweeps/x.yaml:1:1: (top level): expected a mapping with at least name and grid, got 42'),
  specCase('spec-list-root', 'a list instead of a mapping', '- sgd\n- adam\n', '(top level): expected a mapping with at least name and grid, got a list'),
  specCase('spec-tab-indent', 'a tab used for indentation', 'name: x\ngrid:\n\toptimizer: [sgd]\n', 'sweeps/x.yaml:3:1: YAML: Tabs are not allowed as indentation'),
  specCase('spec-unclosed-flow', 'an unclosed flow list', `name: x\ngrid:\n  optimizer: [sgd, adam\n  dataset: [mnist]\n  seed: [1]\n`, 'sweeps/x.yaml:'),
  specCase('spec-duplicate-key', 'a key given twice', `name: x\nname: y\n${GRID}`, 'sweeps/x.yaml:2:1: YAML: Map keys must be unique'),
  specCase('spec-two-documents', "two YAML documents ('---')", `name: x\n${GRID}---\nname: y\n`, 'the file holds more than one YAML document'),
  specCase('spec-alias-bomb', 'a billion-laughs alias bomb', 'a: &a [x,x,x,x,x,x,x,x,x]\nb: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]\nc: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]\nd: [*c,*c,*c,*c,*c,*c,*c,*c,*c]\n', 'YAML: Excessive alias count indicates a resource exhaustion attack'),
  specCase('spec-deep-nesting', 'lists nested 20,000 deep', `name: x\ngrid: ${'['.repeat(20_000)}`, 'YAML: lists and mappings nested more than 64 levels deep'),
  specCase('spec-missing-grid', 'no grid', 'name: x\n', 'sweeps/x.yaml:1:1: grid: missing: expected a mapping with optimizer, dataset and seed'),
  specCase('spec-missing-name', 'no name', GRID, 'name: missing: expected a name'),
  specCase('spec-bad-name', 'a name with spaces', `name: my sweep\n${GRID}`, 'sweeps/x.yaml:1:7: name: expected 1 to 60 letters, digits, _ or -'),
  specCase('spec-unknown-top-key', 'a misspelt top-level key', `name: x\n${GRID}trian: {epochs: 1}\n`, "trian: unknown key 'trian' (did you mean 'train'?)"),
  specCase('spec-unknown-optimizer', 'an unknown optimizer', 'name: x\ngrid:\n  optimizer: [sgd, adma]\n  dataset: [mnist]\n  seed: [1]\n', "sweeps/x.yaml:3:20: grid.optimizer[1]: unknown optimizer 'adma' (did you mean 'adam'?); known: sgd, adam"),
  specCase('spec-unknown-dataset', 'an unknown data set', 'name: x\ngrid:\n  optimizer: [sgd]\n  dataset: [mnits]\n  seed: [1]\n', "grid.dataset[0]: unknown data set 'mnits'"),
  specCase('spec-empty-optimizers', 'an empty optimizer list', 'name: x\ngrid:\n  optimizer: []\n  dataset: [mnist]\n  seed: [1]\n', 'grid.optimizer: expected a non-empty list of optimizer names'),
  specCase('spec-negative-seed', 'a negative seed', 'name: x\ngrid:\n  optimizer: [sgd]\n  dataset: [mnist]\n  seed: [-1]\n', 'grid.seed[0]: expected a non-negative integer seed, got -1'),
  specCase('spec-huge-seed', 'a seed of 1e400', 'name: x\ngrid:\n  optimizer: [sgd]\n  dataset: [mnist]\n  seed: [1e400]\n', 'grid.seed[0]: expected a non-negative integer seed, got Infinity (.inf, or a number too large to represent)'),
  specCase('spec-fraction-seed', 'a seed of 1.5', 'name: x\ngrid:\n  optimizer: [sgd]\n  dataset: [mnist]\n  seed: [1.5]\n', 'grid.seed[0]: expected a non-negative integer seed, got 1.5'),
  specCase('spec-duplicate-seed', 'a seed listed twice', 'name: x\ngrid:\n  optimizer: [sgd]\n  dataset: [mnist]\n  seed: [1, 1]\n', 'grid.seed[1]: duplicate seed 1 (also at [0])'),
  specCase('spec-epochs-zero', 'train.epochs: 0', `name: x\n${GRID}train:\n  epochs: 0\n`, 'sweeps/x.yaml:7:11: train.epochs: expected a positive integer, got 0'),
  specCase('spec-epochs-string', 'train.epochs: "ten"', `name: x\n${GRID}train:\n  epochs: ten\n`, "train.epochs: expected a positive integer, got 'ten'"),
  specCase('spec-empty-train', 'train: with every entry commented out', `name: x\n${GRID}train:\n  # epochs: 2\n`, 'train: expected a mapping of training settings, got null (an empty section: give it entries or remove the key)'),
  specCase('spec-lr-negative', 'a negative learning rate', `name: x\n${GRID}params:\n  sgd:\n    lr: -0.1\n`, 'params.sgd.lr'),
  specCase('spec-lr-empty-axis', 'an empty hyper-parameter axis', `name: x\n${GRID}params:\n  sgd:\n    lr: []\n`, 'params.sgd.lr: expected a non-empty list'),
  specCase('spec-target-above-one', 'an accuracy target of 1.5', `name: x\n${GRID}target:\n  mnist: 1.5\n`, 'target.mnist: expected an accuracy in (0, 1], got 1.5'),
  specCase('spec-override-unknown-dataset', 'train_overrides for a data set not in the grid', `name: x\n${GRID}train_overrides:\n  cifar10: {epochs: 1}\n`, "train_overrides.cifar10: data set 'cifar10' is not in grid.dataset (mnist)"),
  specCase('spec-own-data-no-path', 'own data of a kind without a path', 'name: x\ngrid:\n  optimizer: [sgd]\n  dataset: [{name: xray, kind: image-folder}]\n  seed: [1]\n', "data set 'xray' of kind 'image-folder' needs a path"),
  specCase('spec-unknown-kind', 'own data of an unknown format', 'name: x\ngrid:\n  optimizer: [sgd]\n  dataset: [{name: xray, kind: jpeg-folder, path: /d}]\n  seed: [1]\n', "grid.dataset[0].kind: unknown data format 'jpeg-folder'"),
  specCase('spec-holdout-one', 'holdout: 1', 'name: x\ngrid:\n  optimizer: [sgd]\n  dataset: [{name: xray, kind: image-folder, path: /d, holdout: 1}]\n  seed: [1]\n', 'grid.dataset[0].holdout: expected a fraction in (0, 1), got 1'),
  specCase('spec-max-deliver-zero', 'max_deliver: 0', `name: x\n${GRID}max_deliver: 0\n`, 'max_deliver: expected a positive integer, got 0'),
  specCase('spec-gradcam-layer', 'a Grad-CAM layer the model lacks', `name: x\n${GRID}train:\n  gradcam: {layer: conv9}\n`, "no Grad-CAM layer 'conv9' (its layers: conv1, conv2)"),
  specCase('spec-proto-key', 'a `__proto__` key among a data set\'s options', 'name: x\ngrid:\n  optimizer: [sgd]\n  dataset: [{name: xray, kind: image-folder, path: /d, __proto__: {size: [1, 1]}}]\n  seed: [1]\n', "sweeps/x.yaml:4:56: grid.dataset[0].__proto__: '__proto__' cannot be a key of a sweep spec"),
  specCase('spec-proto-model-options', 'a `__proto__` key in model_options', `name: x\n${GRID}train:\n  model_options: {__proto__: 1}\n`, "train.model_options.__proto__: '__proto__' cannot be a key of a sweep spec"),
  specCase('spec-nul-byte', 'a NUL byte in the file', `name: x\u0000\n${GRID}`, 'sweeps/x.yaml:'),
];

// ---------------------------------------------------------------- data files

const load = (dataset: string, kind: string, dataDir: string, extra: Partial<LoadOptions> = {}) =>
  caught(() => loadDataset({ dataset, kind }, { dataDir, cacheDir: join(dataDir, '..', 'cache'), seed: 1, threads: 1, ...extra }));

/** The four IDX files of a small MNIST-shaped set, with `change` applied to them by name. */
async function idxFolder(dir: string, change: (files: Record<string, Uint8Array>) => void = () => undefined): Promise<string> {
  const root = join(dir, 'digits');
  await mkdir(root, { recursive: true });
  const train = syntheticDigits(20, 1);
  const test = syntheticDigits(10, 2);
  const files: Record<string, Uint8Array> = {
    'train-images-idx3-ubyte': idxBytes([20, 28, 28], train.images),
    'train-labels-idx1-ubyte': idxBytes([20], train.labels),
    't10k-images-idx3-ubyte': idxBytes([10, 28, 28], test.images),
    't10k-labels-idx1-ubyte': idxBytes([10], test.labels),
  };
  change(files);
  for (const [name, bytes] of Object.entries(files)) await writeFile(join(root, name), bytes);
  return root;
}

function idxCase(id: string, input: string, change: (files: Record<string, Uint8Array>) => void, expected: string): HostileCase {
  return { id, area: 'data', input, kind: 'DataFileError', expected, run: async (d) => load('digits', 'idx', await idxFolder(d, change)) };
}

/** An image folder (train/ and test/, classes a and b, PNG) with one file replaced. */
async function imageFolder(dir: string, replace: Record<string, Uint8Array | string> = {}): Promise<string> {
  const root = join(dir, 'pets');
  await writeImageFolder(root, { classes: ['a', 'b'], perClass: 2 });
  for (const [rel, bytes] of Object.entries(replace)) {
    await mkdir(join(root, rel, '..'), { recursive: true });
    await writeFile(join(root, rel), bytes);
  }
  return root;
}

async function cifarFolder(dir: string, change: (files: Record<string, Uint8Array>) => void): Promise<string> {
  const files = cifarFiles(2);
  change(files);
  return writeCifarFolder(dir, files);
}

async function csvFolder(dir: string, train: string, test = 'id,label,text\n1,cat,a cat\n2,dog,a dog\n'): Promise<string> {
  const root = join(dir, 'texts');
  await mkdir(root, { recursive: true });
  await writeFile(join(root, 'train.csv'), train);
  await writeFile(join(root, 'test.csv'), test);
  return root;
}

async function segFolder(dir: string, replace: (root: string) => Promise<void>): Promise<string> {
  const root = join(dir, 'seg');
  await writeSegmentationFolder(root, { perSplit: 2, height: 8, width: 8 });
  await replace(root);
  return root;
}

const DATA: HostileCase[] = [
  idxCase('idx-wrong-magic', 'IDX images file with the wrong magic', (f) => (f['train-images-idx3-ubyte'] = Buffer.from('PK\u0003\u0004 this is a zip')), 'train-images-idx3-ubyte: not an IDX file: wrong magic 50 4b 03 04 (expected 00 00 08 0'),
  idxCase('idx-too-short', 'IDX labels file of 2 bytes', (f) => (f['train-labels-idx1-ubyte'] = new Uint8Array([0, 0])), 'train-labels-idx1-ubyte: too short for an IDX header (2 bytes)'),
  idxCase('idx-truncated-data', 'IDX images file cut in the middle of its pixels', (f) => (f['train-images-idx3-ubyte'] = f['train-images-idx3-ubyte']!.subarray(0, 5000)), 'train-images-idx3-ubyte: truncated: header promises 15680 values (20x28x28), file holds 4984'),
  idxCase('idx-truncated-header', 'IDX file cut inside its dimensions', (f) => (f['t10k-images-idx3-ubyte'] = f['t10k-images-idx3-ubyte']!.subarray(0, 9)), 't10k-images-idx3-ubyte: truncated IDX header'),
  idxCase('idx-wrong-type', 'IDX of float32 values (type 0x0d)', (f) => (f['train-images-idx3-ubyte']![2] = 0x0d), 'unsupported IDX element type 0xd (only unsigned bytes, 0x08)'),
  idxCase('idx-wrong-rank', 'IDX labels of rank 2', (f) => (f['train-labels-idx1-ubyte'] = idxBytes([4, 5], new Uint8Array(20))), 'train-labels-idx1-ubyte: IDX file has 2 dimensions, expected 1'),
  idxCase('idx-count-mismatch', 'more labels than images', (f) => (f['train-labels-idx1-ubyte'] = idxBytes([21], new Uint8Array(21))), 'train-labels-idx1-ubyte'),
  idxCase('idx-bad-gzip', 'a .gz IDX file that is corrupt gzip', (f) => (f['train-images-idx3-ubyte'] = gzipSync(f['train-images-idx3-ubyte']!).subarray(0, 100)), 'train-images-idx3-ubyte: corrupt or truncated gzip stream'),
  idxCase('idx-shape-mismatch', 'test images 14x14, train images 28x28', (f) => (f['t10k-images-idx3-ubyte'] = idxBytes([10, 14, 14], new Uint8Array(1960))), 'images are 14x14'),
  { id: 'idx-missing-file', area: 'data', input: 'IDX folder without its test labels', kind: 'DataFileError', expected: 't10k-labels-idx1-ubyte', run: async (d) => load('digits', 'idx', await idxFolder(d, (f) => delete f['t10k-labels-idx1-ubyte'])) },
  { id: 'data-dir-missing', area: 'data', input: 'a data folder that does not exist (image-folder)', kind: 'DataFileError', expected: 'nowhere: not found', run: (d) => load('pets', 'image-folder', join(d, 'nowhere')) },
  { id: 'image-corrupt-png', area: 'data', input: 'image folder: a PNG cut short', kind: 'DataFileError', expected: 'train/a/0000.png: cannot decode image: truncated PNG: the file ends before its image data does (on_bad_sample: skip would skip it)', run: async (d) => load('pets', 'image-folder', await imageFolder(d, { 'train/a/0000.png': truncatedPng() })) },
  { id: 'image-corrupt-jpeg', area: 'data', input: 'image folder: a JPEG cut short', kind: 'DataFileError', expected: 'train/b/0001.jpg: cannot decode image: corrupt or truncated JPEG (unknown JPEG marker 0) (on_bad_sample: skip would skip it)', run: async (d) => load('pets', 'image-folder', await imageFolder(d, { 'train/b/0001.jpg': truncatedJpeg() })) },
  { id: 'image-not-an-image', area: 'data', input: 'image folder: a text file named .png', kind: 'DataFileError', expected: 'test/a/0001.png: cannot decode image: not a JPEG or PNG (starts with 74 68 69 73) (on_bad_sample: skip would skip it)', run: async (d) => load('pets', 'image-folder', await imageFolder(d, { 'test/a/0001.png': notAnImage() })) },
  { id: 'image-mixed-sizes', area: 'data', input: 'image folder: one image of another size, no size option', kind: 'DataFileError', expected: 'size', run: async (d) => load('pets', 'image-folder', await imageFolder(d, { 'train/a/0000.png': encodePng(fixturePixels(12, 9, 3, 0), 12, 9, 3) })) },
  { id: 'image-empty-class', area: 'data', input: 'image folder: a class folder with no images', kind: 'DataFileError', expected: 'class folder has no images (.jpg, .jpeg or .png)', run: async (d) => {
    const root = await imageFolder(d, { 'train/c/readme.txt': 'no images here' });
    return load('pets', 'image-folder', root);
  } },
  { id: 'image-no-images', area: 'data', input: 'image folder: a folder of text files', kind: 'DataFileError', expected: 'no images (.jpg, .jpeg, .png) found', run: async (d) => {
    await mkdir(join(d, 'txt'), { recursive: true });
    await writeFile(join(d, 'txt', 'a.txt'), 'x');
    return load('pets', 'image-folder', join(d, 'txt'));
  } },
  { id: 'image-truncated-tar', area: 'data', input: 'image folder as a .tar cut short', kind: 'DataFileError', expected: 'pets.tar', run: async (d) => {
    const png = encodePng(fixturePixels(8, 8, 3, 0), 8, 8, 3);
    const tar = await writeTar(join(d, 'whole.tar'), { 'train/a/0.png': png, 'train/b/0.png': png, 'test/a/0.png': png, 'test/b/0.png': png });
    const bytes = (await import('node:fs/promises')).readFile(tar);
    await writeFile(join(d, 'pets.tar'), (await bytes).subarray(0, 700));
    return load('pets', 'image-folder', join(d, 'pets.tar'));
  } },
  { id: 'image-not-tar', area: 'data', input: 'a .tar.gz that is plain text', kind: 'DataFileError', expected: 'pets.tar.gz', run: async (d) => {
    await writeFile(join(d, 'pets.tar.gz'), 'not an archive at all\n');
    return load('pets', 'image-folder', join(d, 'pets.tar.gz'));
  } },
  { id: 'cifar-record-length', area: 'data', input: 'CIFAR batch of 3,072-byte records (label byte missing)', kind: 'DataFileError', expected: 'data_batch_1.bin', run: async (d) => load('c', 'cifar-binary', await cifarFolder(d, (f) => (f['data_batch_1.bin'] = new Uint8Array(3072 * 2)))) },
  { id: 'cifar-bad-label', area: 'data', input: 'CIFAR record with label 12', kind: 'DataFileError', expected: 'test_batch.bin: record 0: label 12 is not a class 0-9', run: async (d) => load('c', 'cifar-binary', await cifarFolder(d, (f) => (f['test_batch.bin']![0] = 12))) },
  { id: 'cifar-missing-batch', area: 'data', input: 'CIFAR folder without data_batch_3.bin', kind: 'DataFileError', expected: 'data_batch_3.bin', run: async (d) => load('c', 'cifar-binary', await cifarFolder(d, (f) => delete f['data_batch_3.bin'])) },
  { id: 'cifar-meta-classes', area: 'data', input: 'CIFAR batches.meta.txt with 3 class names', kind: 'DataFileError', expected: 'batches.meta.txt: expected 10 class names, one a line, found 3', run: async (d) => load('c', 'cifar-binary', await cifarFolder(d, (f) => (f['batches.meta.txt'] = Buffer.from('a\nb\nc\n')))) },
  { id: 'cifar-size-option', area: 'data', input: 'CIFAR with size: [64, 64]', kind: 'UsageError', expected: 'the CIFAR binary batches are 32x32 RGB; size and channels are not supported', run: async (d) => load('c', 'cifar-binary', await cifarFolder(d, () => undefined), { size: [64, 64] }) },
  { id: 'seg-mask-wrong-size', area: 'data', input: 'segmentation folder: a mask of another size than its image', kind: 'DataFileError', expected: 'img000.png', run: async (d) => load('seg', 'segmentation-folder', await segFolder(d, (root) => writeFile(join(root, 'train', 'masks', 'img000.png'), encodePng(fixtureMask(5, 7, 1, 0), 5, 7, 1)))) },
  { id: 'seg-mask-missing', area: 'data', input: 'segmentation folder: an image without its mask', kind: 'DataFileError', expected: 'img001', run: async (d) => load('seg', 'segmentation-folder', await segFolder(d, async (root) => (await import('node:fs/promises')).rm(join(root, 'train', 'masks', 'img001.png')))) },
  { id: 'seg-mask-corrupt', area: 'data', input: 'segmentation folder: a mask PNG cut short', kind: 'DataFileError', expected: 'train/masks/img000.png: cannot decode mask: truncated PNG: the file ends before its image data does', run: async (d) => load('seg', 'segmentation-folder', await segFolder(d, (root) => writeFile(join(root, 'train', 'masks', 'img000.png'), truncatedPng()))) },
  { id: 'seg-mask-class-range', area: 'data', input: 'segmentation folder: a mask value of 9 with classes: 3', kind: 'DataFileError', expected: 'img000.png', run: async (d) => load('seg', 'segmentation-folder', await segFolder(d, (root) => writeFile(join(root, 'train', 'masks', 'img000.png'), encodePalettePng(new Uint8Array(64).fill(9), 8, 8))), { classes: 3 }) },
  { id: 'seg-image-jpeg-corrupt', area: 'data', input: 'segmentation folder: an image JPEG cut short', kind: 'DataFileError', expected: 'test/images/img002.jpg: cannot decode image: corrupt or truncated JPEG (', run: async (d) => load('seg', 'segmentation-folder', await segFolder(d, async (root) => {
    await (await import('node:fs/promises')).rm(join(root, 'test', 'images', 'img002.png'));
    await writeFile(join(root, 'test', 'images', 'img002.jpg'), truncatedJpeg());
  })) },
  { id: 'voc-mask-wrong-size', area: 'data', input: 'VOC: a SegmentationClass mask of another size than its JPEG', kind: 'DataFileError', expected: `SegmentationClass/${vocStem(1)}.png: mask is 7x5, its image`, run: async (d) => {
    const root = await writeVocFolder(join(d, 'voc'), { train: 2, val: 2, height: 8, width: 8 });
    await writeFile(join(root, 'VOCdevkit/VOC2012/SegmentationClass', `${vocStem(1)}.png`), encodePalettePng(new Uint8Array(35), 7, 5));
    return caught(() => loadDataset({ dataset: 'voc2012' }, { dataDir: root, cacheDir: join(d, 'cache'), seed: 1, threads: 1, size: [8, 8] }));
  } },
  { id: 'voc-no-images', area: 'data', input: 'VOC folder whose JPEGImages/ is gone', kind: 'DataFileError', expected: `listed in VOCdevkit/VOC2012/ImageSets/Segmentation/train.txt, but no VOCdevkit/VOC2012/JPEGImages/${vocStem(0)}.jpg (or .png)`, run: async (d) => {
    const root = await writeVocFolder(join(d, 'voc'), { train: 2, val: 2, height: 8, width: 8 });
    await (await import('node:fs/promises')).rm(join(root, 'VOCdevkit/VOC2012/JPEGImages'), { recursive: true });
    return caught(() => loadDataset({ dataset: 'voc2012' }, { dataDir: root, cacheDir: join(d, 'cache'), seed: 1, threads: 1, size: [8, 8] }));
  } },
  { id: 'csv-unclosed-quote', area: 'data', input: 'CSV with an unclosed quote', kind: 'DataFileError', expected: 'train.csv: line', run: async (d) => load('t', 'csv-text', await csvFolder(d, 'id,label,text\n1,cat,"a cat\n2,dog,a dog\n')) },
  { id: 'csv-short-row', area: 'data', input: 'CSV row with 2 of 3 columns', kind: 'DataFileError', expected: 'train.csv: line 3: 2 columns, expected at least 3 (on_bad_sample: skip would skip it)', run: async (d) => load('t', 'csv-text', await csvFolder(d, 'id,label,text\n1,cat,a cat\n2,dog\n3,dog,a dog\n')) },
  { id: 'csv-no-label-column', area: 'data', input: "CSV without a 'label' column", kind: 'DataFileError', expected: "train.csv: no label column 'label' (columns: id, class, text)", run: async (d) => load('t', 'csv-text', await csvFolder(d, 'id,class,text\n1,cat,a cat\n2,dog,a dog\n')) },
  { id: 'csv-empty-file', area: 'data', input: 'an empty train.csv', kind: 'DataFileError', expected: 'train.csv: empty: no header row', run: async (d) => load('t', 'csv-text', await csvFolder(d, '')) },
  { id: 'csv-one-class', area: 'data', input: 'CSV whose training split has one class', kind: 'DataFileError', expected: 'the training split has 1 class (label column label): at least 2 are needed', run: async (d) => load('t', 'csv-text', await csvFolder(d, 'id,label,text\n1,cat,a cat\n2,cat,a cat again\n', 'id,label,text\n3,cat,one more cat\n')) },
  { id: 'csv-column-index', area: 'data', input: 'csv-text with text_column 7 of 3', kind: 'DataFileError', expected: 'text column 7 does not exist: rows have 3 columns (indices 0–2)', run: async (d) => load('t', 'csv-text', await csvFolder(d, 'id,label,text\n1,cat,a cat\n2,dog,a dog\n'), { textColumn: 7 }) },
  { id: 'csv-binary-garbage', area: 'data', input: 'a gzip-named CSV that is corrupt gzip', kind: 'DataFileError', expected: 'train.csv.gz: corrupt or truncated gzip stream', run: async (d) => {
    const root = await writeCsvTextFolder(join(d, 'texts'));
    await writeFile(join(root, 'train.csv.gz'), new Uint8Array([0x1f, 0x8b, 8, 0, 1, 2, 3]));
    await (await import('node:fs/promises')).rm(join(root, 'train.csv'));
    return load('t', 'csv-text', root);
  } },
  { id: 'parquet-corrupt', area: 'data', input: 'a .parquet file of random bytes', kind: 'DataFileError', expected: 'train-00000-of-00001.parquet: not a Parquet file', run: async (d) => {
    const root = await writeParquetFolder(join(d, 'pq'));
    await writeFile(join(root, 'data', 'train-00000-of-00001.parquet'), Buffer.from('PAR1 but then nothing useful at all'));
    return load('p', 'parquet', root);
  } },
  { id: 'parquet-truncated', area: 'data', input: 'a .parquet file cut in half', kind: 'DataFileError', expected: 'test-00000-of-00001.parquet: not a Parquet file or cut short (it starts as one, but does not end with the PAR1 footer)', run: async (d) => {
    const root = await writeParquetFolder(join(d, 'pq'));
    const file = join(root, 'data', 'test-00000-of-00001.parquet');
    const bytes = await (await import('node:fs/promises')).readFile(file);
    await writeFile(file, bytes.subarray(0, bytes.length >> 1));
    return load('p', 'parquet', root);
  } },
  { id: 'parquet-no-column', area: 'data', input: "Parquet without the named text column 'body'", kind: 'DataFileError', expected: "no column 'body' (columns: text, label)", run: async (d) => load('p', 'parquet', await writeParquetFolder(join(d, 'pq')), { textColumn: 'body' }) },
  { id: 'parquet-null-text', area: 'data', input: 'Parquet with a null text', kind: 'DataFileError', expected: 'on_bad_sample: skip would skip it', run: async (d) => load('p', 'parquet', await writeParquetFolder(join(d, 'pq'), { nullText: true })) },
];

// ---------------------------------------------------------------- wire messages

const NOW = '2024-06-11T10:00:00.000Z';
const trial = TrialConfigSchema.parse({ dataset: 'sleep', optimizer: 'sgd', seed: 1, epochs: 1 });
const TRIAL = { format: wire.TRIAL_MESSAGE_FORMAT, sweep: 's1', cell: 'c1', trial };
const bytes = (v: unknown) => (typeof v === 'string' ? new TextEncoder().encode(v) : wire.encodeJson(v));
const synth: SyntheticSpec = { name: 'h', optimizers: ['sgd'], datasets: ['mnist'], seeds: [1], epochs: 1, stepsPerEpoch: 2, telemetryEvery: 1 };
const RESULT = { sweep: 's1', cell: 'c1', node: 'n1', slot: 'n1-cpu0', attempt: 1, object: null, result: syntheticResult(plannedCells(synth)[0]!, synth), bytes: 10, status: 'completed', final_score: 0.9, final_loss: 0.1, created_at: NOW };
const noStore = { getBlob: async () => null } as unknown as ObjectStore;

function wireCase(id: string, input: string, schema: z.ZodType, value: unknown, what: string, expected: string): HostileCase {
  return { id, area: 'wire', input, kind: 'WireFormatError', expected, run: async () => caught(() => wire.decodeJson(schema, bytes(value), what)) };
}
const trialMsg = (data: unknown, subject = 'grn.trials.s1.c1') => async () => caught(() => decodeTrial({ data: bytes(data), subject } as unknown as JsMsg));
const cellState = (key: string, value: unknown) => async (): Promise<Seen> => {
  const { unreadable } = decodeCellState(key, bytes(value));
  return unreadable === undefined ? { kind: 'ok', message: '' } : { kind: 'unreadable', message: unreadable };
};
const stored = (key: string, value: unknown, store = noStore) => async (): Promise<Seen> => {
  const out = await readStoredResult(key, bytes(value), store);
  return 'unreadable' in out ? { kind: 'unreadable', message: out.unreadable } : { kind: 'ok', message: '' };
};

const WIRE: HostileCase[] = [
  { id: 'wire-trial-not-json', area: 'wire', input: 'trial message body that is not JSON', kind: 'WireFormatError', expected: 'trial message on grn.trials.s1.c1: not JSON (Unexpected token', run: trialMsg('hello') },
  { id: 'wire-trial-empty', area: 'wire', input: 'an empty trial message', kind: 'WireFormatError', expected: 'trial message on grn.trials.s1.c1: not JSON (Unexpected end of JSON input)', run: trialMsg('') },
  { id: 'wire-trial-format', area: 'wire', input: "trial message of format 'grn.trial/2'", kind: 'WireFormatError', expected: 'trial message on grn.trials.s1.c1: format: Invalid input: expected "grn.trial/1"', run: trialMsg({ ...TRIAL, format: 'grn.trial/2' }) },
  { id: 'wire-trial-other-cell', area: 'wire', input: 'trial message whose body names another cell than its subject', kind: 'WireFormatError', expected: 'trial message on grn.trials.s1.c2: its body names cell s1.c1', run: trialMsg(TRIAL, 'grn.trials.s1.c2') },
  { id: 'wire-trial-bad-epochs', area: 'wire', input: 'trial message with epochs: -1', kind: 'WireFormatError', expected: 'trial message on grn.trials.s1.c1: trial.epochs:', run: trialMsg({ ...TRIAL, trial: { ...trial, epochs: -1 } }) },
  { id: 'wire-trial-bad-id', area: 'wire', input: 'trial message with a cell id holding a space', kind: 'WireFormatError', expected: 'cell: must be letters, digits, - or _', run: trialMsg({ ...TRIAL, cell: 'c 1' }) },
  { id: 'wire-trial-escape', area: 'wire', input: 'not-JSON trial body with a terminal escape and a newline', kind: 'WireFormatError', expected: '\\u001b[2J\\u000a', run: trialMsg('x\u001b[2J\nrm -rf') },
  wireCase('wire-sweep-status', 'sweep record with status "exploded"', wire.SweepRecordSchema, { format: 'grn.sweep/1', id: 's1', name: 'q', status: 'exploded', cells: 1, max_deliver: 3, spec_yaml: '', created_at: NOW, updated_at: NOW }, 'sweep s1', 'sweep s1: status: Invalid option: expected one of "running"|"paused"|"cancelled"|"done"|"failed"'),
  wireCase('wire-sweep-array', 'sweep record that is a JSON array', wire.SweepRecordSchema, [1, 2], 'sweep s1', 'sweep s1: (root): Invalid input: expected object, received array'),
  wireCase('wire-node-pid', 'node record with pid "12"', wire.NodeRecordSchema, { format: 'grn.node/1', node: 'n1', host: 'h', pid: '12' }, 'node n1', 'node n1: pid: Invalid input: expected number, received string'),
  wireCase('wire-node-slots', 'node record with a slot of kind "tpu"', wire.NodeRecordSchema, { format: 'grn.node/1', node: 'n1', host: 'h', pid: 1, version: '1', backend: 'cpu', gpus: [], slots: [{ slot: 's', kind: 'tpu', device: null, sweep: null, cell: null, trainer_pid: null, samples_per_s: null }], draining: false, started_at: NOW, heartbeat_at: NOW, cells_done: 0, cells_failed: 0 }, 'node n1', 'node n1: slots.0.kind: Invalid option: expected one of "gpu"|"cpu"'),
  wireCase('wire-telemetry-record', 'telemetry whose record holds a list', wire.TelemetryMessageSchema, { sweep: 's1', cell: 'c1', node: 'n', slot: 's', at: NOW, kind: 'step', record: { loss: [1] } }, 'grn.telemetry.s1.c1', 'grn.telemetry.s1.c1: record.loss: Invalid input'),
  wireCase('wire-gpu-negative', 'GPU metrics of GPU -1', wire.GpuMetricsSchema, { node: 'n', gpu: -1, name: 'x', utilisation_pct: null, vram_used_mb: null, vram_total_mb: null, temperature_c: null, power_w: null, at: NOW }, 'grn.gpu.n.0', 'grn.gpu.n.0: gpu: Too small: expected number to be >=0'),
  wireCase('wire-node-metrics-null', 'node metrics that are JSON null', wire.NodeMetricsSchema, null, 'grn.node.n', 'grn.node.n: (root): Invalid input: expected object, received null'),
  { id: 'wire-cell-not-json', area: 'wire', input: 'grn-cells value that is not JSON', kind: 'unreadable', expected: 'unreadable cell state (cell s1.c1: not JSON (', run: cellState('s1.c1', '{"sweep":') },
  { id: 'wire-cell-other-cell', area: 'wire', input: 'grn-cells value naming another cell than its key', kind: 'unreadable', expected: 'unreadable cell state (cell s1.c1: the value names cell s1.c9)', run: cellState('s1.c1', { sweep: 's1', cell: 'c9', status: 'queued', attempt: 0, updated_at: NOW }) },
  { id: 'wire-cell-status', area: 'wire', input: 'grn-cells value with status "lost"', kind: 'unreadable', expected: 'unreadable cell state (cell s1.c1: status: Invalid option', run: cellState('s1.c1', { sweep: 's1', cell: 'c1', status: 'lost', attempt: 0, updated_at: NOW }) },
  { id: 'wire-result-not-json', area: 'wire', input: 'grn-results value that is not JSON', kind: 'unreadable', expected: 'result s1.c1: not JSON (', run: stored('s1.c1', '\u0000\u0001') },
  { id: 'wire-result-other-cell', area: 'wire', input: 'grn-results record naming another cell', kind: 'unreadable', expected: 'result s1.c1: the record names cell s1.c2', run: stored('s1.c1', { ...RESULT, cell: 'c2' }) },
  { id: 'wire-result-bad-trial', area: 'wire', input: 'grn-results record whose inline result is not a trial result', kind: 'unreadable', expected: 'result s1.c1: not a trial result (format:', run: stored('s1.c1', { ...RESULT, result: { format: 'nope' } }) },
  { id: 'wire-result-object-missing', area: 'wire', input: 'grn-results record whose Object Store object is gone', kind: 'unreadable', expected: 'result s1.c1: its object obj-1 is not in the Object Store', run: stored('s1.c1', { ...RESULT, result: undefined, object: 'obj-1' }) },
  { id: 'wire-result-object-garbage', area: 'wire', input: 'grn-results object that is not JSON', kind: 'unreadable', expected: 'result s1.c1: object obj-1 is not JSON (', run: stored('s1.c1', { ...RESULT, result: undefined, object: 'obj-1' }, { getBlob: async () => bytes('{{{') } as unknown as ObjectStore) },
];

// ---------------------------------------------------------------- CLI flags

/** `grn ARGV` in this process: its exit code and what it wrote on stderr. */
async function cli(argv: string[]): Promise<Seen> {
  const write = process.stderr.write;
  let err = '';
  process.stderr.write = ((chunk: string | Uint8Array) => {
    err += typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8');
    return true;
  }) as typeof process.stderr.write;
  const before = process.exitCode;
  try {
    const code = await main(argv);
    return { kind: `exit ${code}`, message: err.trim() };
  } finally {
    process.stderr.write = write;
    process.exitCode = before;
  }
}

/**
 * `grn ARGV`: `DIR` in an argument stands for the case's temporary folder; `prepare` writes files
 * there first (a spec, a file in the way).
 */
function cliCase(id: string, argv: string[], expected: string, code = 2, prepare?: (dir: string) => Promise<void>): HostileCase {
  return {
    id,
    area: 'cli',
    input: `\`grn ${argv.join(' ')}\``,
    kind: `exit ${code}`,
    expected,
    run: async (d) => {
      await prepare?.(d);
      return cli(argv.map((a) => a.replace(/^DIR/, d)));
    },
  };
}

const badSpec = (text: string) => async (dir: string) => writeFile(join(dir, 'bad.yaml'), text);

const CLI: HostileCase[] = [
  cliCase('cli-unknown-command', ['trian'], "error: unknown command 'trian'"),
  cliCase('cli-train-unknown-flag', ['train', '--epoch', '2'], "error: unknown option '--epoch'"),
  cliCase('cli-train-epochs-zero', ['train', '--epochs', '0'], "error: option '--epochs <n>' argument '0' is invalid. expected a positive integer"),
  cliCase('cli-train-epochs-word', ['train', '--epochs', 'two'], "argument 'two' is invalid. expected a positive integer"),
  cliCase('cli-train-epochs-huge', ['train', '--epochs', '99999999999999999999'], "argument '99999999999999999999' is invalid. expected a positive integer"),
  cliCase('cli-train-batch-fraction', ['train', '--batch-size', '1.5'], "option '--batch-size <n>' argument '1.5' is invalid. expected a positive integer"),
  cliCase('cli-train-lr-negative', ['train', '--lr', '-1'], "option '--lr <x>' argument '-1' is invalid. expected a positive number"),
  cliCase('cli-train-lr-nan', ['train', '--lr', 'NaN'], "argument 'NaN' is invalid. expected a positive number"),
  cliCase('cli-train-lr-infinite', ['train', '--lr', '1e999'], "argument '1e999' is invalid. expected a positive number"),
  cliCase('cli-train-seed-negative', ['train', '--seed', '-3'], "option '--seed <n>' argument '-3' is invalid. expected a non-negative integer"),
  cliCase('cli-train-optimizer', ['train', '--optimizer', 'adma'], "error: option '--optimizer <name>' argument 'adma' is invalid. Allowed choices are"),
  cliCase('cli-train-dataset', ['train', '--dataset', 'mnits'], "grn: --dataset: unknown data set 'mnits'; known:"),
  cliCase('cli-train-kind', ['train', '--dataset-kind', 'jpeg'], "option '--dataset-kind <kind>' argument 'jpeg' is invalid. Allowed choices are idx, image-folder"),
  cliCase('cli-train-kind-no-dir', ['train', '--dataset-kind', 'image-folder'], 'grn: --dataset-kind image-folder reads your own files: give --data-dir (a folder or archive)'),
  cliCase('cli-train-size', ['train', '--size', '64by64'], "grn: --size: expected HEIGHTxWIDTH in pixels (e.g. 64x64), got '64by64'"),
  cliCase('cli-train-size-zero', ['train', '--size', '0x64'], "--size: expected HEIGHTxWIDTH in pixels (e.g. 64x64), got '0x64'"),
  cliCase('cli-train-channels', ['train', '--channels', '2'], "grn: --channels: expected 1 (grey) or 3 (RGB), got '2'"),
  cliCase('cli-train-holdout', ['train', '--holdout', '1'], "grn: --holdout: expected a fraction between 0 and 1 (e.g. 0.2), got '1'"),
  cliCase('cli-train-hp-syntax', ['train', '--hp', 'momentum'], "option '--hp <key=value>' argument 'momentum' is invalid. expected key=value, got 'momentum'"),
  cliCase('cli-train-hp-unknown', ['train', '--hp', 'mometum=0.9'], 'mometum'),
  cliCase('cli-train-lr-twice', ['train', '--lr', '0.1', '--hp', 'lr=0.2'], 'grn: give the learning rate once: --lr or --hp lr=…, not both'),
  cliCase('cli-train-max-length-image', ['train', '--max-length', '64'], "grn: unknown option '--max-length' for data set 'mnist' (it takes none)"),
  cliCase('cli-train-out-folder', ['train', '--out', 'DIR'], 'is a folder; give a file name for the result'),
  cliCase('cli-train-model-option', ['train', '--model-option', 'width=3'], "grn: --model-option: unknown option 'width'"),
  cliCase('cli-plan-missing-spec', ['sweep', 'plan', 'DIR/missing.yaml'], 'missing.yaml: cannot read the sweep spec: no such file'),
  cliCase('cli-plan-no-argument', ['sweep', 'plan'], "error: missing required argument 'spec'"),
  cliCase('cli-plan-rows-zero', ['sweep', 'plan', 'sweeps/quick.yaml', '--rows', '0'], "option '--rows <n>' argument '0' is invalid. expected a positive integer"),
  cliCase('cli-plan-bad-spec', ['sweep', 'plan', 'DIR/bad.yaml'], "bad.yaml:3:20: grid.optimizer[1]: unknown optimizer 'adma' (did you mean 'adam'?)", 2, badSpec('name: x\ngrid:\n  optimizer: [sgd, adma]\n  dataset: [mnist]\n  seed: [1]\n')),
  cliCase('cli-run-bad-spec', ['sweep', 'run', 'DIR/bad.yaml'], 'bad.yaml:1:1: grid: missing', 2, badSpec('name: x\n')),
  cliCase('cli-run-bad-id', ['sweep', 'run', 'sweeps/quick.yaml', '--id', 'my sweep!'], "grn: sweep id 'my sweep!': use letters, digits, '-' or '_'"),
  cliCase('cli-run-bad-server', ['sweep', 'run', 'sweeps/quick.yaml', '--server', 'http://x'], "option '--server <url>' argument 'http://x' is invalid. expected nats://HOST:PORT, got 'http://x'"),
  cliCase('cli-run-workers', ['sweep', 'run', 'sweeps/quick.yaml', '--local-workers', 'many'], "option '--local-workers <n>' argument 'many' is invalid. expected a non-negative integer"),
  cliCase('cli-run-slots-zero', ['sweep', 'run', 'sweeps/quick.yaml', '--slots', '0'], "option '--slots <n>' argument '0' is invalid. expected a positive integer"),
  cliCase('cli-report-missing', ['report', 'DIR/nothing'], "grn: no results folder '", 1),
  cliCase('cli-report-format', ['report', 'DIR', '--format', 'pdf'], "grn: --format: unknown format 'pdf'; known:"),
  cliCase('cli-report-out-file', ['report', 'DIR', '--out', 'DIR/out.txt'], 'is a file, not a folder; give a folder for the report', 2, (d) => writeFile(join(d, 'out.txt'), 'x')),
  cliCase('cli-report-no-arg', ['report'], "error: missing required argument 'results'"),
];

// ---------------------------------------------------------------- results folders

/** An in-process stand-in for the report's worker pool (the same digest code, no threads). */
const pool = { digest: async (jobs: Parameters<ReportPool['digest']>[0]) => digestCells(jobs) } as unknown as ReportPool;

/** A results folder of one planned cell (sgd-mnist-s1) with the files given. */
async function resultsFolder(dir: string, files: Record<string, string>): Promise<string> {
  const root = join(dir, 'results', 'hostile-1');
  await mkdir(join(root, 'cells'), { recursive: true });
  for (const [rel, text] of Object.entries(files)) await writeFile(join(root, rel), text);
  return root;
}
const CELL = 'sgd-mnist-s1';
const cellResult = JSON.stringify(syntheticResult(plannedCells(synth)[0]!, synth));
const manifest = (status = 'done') => JSON.stringify({ sweep: 'hostile-1', name: 'h', status: 'done', cells: [{ cell: CELL, label: 'sgd', dataset: 'mnist', seed: 1, status, attempts: 1 }] });
const SPEC_YAML = 'name: h\ngrid:\n  optimizer: [sgd]\n  dataset: [mnist]\n  seed: [1]\n';

function resultsCase(id: string, input: string, files: Record<string, string>, expected: string): HostileCase {
  return {
    id,
    area: 'results',
    input,
    kind: expected === '' ? 'ok' : 'warning',
    expected,
    run: async (d) => {
      const loaded = await loadResults(await resultsFolder(d, files), { pool });
      const lines = [...loaded.warnings, ...loaded.missing.map((m) => `${m.cell}: ${m.reason}`)];
      return { kind: lines.length ? 'warning' : 'ok', message: lines.join('\n') };
    },
  };
}

const RESULTS: HostileCase[] = [
  { id: 'results-missing-folder', area: 'results', input: 'a results folder that does not exist', kind: 'GrnError', expected: 'no results folder at', run: (d) => caught(() => loadResults(join(d, 'none'), { pool })) },
  resultsCase('results-no-manifest', 'no manifest.json (a sweep still running)', { 'spec.yaml': SPEC_YAML }, 'no manifest.json (sweep still running, or stopped before its end): cells planned from spec.yaml'),
  resultsCase('results-corrupt-manifest', 'manifest.json that is not JSON', { 'manifest.json': '{"cells": [', 'spec.yaml': SPEC_YAML }, 'manifest.json is not valid JSON: cells taken from spec.yaml and cells/'),
  resultsCase('results-no-manifest-bad-spec', 'no manifest.json, spec.yaml invalid', { 'spec.yaml': 'name: h\n' }, 'no manifest.json and spec.yaml does not validate: only the cell files found are reported'),
  resultsCase('results-spec-not-yaml', 'spec.yaml that is not YAML', { 'manifest.json': manifest(), 'spec.yaml': 'name: [h\n', [`cells/${CELL}.json`]: cellResult }, 'spec.yaml could not be parsed (Flow sequence in block collection must be sufficiently indented and end with a ] at line 2, column 1): no targets'),
  resultsCase('results-cell-not-json', 'cells/X.json that is not JSON', { 'manifest.json': manifest(), [`cells/${CELL}.json`]: '{"format": "grn.trial-result/1", ' }, `${CELL}: result unreadable: unreadable JSON (`),
  resultsCase('results-cell-not-result', 'cells/X.json that is JSON but no trial result', { 'manifest.json': manifest(), [`cells/${CELL}.json`]: '{"hello": 1}' }, `${CELL}: result unreadable: not a trial result (format null)`),
  resultsCase('results-cell-array', 'cells/X.json holding a JSON array', { 'manifest.json': manifest(), [`cells/${CELL}.json`]: '[1, 2, 3]' }, `${CELL}: result unreadable: not a trial result (format null)`),
  resultsCase('results-cell-missing', 'manifest says done, cells/X.json gone', { 'manifest.json': manifest() }, `${CELL}: done in the manifest, but cells/${CELL}.json is missing`),
  resultsCase('results-unplanned-garbage', 'a stray cells/junk.json no list names', { 'manifest.json': manifest(), [`cells/${CELL}.json`]: cellResult, 'cells/junk.json': 'not json' }, 'cells/junk.json is not a readable trial result'),
  resultsCase('results-failed-cell', 'a cell the manifest records as failed', { 'manifest.json': manifest('failed') }, `${CELL}: failed after 1 attempt(s): no error recorded`),
  resultsCase('results-corrupt-all-results', 'all_results.json corrupt (reports read cells/, not it)', { 'manifest.json': manifest(), [`cells/${CELL}.json`]: cellResult, 'all_results.json': '{{{' }, ''),
];

export const CASES: readonly HostileCase[] = [...SPEC, ...DATA, ...WIRE, ...CLI, ...RESULTS];
