import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { UsageError } from '../../../shared/errors.js';
import { TrialResultSchema, validationMetric } from '../../../shared/result.js';
import { TrialConfigSchema, type TrialConfigInput } from '../../../shared/trial.js';
import { writeMnistFixture } from '../../../test/helpers/mnist-fixture.js';
import { writeSegmentationFolder } from '../../../test/helpers/seg-fixtures.js';
import { writeAgNewsFolder } from '../../../test/helpers/text-fixtures.js';
import { cpuBackend } from '../backends/cpu.js';
import type { DeviceReport } from '../backends/types.js';
import type { EpochSummary } from '../telemetry/listener.js';
import { runTrial } from '../trial.js';
import type { ImageClassificationData, SegmentationData, TextClassificationData } from './data.js';
import { splitValidation, validationCount } from './validation.js';

/** `count` 2x2 grey images whose first byte is the sample's index (mod 256), labels index mod 3. */
function images(count: number): ImageClassificationData {
  const pixels = new Uint8Array(count * 4);
  const labels = new Uint8Array(count);
  for (let i = 0; i < count; i++) {
    pixels[i * 4] = i % 256;
    labels[i] = i % 3;
  }
  const split = { count, pixels, labels };
  return {
    task: 'image-classification',
    name: 'toy',
    sample: { kind: 'image', shape: [2, 2, 1], classes: 3, normalization: { mean: [0], std: [1], arithmetic: 'float32' } },
    train: split,
    test: { count: 2, pixels: new Uint8Array(8), labels: new Uint8Array(2) },
    sha256: {},
  };
}

/** The source index of each sample of an image split (its first byte). */
const ids = (split: { count: number; pixels: Uint8Array }) => Array.from({ length: split.count }, (_, i) => split.pixels[i * 4]!);

describe('splitValidation', () => {
  it('a fraction or a count of the training split, disjoint from what is left, both in source order', () => {
    const data = images(100);
    const { data: rest, validation } = splitValidation(data, { size: 0.1, seed: 0 });
    assert.equal(validation.count, 10);
    assert.equal(rest.train.count, 90);
    const v = ids(validation);
    const t = ids(rest.train);
    assert.deepEqual([...v, ...t].sort((a, b) => a - b), Array.from({ length: 100 }, (_, i) => i));
    assert.deepEqual(v, [...v].sort((a, b) => a - b));
    assert.deepEqual(t, [...t].sort((a, b) => a - b));
    // Labels travel with their samples; the test split is untouched.
    assert.ok(Array.from(validation.labels).every((l, i) => l === v[i]! % 3));
    assert.equal(rest.test, data.test);
    assert.equal(splitValidation(data, { size: 7, seed: 0 }).validation.count, 7);
  });

  it('the same seed gives the same samples whatever the train limit; the limit takes from the rest', () => {
    const data = images(100);
    const whole = splitValidation(data, { size: 20, seed: 5 });
    const limited = splitValidation(data, { size: 20, seed: 5, trainLimit: 30 });
    assert.deepEqual(ids(limited.validation), ids(whole.validation));
    assert.equal(limited.data.train.count, 30);
    assert.ok(ids(limited.data.train).every((i) => ids(whole.data.train).includes(i)));
    // A limit above what is left keeps it all.
    assert.equal(splitValidation(data, { size: 20, seed: 5, trainLimit: 500 }).data.train.count, 80);
    // Another split seed, other samples.
    assert.notDeepEqual(ids(splitValidation(data, { size: 20, seed: 6 }).validation), ids(whole.validation));
  });

  it('works on every task: text rows and segmentation masks are copied with their samples', () => {
    const text: TextClassificationData = {
      task: 'text-classification',
      name: 'words',
      sample: { kind: 'tokens', maxLength: 3, vocabSize: 50, padId: 0, classes: 2, tokenizer: { algorithm: 'x', source: 'y' } },
      train: { count: 10, tokens: Int32Array.from({ length: 30 }, (_, k) => Math.floor(k / 3) + 1), labels: Uint8Array.from({ length: 10 }, (_, i) => i % 2) },
      test: { count: 1, tokens: new Int32Array(3), labels: new Uint8Array(1) },
      sha256: {},
    };
    const t = splitValidation(text, { size: 0.3, seed: 1 });
    assert.equal(t.validation.count, 3);
    for (const split of [t.validation, t.data.train]) {
      for (let i = 0; i < split.count; i++) {
        const row = Array.from(split.tokens.subarray(i * 3, i * 3 + 3));
        assert.deepEqual(row, [row[0], row[0], row[0]], 'a row stays whole');
        assert.equal(split.labels[i], (row[0]! - 1) % 2, 'its label with it');
      }
    }
    const masks: SegmentationData = {
      task: 'segmentation',
      name: 'seg',
      sample: { kind: 'image-mask', shape: [2, 2, 3], classes: 3, ignoreIndex: 255, normalization: { mean: [0, 0, 0], std: [1, 1, 1], arithmetic: 'float32' } },
      train: { count: 6, pixels: Uint8Array.from({ length: 6 * 12 }, (_, k) => Math.floor(k / 12)), masks: Uint8Array.from({ length: 6 * 4 }, (_, k) => Math.floor(k / 4)) },
      test: { count: 1, pixels: new Uint8Array(12), masks: new Uint8Array(4) },
      sha256: {},
    };
    const m = splitValidation(masks, { size: 2, seed: 1 });
    assert.equal(m.validation.count, 2);
    assert.equal(m.data.train.count, 4);
    for (const split of [m.validation, m.data.train]) {
      for (let i = 0; i < split.count; i++) assert.equal(split.masks[i * 4], split.pixels[i * 12], 'mask and image of one sample');
    }
  });

  it('no sample, or no training data left, is an error naming the sizes', () => {
    assert.throws(() => validationCount(0.001, 100), (e: Error) => e instanceof UsageError && /validation 0.001 of the 100 training samples is no sample/.test(e.message));
    assert.throws(() => validationCount(100, 100), (e: Error) => e instanceof UsageError && /takes 100 samples, which leaves no training data \(the training split has 100\)/.test(e.message));
    assert.throws(() => validationCount(1.5, 100), /a fraction in \(0, 1\) or a whole number/);
    assert.equal(validationCount(0.5, 3), 2);
  });
});

describe('a trial with a validation split (cpu backend), for every task', () => {
  let root: string;
  let mnist: string;
  let device: DeviceReport;
  before(async () => {
    root = await mkdtemp(join(tmpdir(), 'grn-validation-'));
    mnist = await writeMnistFixture({ train: 120, test: 40 });
    device = await cpuBackend.activate();
  });
  after(async () => {
    await rm(root, { recursive: true, force: true });
    await rm(mnist, { recursive: true, force: true });
  });

  const run = (over: Partial<TrialConfigInput>, epochs: EpochSummary[] = []) =>
    runTrial(TrialConfigSchema.parse({ optimizer: 'adam', epochs: 2, seed: 3, batchSize: 16, backend: 'cpu', ...over }), { device, cacheDir: join(root, 'cache'), listener: { onEpochEnd: (e) => void epochs.push(e) } });

  it('image classification: validation loss and accuracy after every epoch, in the result and the epoch summaries', async () => {
    const epochs: EpochSummary[] = [];
    const result = await run({ dataset: 'mnist', dataDir: mnist, model: 'mlp', validation: 0.25, trainLimit: 60 }, epochs);
    TrialResultSchema.parse(JSON.parse(JSON.stringify(result)));
    assert.equal(result.validation?.samples, 30);
    assert.equal(result.validation?.seed, 0);
    assert.equal(result.validation?.loss.length, 2);
    assert.equal(result.validation?.accuracy?.length, 2);
    assert.deepEqual(validationMetric(result)?.values, result.validation?.accuracy);
    // train_limit is applied to what the validation split leaves.
    assert.equal(result.manifest.dataset.train_samples, 60);
    assert.equal(result.manifest.dataset.test_samples, 40);
    assert.deepEqual(epochs.map((e) => e.validation?.metrics.accuracy), result.validation?.accuracy);
  });

  it('draws the split from the split seed, not the trial seed: every optimizer and seed gets the same samples', async () => {
    const said: string[] = [];
    for (const seed of [1, 2]) {
      await runTrial(TrialConfigSchema.parse({ dataset: 'mnist', dataDir: mnist, model: 'mlp', optimizer: 'sgd', epochs: 1, seed, batchSize: 32, backend: 'cpu', validation: 20, validationSeed: 9 }), {
        device,
        listener: { onMessage: (m) => void said.push(m) },
      });
    }
    const lines = said.filter((m) => m.startsWith('mnist:'));
    assert.deepEqual(lines, ['mnist: 100 train, 20 validation (split seed 9), 40 test samples', 'mnist: 100 train, 20 validation (split seed 9), 40 test samples']);
  });

  it('text classification: AG_NEWS with only test.csv holds out its test split, and the validation split comes out of what remains', async () => {
    const dir = await writeAgNewsFolder(join(root, 'ag_news'), { onlyTest: true, testPerClass: 10 });
    const result = await run({ dataset: 'ag_news', dataDir: dir, holdout: 0.2, validation: 0.25, model: 'embedding-bag', modelOptions: { dim: 8 }, dataOptions: { max_length: 16 } });
    // 40 texts: 8 held out as the test split (2 of each class), 8 of the 32 left as the validation split.
    assert.equal(result.manifest.dataset.test_samples, 8);
    assert.equal(result.validation?.samples, 8);
    assert.equal(result.manifest.dataset.train_samples, 24);
    assert.equal(result.validation?.accuracy?.length, 2);
    // Validation that leaves nothing to train on is an error that says so.
    await assert.rejects(
      run({ dataset: 'ag_news', dataDir: dir, holdout: 0.2, validation: 32, model: 'embedding-bag', modelOptions: { dim: 8 }, dataOptions: { max_length: 16 } }),
      (e: Error) => e instanceof UsageError && /validation 32 takes 32 samples, which leaves no training data \(the training split has 32\)/.test(e.message),
    );
  });

  it('segmentation: the validation split has pixel accuracy and mIoU, mIoU its primary metric', async () => {
    const dir = await writeSegmentationFolder(join(root, 'seg'), { classes: 3, perSplit: 6, height: 8, width: 8 });
    const result = await run({ dataset: 'seg', kind: 'segmentation-folder', dataDir: dir, model: 'unet', validation: 2, batchSize: 2, epochs: 1 });
    assert.equal(result.validation?.samples, 2);
    assert.equal(result.manifest.dataset.train_samples, 4);
    assert.equal(result.validation?.miou?.length, 1);
    assert.equal(result.validation?.pixel_accuracy?.length, 1);
    assert.equal(validationMetric(result)?.name, 'miou');
  });
});
