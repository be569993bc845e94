import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { TrialResultSchema } from '../../shared/result.js';
import { backendOrSkip } from '../../test/helpers/backends.js';
import { writeMnistFixture } from '../../test/helpers/mnist-fixture.js';
import { cifarFiles, writeCifarFolder } from '../../test/helpers/image-fixtures.js';
import { PNG } from 'pngjs';
import { createHash } from 'node:crypto';

const GRN = fileURLToPath(new URL('../../../bin/grn.js', import.meta.url));

/** Runs the real `grn` executable and collects its exit code and output. */
function grn(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [GRN, ...args], { timeout: 120_000 }, (error, stdout, stderr) => {
      const code = error ? (typeof error.code === 'number' ? error.code : 1) : 0;
      resolve({ code, stdout, stderr });
    });
  });
}

describe('grn backends', () => {
  it('lists every backend with its availability as JSON', async () => {
    const r = await grn(['backends', '--no-probe', '--json']);
    assert.equal(r.code, 0, r.stderr);
    type Row = { backend: string; available: boolean; device?: string; gpu?: boolean; build?: string; reason?: string };
    const rows = (JSON.parse(r.stdout) as { backends: Row[] }).backends;
    assert.deepEqual(rows.map((b) => b.backend), ['tensorflow', 'webgpu', 'wasm', 'cpu']);
    for (const b of rows) assert.ok(b.available ? typeof b.device === 'string' && typeof b.gpu === 'boolean' : typeof b.reason === 'string');
    assert.ok(rows.find((b) => b.backend === 'cpu')!.available);
    // Which TensorFlow build loaded: the CUDA one (tfjs-node-gpu) when built, else the CPU one.
    const tensorflow = rows.find((b) => b.backend === 'tensorflow')!;
    if (tensorflow.available) assert.match(tensorflow.build ?? '', /^@tensorflow\/tfjs-node(-gpu)? 4\.22\.0 \((CPU|CUDA|rehearsal) build/);
  });

  it('says on each line whether the backend runs on a GPU', async () => {
    const r = await grn(['backends', '--no-probe']);
    assert.equal(r.code, 0, r.stderr);
    for (const line of r.stdout.trim().split('\n')) {
      if (/^\S+\s+yes /.test(line)) assert.match(line, /, GPU: (true|false)/);
    }
    assert.match(r.stdout, /^cpu\s+yes\s+CPU \(JavaScript, 1 thread\), GPU: false$/m);
  });
});

/** An MNIST fixture folder and a scratch folder, made before a describe block's tests and removed after. */
function fixtureFolders(): { dir: string; work: string } {
  const folders = { dir: '', work: '' };
  before(async () => {
    folders.dir = await writeMnistFixture({ train: 200, test: 50 });
    folders.work = await mkdtemp(join(tmpdir(), 'grn-cli-'));
  });
  after(async () => {
    await rm(folders.dir, { recursive: true, force: true });
    await rm(folders.work, { recursive: true, force: true });
  });
  return folders;
}

describe('grn train', () => {
  const folders = fixtureFolders();

  it('trains and writes a result file that matches the schema', async () => {
    const out = join(folders.work, 'r.json');
    const r = await grn(['train', '--data-dir', folders.dir, '--model', 'mlp', '--model-option', 'hidden=8', '--backend', 'cpu', '--epochs', '2', '--seed', '3', '--optimizer', 'adamw', '--lr', '0.002', '--hp', 'weight_decay=0.05', '--out', out]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /epoch 2\/2: train loss [\d.]+, test loss [\d.]+, test accuracy [\d.]+%/);
    const result = TrialResultSchema.parse(JSON.parse(await readFile(out, 'utf8')));
    assert.equal(result.manifest.optimizer, 'adamw');
    assert.equal(result.manifest.hyperparameters.lr, 0.002);
    assert.equal(result.manifest.hyperparameters.weight_decay, 0.05);
    assert.equal(result.manifest.seed, 3);
    assert.deepEqual(result.manifest.model_options, { hidden: 8 });
    assert.equal(result.accuracy.length, 2);
  });

  it("applies the defaults where no flag is given: mnist's batch size and epochs, sgd's lr, the model's options", async () => {
    const out = join(folders.work, 'defaults.json');
    const r = await grn(['train', '--data-dir', folders.dir, '--model', 'mlp', '--backend', 'cpu', '--train-limit', '64', '--test-limit', '16', '--out', out]);
    assert.equal(r.code, 0, r.stderr);
    const m = TrialResultSchema.parse(JSON.parse(await readFile(out, 'utf8'))).manifest;
    assert.deepEqual([m.batch_size, m.epochs, m.model, m.model_options, m.hyperparameters.lr], [64, 2, 'mlp', { hidden: 64 }, 0.01]);
  });

  it('prints the result on stdout with --json', async () => {
    const r = await grn(['train', '--data-dir', folders.dir, '--model', 'mlp', '--backend', 'cpu', '--epochs', '1', '--json', '--out', join(folders.work, 'j.json')]);
    assert.equal(r.code, 0, r.stderr);
    TrialResultSchema.parse(JSON.parse(r.stdout));
  });

  const usageCases: Array<[string, string[], RegExp]> = [
    ['an unknown flag', ['--epoch', '2'], /unknown option '--epoch'/],
    ['a bad integer', ['--epochs', 'two'], /option '--epochs <n>' argument 'two' is invalid. expected a positive integer/],
    ['an unknown optimizer', ['--optimizer', 'adma'], /argument 'adma' is invalid. Allowed choices are sgd, adam, adamw, rmsprop, nadamw/],
    ['an unknown hyper-parameter', ['--hp', 'betta=1'], /optimizer 'sgd': unknown hyper-parameter 'betta'/],
    ['a malformed --hp', ['--hp', 'lr'], /expected key=value, got 'lr'/],
    ['an option the model does not take', ['--model', 'simple-cnn', '--model-option', 'hidden=8'], /--model-option: unknown option 'hidden' for model 'simple-cnn' \(it takes none\)/],
    ['a bad model option', ['--model', 'mlp', '--model-option', 'hidden=0'], /--model-option: hidden: expected a positive integer/],
    ['an unknown backend', ['--backend', 'tpu'], /Allowed choices are auto, tensorflow, webgpu, wasm, cpu/],
    ['--max-length for an image data set', ['--max-length', '64'], /unknown option '--max-length' for data set 'mnist'/],
    ['a --max-length of 0', ['--max-length', '0'], /option '--max-length <n>' argument '0' is invalid/],
    ['a --max-length over 8192 for text', ['--dataset-kind', 'csv-text', '--max-length', '9000'], /--max-length: expected a whole number of tokens from 1 to 8192/],
  ];
  for (const [what, args, message] of usageCases) {
    it(`rejects ${what} with exit code 2 and a clear message`, async () => {
      const r = await grn(['train', '--data-dir', folders.dir, ...args]);
      assert.equal(r.code, 2, r.stderr);
      assert.match(r.stderr, message);
      assert.doesNotMatch(r.stderr, /\n\s+at /, 'no stack trace');
    });
  }

  it('names a missing data file without a stack trace', async () => {
    const r = await grn(['train', '--data-dir', join(folders.work, 'nowhere'), '--model', 'mlp', '--backend', 'cpu']);
    assert.equal(r.code, 1, r.stderr);
    assert.match(r.stderr, /grn: .*nowhere\/train-images-idx3-ubyte\.gz: file not found/);
    assert.doesNotMatch(r.stderr, /\n\s+at /, r.stderr);
  });

  it('names a corrupt data file', async () => {
    const bad = await writeMnistFixture({ train: 20, test: 10 });
    await writeFile(join(bad, 't10k-images-idx3-ubyte.gz'), Buffer.from('not gzip, not idx'));
    const r = await grn(['train', '--data-dir', bad, '--model', 'mlp', '--backend', 'cpu']);
    await rm(bad, { recursive: true, force: true });
    assert.equal(r.code, 1);
    assert.match(r.stderr, /t10k-images-idx3-ubyte\.gz: not an IDX file: wrong magic 6e 6f 74 20/);
  });

  it('ends a diverging run with exit 3 and a result that says where (tensorflow: NaN gradients once crashed its bincount)', async (t) => {
    if (!(await backendOrSkip(t, 'tensorflow'))) return;
    const out = join(folders.work, 'diverged.json');
    const r = await grn(['train', '--data-dir', folders.dir, '--model', 'mlp', '--backend', 'tensorflow', '--epochs', '2', '--lr', '1e30', '--out', out]);
    assert.equal(r.code, 3, r.stderr);
    assert.match(r.stderr, /training diverged at step \d+ \(epoch 1\)/);
    assert.doesNotMatch(r.stderr, /\n\s+at /, 'no stack trace');
    const result = TrialResultSchema.parse(JSON.parse(await readFile(out, 'utf8')));
    assert.equal(result.status, 'diverged');
    assert.equal(typeof result.divergence?.step, 'number');
  });

  it('refuses an --out that is a folder before training, with exit 2', async () => {
    const r = await grn(['train', '--data-dir', folders.dir, '--model', 'mlp', '--backend', 'cpu', '--epochs', '1', '--out', folders.work]);
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, /^grn: --out .*: is a folder; give a file name for the result/m);
    assert.doesNotMatch(r.stderr, /epoch 1\/1/, 'nothing was trained');
    assert.doesNotMatch(r.stderr, /\n\s+at /, 'no stack trace');
  });

  it('has --help', async () => {
    const r = await grn(['train', '--help']);
    assert.equal(r.code, 0);
    assert.match(r.stdout, /--train-limit <n>/);
  });
});

describe('grn train --gradcam', () => {
  let work: string;
  let cifar: string;
  before(async () => {
    work = await mkdtemp(join(tmpdir(), 'grn-gradcam-'));
    // 10 records per batch: 50 training and 10 test images of 32x32x3, CIFAR's binary format.
    cifar = await writeCifarFolder(work, cifarFiles(10));
  });
  after(async () => {
    await rm(work, { recursive: true, force: true });
  });

  it('writes one PNG of the image size per fixed test sample beside the result, listed with its sha256', async (t) => {
    // SimpleCNN on 32x32x3 takes minutes an epoch on the pure-JS cpu backend.
    if (!(await backendOrSkip(t, 'tensorflow'))) return;
    const out = join(work, 'cam.json');
    const r = await grn(['train', '--dataset', 'cifar10', '--data-dir', cifar, '--backend', 'tensorflow', '--epochs', '1', '--batch-size', '10', '--gradcam', '--gradcam-samples', '3', '--cache-dir', join(work, 'cache'), '--out', out]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /3 Grad-CAM image\(s\) written to .*cam\.gradcam/);
    const result = TrialResultSchema.parse(JSON.parse(await readFile(out, 'utf8')));
    const cam = result.gradcam!;
    assert.equal(cam.layer, 'conv2');
    assert.equal(cam.dir, 'cam.gradcam');
    assert.deepEqual(cam.images.map((i) => i.index), [0, 3, 6]);
    assert.deepEqual(cam.images.map((i) => i.file), [0, 1, 2].map((i) => `cifar10-sgd-seed1-${i}.png`));
    for (const image of cam.images) {
      const bytes: Buffer = await readFile(join(work, cam.dir!, image.file));
      assert.equal(createHash('sha256').update(bytes).digest('hex'), image.sha256);
      const png = PNG.sync.read(bytes);
      assert.deepEqual([png.width, png.height, image.width, image.height], [32, 32, 32, 32]);
    }
  });

  it('names the model\'s layers when asked for one it does not have, before training', async () => {
    const r = await grn(['train', '--dataset', 'cifar10', '--data-dir', cifar, '--backend', 'cpu', '--epochs', '1', '--gradcam-layer', 'fc9', '--cache-dir', join(work, 'cache'), '--out', join(work, 'bad.json')]);
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, /Grad-CAM layer 'fc9': model 'simple-cnn' has no such layer; its layers: conv1, conv2/);
    assert.doesNotMatch(r.stderr, /epoch 1\/1/, 'nothing was trained');
  });

  it('refuses a model without conv layers', async () => {
    const r = await grn(['train', '--dataset', 'cifar10', '--data-dir', cifar, '--model', 'mlp', '--backend', 'cpu', '--epochs', '1', '--gradcam', '--cache-dir', join(work, 'cache'), '--out', join(work, 'mlp.json')]);
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, /Grad-CAM: model 'mlp' has no layer it can explain/);
  });
});

describe('grn train --validation', () => {
  const folders = fixtureFolders();

  it('holds out a validation split, evaluates it after every epoch and says so; the train limit applies to what it leaves', async () => {
    const out = join(folders.work, 'v.json');
    const r = await grn(['train', '--data-dir', folders.dir, '--model', 'mlp', '--backend', 'cpu', '--epochs', '2', '--validation', '0.25', '--validation-seed', '4', '--train-limit', '100', '--out', out]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /mnist: 100 train, 50 validation \(split seed 4\), 50 test samples/);
    assert.match(r.stderr, /epoch 2\/2: train loss [\d.]+, test loss [\d.]+, test accuracy [\d.]+%, validation loss [\d.]+, validation accuracy [\d.]+%/);
    const result = TrialResultSchema.parse(JSON.parse(await readFile(out, 'utf8')));
    assert.deepEqual([result.validation?.samples, result.validation?.seed, result.validation?.accuracy?.length], [50, 4, 2]);
    assert.equal(result.manifest.dataset.train_samples, 100);
  });

  it('a bad size, a split seed without a split, or no training data left is an error before training', async () => {
    const bad = await grn(['train', '--data-dir', folders.dir, '--model', 'mlp', '--backend', 'cpu', '--validation', '1.5', '--out', join(folders.work, 'x.json')]);
    assert.equal(bad.code, 2, bad.stderr);
    assert.match(bad.stderr, /--validation: expected a fraction between 0 and 1 \(e\.g\. 0\.1\) or a whole number of samples, got '1\.5'/);
    const seedOnly = await grn(['train', '--data-dir', folders.dir, '--model', 'mlp', '--backend', 'cpu', '--validation-seed', '3', '--out', join(folders.work, 'x.json')]);
    assert.equal(seedOnly.code, 2, seedOnly.stderr);
    assert.match(seedOnly.stderr, /--validation-seed draws the validation split: give --validation too/);
    const all = await grn(['train', '--data-dir', folders.dir, '--model', 'mlp', '--backend', 'cpu', '--validation', '200', '--out', join(folders.work, 'x.json')]);
    assert.equal(all.code, 2, all.stderr);
    assert.match(all.stderr, /validation 200 takes 200 samples, which leaves no training data \(the training split has 200\)/);
  });
});
