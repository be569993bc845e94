import { Command, Option } from 'commander';
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { UsageError } from '../../shared/errors.js';
import { TrialConfigSchema, BACKEND_CHOICES, type HyperParameterValue } from '../../shared/trial.js';
import { datasets } from '../../worker/engine/datasets/index.js';
import { models } from '../../worker/engine/models/index.js';
import { optimizers } from '../../worker/engine/optimizers/index.js';
import { consoleListener } from '../../worker/engine/telemetry/console.js';
import { runTrial } from '../../worker/engine/trial.js';
import { hyperParameter, nonNegativeInt, positiveInt, positiveNumber } from './options.js';
import { checkOutputFile } from './output-paths.js';

interface TrainFlags {
  dataset: string;
  dataDir?: string;
  cacheDir?: string;
  model?: string;
  optimizer: string;
  epochs: number;
  seed: number;
  batchSize: number;
  lr?: number;
  hp: Record<string, HyperParameterValue>;
  backend: (typeof BACKEND_CHOICES)[number];
  device?: number;
  trainLimit?: number;
  testLimit?: number;
  telemetryEvery: number;
  out?: string;
  json?: boolean;
}

export function trainCommand(): Command {
  return new Command('train')
    .description('train one trial (data set x optimizer x seed) and write its result JSON')
    .addOption(new Option('--dataset <name>', 'data set').choices(Object.keys(datasets)).default('mnist'))
    .option('--data-dir <dir>', 'folder holding the data set files (nothing is downloaded)')
    .option('--cache-dir <dir>', 'download cache (default ~/.cache/grn/datasets)')
    .addOption(new Option('--model <name>', 'model (default: the data set\'s)').choices(Object.keys(models)))
    .addOption(new Option('--optimizer <name>', 'optimizer').choices(Object.keys(optimizers)).default('sgd'))
    .option('--epochs <n>', 'epochs', positiveInt, 2)
    .option('--seed <n>', 'seed for initialisation, data order and optimizer randomness', nonNegativeInt, 1)
    .option('--batch-size <n>', 'batch size', positiveInt, 64)
    .option('--lr <x>', 'learning rate (default: the optimizer\'s, as in the original)', positiveNumber)
    .option('--hp <key=value>', 'any other optimizer hyper-parameter, repeatable (e.g. --hp momentum=0.95)', hyperParameter, {})
    .addOption(new Option('--backend <name>', 'compute backend').choices(BACKEND_CHOICES).default('auto'))
    .option('--device <index>', 'device index (WebGPU adapter / CUDA device) to train on', nonNegativeInt)
    .option('--train-limit <n>', 'use only the first N training samples', positiveInt)
    .option('--test-limit <n>', 'use only the first N test samples', positiveInt)
    .option('--telemetry-every <k>', 'keep every K-th batch record in the result', positiveInt, 1)
    .option('--out <file>', 'result file (default results/train/<dataset>-<optimizer>-seed<seed>-<time>.json)')
    .option('--json', 'print the result JSON on stdout (progress stays on stderr)')
    .action(async (flags: TrainFlags) => {
      const hyperparameters = { ...flags.hp };
      if (flags.lr !== undefined) {
        if ('lr' in flags.hp) throw new UsageError('give the learning rate once: --lr or --hp lr=…, not both');
        hyperparameters.lr = flags.lr;
      }
      const config = TrialConfigSchema.parse({
        dataset: flags.dataset,
        dataDir: flags.dataDir,
        model: flags.model,
        optimizer: flags.optimizer,
        hyperparameters,
        epochs: flags.epochs,
        batchSize: flags.batchSize,
        seed: flags.seed,
        trainLimit: flags.trainLimit,
        testLimit: flags.testLimit,
        backend: flags.backend,
        deviceIndex: flags.device,
        telemetryEvery: flags.telemetryEvery,
      });
      if (flags.out) await checkOutputFile(flags.out, '--out', 'result');
      const result = await runTrial(config, { listener: consoleListener(), cacheDir: flags.cacheDir });
      const stamp = result.manifest.started_at.replace(/[:.]/g, '-');
      const out = flags.out ?? join('results', 'train', `${config.dataset}-${config.optimizer}-seed${config.seed}-${stamp}.json`);
      await mkdir(dirname(out), { recursive: true });
      const text = `${JSON.stringify(result, null, 2)}\n`;
      await writeFile(out, text);
      process.stderr.write(`result written to ${out}\n`);
      if (flags.json) process.stdout.write(text);
      if (result.status === 'diverged') process.exitCode = 3;
    });
}
