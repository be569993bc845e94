import { Command, Option } from 'commander';
import { mkdir, writeFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { UsageError } from '../../shared/errors.js';
import { BUILT_IN_TRAINING, resolveSettings } from '../../shared/settings.js';
import { BAD_SAMPLE_POLICIES, DEFAULT_VALIDATION_SEED, GRADCAM_DEFAULT_SAMPLES, TrialConfigSchema, ValidationSizeSchema, type HyperParameterValue } from '../../shared/trial.js';
import { BACKEND_CHOICES, DATASETS, datasetOptionProblems, FORMATS, MODELS, OPTIMIZERS, trainingCatalog, trialModel } from '../../worker/engine/catalog.js';
import { hyperParameter, nonNegativeInt, positiveInt, positiveNumber } from './options.js';
import { checkOutputFile } from './output-paths.js';

interface TrainFlags {
  dataset?: string;
  datasetKind?: string;
  dataDir?: string;
  cacheDir?: string;
  size?: [number, number];
  channels?: 1 | 3;
  maxLength?: number;
  tokenizer?: string;
  holdout?: number;
  validation?: number;
  validationSeed?: number;
  onBadSample?: (typeof BAD_SAMPLE_POLICIES)[number];
  model?: string;
  modelOption: Record<string, HyperParameterValue>;
  optimizer: string;
  epochs?: number;
  seed: number;
  batchSize?: number;
  lr?: number;
  hp: Record<string, HyperParameterValue>;
  backend: string;
  device?: number;
  trainLimit?: number;
  testLimit?: number;
  telemetryEvery: number;
  out?: string;
  json?: boolean;
  gradcam?: boolean;
  gradcamSamples?: number;
  gradcamLayer?: string;
}

/** `--size 64x64` or `--size 64,64` → [height, width]. */
function imageSize(text: string): [number, number] {
  const m = /^(\d+)[x,](\d+)$/.exec(text.trim());
  if (!m || Number(m[1]) < 1 || Number(m[2]) < 1) throw new UsageError(`--size: expected HEIGHTxWIDTH in pixels (e.g. 64x64), got '${text}'`);
  return [Number(m[1]), Number(m[2])];
}

function channelCount(text: string): 1 | 3 {
  if (text !== '1' && text !== '3') throw new UsageError(`--channels: expected 1 (grey) or 3 (RGB), got '${text}'`);
  return Number(text) as 1 | 3;
}

function fraction(text: string): number {
  const x = Number(text);
  if (!(x > 0 && x < 1)) throw new UsageError(`--holdout: expected a fraction between 0 and 1 (e.g. 0.2), got '${text}'`);
  return x;
}

/** `--validation 0.1` (a fraction of the training split) or `--validation 5000` (samples). */
function validationSize(text: string): number {
  const parsed = ValidationSizeSchema.safeParse(text.trim() === '' ? Number.NaN : Number(text));
  if (!parsed.success) throw new UsageError(`--validation: expected a fraction between 0 and 1 (e.g. 0.1) or a whole number of samples, got '${text}'`);
  return parsed.data;
}

export function trainCommand(): Command {
  return new Command('train')
    .description('train one trial (data set x optimizer x seed) and write its result JSON')
    .addOption(new Option('--dataset <name>', `data set of the catalog (${DATASETS.names.join(', ')}), or with --dataset-kind the name of your own (default: mnist)`))
    .addOption(new Option('--dataset-kind <kind>', 'read --data-dir as your own data set in this format').choices(FORMATS.names))
    .option('--data-dir <dir>', 'folder (or archive) holding the data set files (nothing is downloaded)')
    .option('--cache-dir <dir>', 'download and decoded-image cache (default ~/.cache/grn/datasets)')
    .option('--size <HxW>', 'image formats: resize every image to HEIGHTxWIDTH', imageSize)
    .option('--channels <n>', 'image formats: 1 (grey) or 3 (RGB)', channelCount)
    .option('--max-length <n>', 'text: tokens per text (default 128)', positiveInt)
    .option('--tokenizer <path>', 'text: a Hugging Face tokenizer.json or BERT vocab.txt (or a folder holding one) instead of a vocabulary built from the training split')
    .option('--holdout <fraction>', 'hold out this fraction of the training split as the test split (seeded, stratified)', fraction)
    .option('--validation <size>', 'hold out a validation split of the training split, evaluated after every epoch: a fraction (0.1) or a count; the limits then apply to what is left', validationSize)
    .option('--validation-seed <n>', `seed of the data split with --validation (default ${DEFAULT_VALIDATION_SEED}: the same samples for every optimizer and seed)`, nonNegativeInt)
    .addOption(new Option('--on-bad-sample <policy>', 'an unreadable image: fail naming it, or skip and count it').choices(BAD_SAMPLE_POLICIES))
    .addOption(new Option('--model <name>', "model (default: the data set's)").choices(MODELS.names))
    .option('--model-option <key=value>', "an option of the model, repeatable (its catalog schema checks it)", hyperParameter, {})
    .addOption(new Option('--optimizer <name>', 'optimizer').choices(OPTIMIZERS.names).default('sgd'))
    .option('--epochs <n>', `epochs (default: the data set's, else ${BUILT_IN_TRAINING.epochs})`, positiveInt)
    .option('--seed <n>', 'seed for initialisation, data order and optimizer randomness', nonNegativeInt, 1)
    .option('--batch-size <n>', `batch size (default: the data set's, e.g. 16 for text, else ${BUILT_IN_TRAINING.batch_size})`, positiveInt)
    .option('--lr <x>', "learning rate (default: the data set's, e.g. 0.01 for text, else the optimizer's, as in the original)", positiveNumber)
    .option('--hp <key=value>', 'any other optimizer hyper-parameter, repeatable (e.g. --hp momentum=0.95)', hyperParameter, {})
    .addOption(new Option('--backend <name>', 'compute backend').choices(BACKEND_CHOICES).default('auto'))
    .option('--device <index>', 'device index (WebGPU adapter / CUDA device) to train on', nonNegativeInt)
    .option('--train-limit <n>', 'use only the first N training samples (with --validation: N of those it leaves)', positiveInt)
    .option('--test-limit <n>', 'use only the first N test samples', positiveInt)
    .option('--telemetry-every <k>', 'keep every K-th batch record in the result', positiveInt, 1)
    .option('--out <file>', 'result file (default results/train/<dataset>-<optimizer>-seed<seed>-<time>.json)')
    .option('--json', 'print the result JSON on stdout (progress stays on stderr)')
    .option('--gradcam', 'after training, write Grad-CAM overlays of fixed test samples beside the result (<out>.gradcam/)')
    .option('--gradcam-samples <n>', `test samples to explain (default ${GRADCAM_DEFAULT_SAMPLES}); implies --gradcam`, positiveInt)
    .option('--gradcam-layer <name>', "layer to explain (default: the model's last conv); implies --gradcam")
    .action(async (flags: TrainFlags) => {
      const config = trialConfig(flags);
      if (flags.out) await checkOutputFile(flags.out, '--out', 'result');
      // The engine (and TensorFlow.js with it) loads only when a trial really runs.
      const [{ runTrial }, { consoleListener }] = await Promise.all([import('../../worker/engine/trial.js'), import('../../worker/engine/telemetry/console.js')]);
      const artefacts: Array<{ name: string; bytes: Uint8Array }> = [];
      const result = await runTrial(config, { listener: consoleListener(), cacheDir: flags.cacheDir, onArtefact: (a) => void artefacts.push(a) });
      const stamp = result.manifest.started_at.replace(/[:.]/g, '-');
      const out = flags.out ?? join('results', 'train', `${config.dataset}-${config.optimizer}-seed${config.seed}-${stamp}.json`);
      await mkdir(dirname(out), { recursive: true });
      if (result.gradcam) {
        // `run.json` → `run.gradcam/`, named in the result relative to it.
        const dir = `${out.replace(/\.json$/i, '')}.gradcam`;
        await mkdir(dir, { recursive: true });
        for (const a of artefacts) await writeFile(join(dir, a.name), a.bytes);
        result.gradcam.dir = basename(dir);
        process.stderr.write(`${artefacts.length} Grad-CAM image(s) written to ${dir}\n`);
      }
      const text = `${JSON.stringify(result, null, 2)}\n`;
      await writeFile(out, text);
      process.stderr.write(`result written to ${out}\n`);
      if (flags.json) process.stdout.write(text);
      if (result.status === 'diverged') process.exitCode = 3;
    });
}

/** The flags as a trial, checked against the catalog: data set or format, its options, the model's task. */
function trialConfig(flags: TrainFlags) {
  const hyperparameters = { ...flags.hp };
  if (flags.lr !== undefined) {
    if ('lr' in flags.hp) throw new UsageError('give the learning rate once: --lr or --hp lr=…, not both');
    hyperparameters.lr = flags.lr;
  }
  const kind = flags.datasetKind;
  const dataset = flags.dataset ?? (kind ? undefined : 'mnist');
  if (kind) {
    if (!flags.dataDir) throw new UsageError(`--dataset-kind ${kind} reads your own files: give --data-dir (a folder or archive)`);
    if (dataset !== undefined && DATASETS.has(dataset)) throw new UsageError(`--dataset ${dataset} is a catalog data set; with --dataset-kind, name your own data set something else`);
  } else if (!DATASETS.has(dataset!)) {
    throw new UsageError(`--dataset: unknown data set '${dataset}'; known: ${DATASETS.names.join(', ')} (or read your own with --dataset-kind ${FORMATS.names.join('|')} --data-dir DIR)`);
  }
  const name = dataset ?? defaultName(flags.dataDir!);
  const dataOptions = Object.fromEntries(
    Object.entries({ size: flags.size, channels: flags.channels, max_length: flags.maxLength, tokenizer: flags.tokenizer }).filter(([, v]) => v !== undefined),
  );
  const choice = { dataset: name, kind };
  // The catalog names its options as a spec does: name the flags instead (`'max_length'` → `'--max-length'`).
  const problems = datasetOptionProblems(choice, dataOptions).map((p) =>
    p.replace(/^(size|channels|max_length|tokenizer)\b/, (f) => `--${f.replace('_', '-')}`).replace(/'(size|channels|max_length|tokenizer)'/g, (_, f: string) => `'--${f.replace('_', '-')}'`),
  );
  if (problems.length) throw new UsageError(problems.join('; '));
  if (flags.validationSeed !== undefined && flags.validation === undefined) throw new UsageError('--validation-seed draws the validation split: give --validation too');
  const { problem } = trialModel(choice, flags.model);
  if (problem) throw new UsageError(problem);
  // The catalog's defaults for the data set, the flags over them (shared/settings.ts), as a sweep cell.
  const s = resolveSettings(trainingCatalog, {
    choice,
    optimizer: flags.optimizer,
    dataOptions,
    layers: [{ epochs: flags.epochs, batch_size: flags.batchSize, train_limit: flags.trainLimit, test_limit: flags.testLimit, validation: flags.validation, model: flags.model, model_options: flags.modelOption }],
    params: hyperparameters,
  });
  if (s.model !== undefined) {
    const modelProblems = trainingCatalog.modelOptions(s.model, s.model_options).problems;
    if (modelProblems.length) throw new UsageError(`--model-option: ${modelProblems.join('; ')}`);
  }
  return TrialConfigSchema.parse({
    dataset: name,
    kind,
    dataDir: flags.dataDir,
    ...(Object.keys(s.data_options).length ? { dataOptions: s.data_options } : {}),
    holdout: flags.holdout,
    onBadSample: flags.onBadSample,
    validation: s.validation,
    validationSeed: s.validation !== undefined ? (flags.validationSeed ?? DEFAULT_VALIDATION_SEED) : undefined,
    model: s.model,
    ...(Object.keys(s.model_options).length ? { modelOptions: s.model_options } : {}),
    optimizer: flags.optimizer,
    hyperparameters: s.hyperparameters,
    epochs: s.epochs,
    batchSize: s.batch_size,
    seed: flags.seed,
    trainLimit: s.train_limit,
    testLimit: s.test_limit,
    backend: flags.backend,
    deviceIndex: flags.device,
    telemetryEvery: flags.telemetryEvery,
    ...(flags.gradcam || flags.gradcamSamples !== undefined || flags.gradcamLayer !== undefined
      ? { gradcam: { samples: flags.gradcamSamples ?? GRADCAM_DEFAULT_SAMPLES, ...(flags.gradcamLayer ? { layer: flags.gradcamLayer } : {}) } }
      : {}),
  });
}

/** A user's data set named after its folder or archive: `/data/xray.tar` → `xray`. */
function defaultName(dataDir: string): string {
  const base = dataDir.replace(/\/+$/, '').split('/').pop() ?? 'data';
  return base.replace(/\.(tar\.gz|tgz|tar|zip)$/i, '').replace(/[^A-Za-z0-9_-]/g, '_') || 'data';
}
