import { InvalidArgumentError, Option, type Command } from 'commander';
import { Document, isMap, visit } from 'yaml';
import { UsageError } from '../../shared/errors.js';
import { SpecError } from '../../shared/sweep/errors.js';
import { parseSweepSpec } from '../../shared/sweep/load.js';
import type { SweepSpec } from '../../shared/sweep/spec.js';
import type { HyperParameterValue } from '../../shared/trial.js';
import { OPTIMIZERS } from '../../worker/engine/catalog.js';
import { engineKnownNames } from '../sweep/known-names.js';
import { hyperParameter, nonNegativeInt, positiveInt } from './options.js';

/**
 * `grn sweep ablate OPTIMIZER …`: the flags of a one-component-off ablation, turned into the sweep
 * spec they stand for (an `ablate:` block, shared/sweep/ablation.ts), which is then written
 * (`--out`) or run like any spec. A problem in it is reported as the flag that caused it.
 */
export interface AblateFlags {
  base?: string;
  hp?: Record<string, HyperParameterValue>;
  dataset: string[];
  seeds?: number[];
  components?: string[];
  with?: string[];
  epochs?: number;
  batchSize?: number;
  trainLimit?: number;
  testLimit?: number;
  model?: string;
  backend?: string;
  dataRoot?: string;
  target?: Record<string, number>;
  name?: string;
  out?: string;
}

export const DEFAULT_SEEDS = [1, 2, 3, 4, 5];

const list = (value: string) => value.split(',').map((s) => s.trim()).filter(Boolean);

/** `--seeds 1-5`, `1,3,7-9`: non-negative integers and inclusive ranges. */
export function seedList(value: string): number[] {
  const seeds: number[] = [];
  for (const part of list(value)) {
    const m = /^(\d+)(?:-(\d+))?$/.exec(part);
    if (!m) throw new InvalidArgumentError(`expected seeds such as 1-5 or 1,2,7, got '${part}'`);
    const a = nonNegativeInt(m[1]!);
    const b = m[2] === undefined ? a : nonNegativeInt(m[2]);
    if (b < a) throw new InvalidArgumentError(`the range '${part}' runs backwards`);
    if (b - a >= 10_000) throw new InvalidArgumentError(`the range '${part}' has more than 10,000 seeds`);
    for (let s = a; s <= b; s++) seeds.push(s);
  }
  if (seeds.length === 0) throw new InvalidArgumentError('expected at least one seed');
  return seeds;
}

/** `--target mnist=0.98[,cifar10=0.6]`, repeatable. */
function targets(value: string, previous: Record<string, number> = {}): Record<string, number> {
  const out = { ...previous };
  for (const part of list(value)) {
    const m = /^([A-Za-z0-9_-]+)=(.+)$/.exec(part);
    const x = m ? Number(m[2]) : Number.NaN;
    if (!m || !Number.isFinite(x)) throw new InvalidArgumentError(`expected DATASET=ACCURACY (e.g. mnist=0.98), got '${part}'`);
    out[m[1]!] = x;
  }
  return out;
}

/** The ablation's own flags (the run flags are `grn sweep run`'s). */
export function ablateOptions(command: Command): Command {
  return command
    .argument('<optimizer>', 'the optimizer whose switches are ablated (enhanced-sgd)')
    .requiredOption('--dataset <names>', 'data sets, comma-separated (e.g. mnist,cifar10)', list)
    .option('--base <mode>', "the base configuration's mode (enhanced-sgd: controller intended, as-written, seed or off; default: the optimizer's default)")
    .option('--hp <key=value>', 'another hyper-parameter of the base (repeatable)', hyperParameter)
    .addOption(new Option('--seeds <list>', 'seeds, e.g. 1-5 or 1,2,7').default(DEFAULT_SEEDS, '1-5').argParser(seedList))
    .option('--components <names>', 'switches to flip one at a time, comma-separated (default: every switch the base can flip)', list)
    .option('--with <optimizers>', 'plain optimizers to run beside the ablation as baselines, comma-separated (e.g. sgd)', list)
    .option('--epochs <n>', "epochs per cell (default: the data set's)", positiveInt)
    .option('--batch-size <n>', "mini-batch size (default: the data set's)", positiveInt)
    .option('--train-limit <n>', 'use only the first N training samples', positiveInt)
    .option('--test-limit <n>', 'use only the first N test samples', positiveInt)
    .option('--model <name>', "model (default: the data set's)")
    .option('--backend <name>', 'backend on the workers (default auto)')
    .option('--data-root <dir>', 'folder holding one folder per data set on the workers (default: their $GRN_DATA_ROOT, else their download cache)')
    .option('--target <dataset=accuracy>', 'accuracy target per data set, for time to target (repeatable, or comma-separated)', targets)
    .option('--name <name>', 'sweep name (default ablate-<optimizer>)')
    .option('--out <spec.yaml>', 'write the spec there instead of running it');
}

/** The spec the flags stand for, as a plain object in the spec's own keys. */
function specObject(optimizer: string, flags: AblateFlags): Record<string, unknown> {
  const mode = OPTIMIZERS.find(optimizer)?.switches?.mode;
  const base: Record<string, HyperParameterValue> = {};
  if (flags.base !== undefined) {
    if (mode && !mode.values.includes(flags.base)) {
      throw new UsageError(`--base: expected a mode of ${optimizer} (${mode.values.join(', ')}), got '${flags.base}'; other hyper-parameters of the base go in --hp key=value`);
    }
    base[mode?.parameter ?? 'controller'] = flags.base;
  }
  Object.assign(base, flags.hp);
  const train = Object.fromEntries(
    Object.entries({ epochs: flags.epochs, batch_size: flags.batchSize, train_limit: flags.trainLimit, test_limit: flags.testLimit, model: flags.model, backend: flags.backend }).filter(([, v]) => v !== undefined),
  );
  const baseText = Object.entries(base).map(([k, v]) => `${k}=${String(v)}`).join(', ') || 'its defaults';
  return {
    name: flags.name ?? `ablate-${optimizer}`,
    description: `One-component-off ablation of ${optimizer} around ${baseText} (grn sweep ablate)`,
    grid: { ...(flags.with?.length ? { optimizer: flags.with } : {}), dataset: flags.dataset, seed: flags.seeds ?? DEFAULT_SEEDS },
    ablate: { optimizer, base, components: flags.components?.length ? flags.components : 'all' },
    ...(Object.keys(train).length ? { train } : {}),
    ...(flags.target ? { target: flags.target } : {}),
    ...(flags.dataRoot ? { data_root: flags.dataRoot } : {}),
  };
}

/** YAML as a person would write it: lists and the base inline. */
function yamlText(spec: Record<string, unknown>): string {
  const doc = new Document(spec);
  visit(doc, {
    Seq: (_, node) => void (node.flow = true),
    Pair: (_, pair) => {
      const key = String((pair.key as { value?: unknown } | null)?.value ?? '');
      if ((key === 'base' || key === 'target') && isMap(pair.value)) pair.value.flow = true;
    },
  });
  return doc.toString({ lineWidth: 0, flowCollectionPadding: false });
}

/** Spec fields → the flag that sets them, for errors. */
const FLAG_OF: ReadonlyArray<readonly [string, string]> = [
  ['grid.dataset', '--dataset'],
  ['grid.seed', '--seeds'],
  ['grid.optimizer', '--with'],
  ['ablate.optimizer', ''],
  ['ablate.base', '--base/--hp'],
  ['ablate.components', '--components'],
  ['train.epochs', '--epochs'],
  ['train.batch_size', '--batch-size'],
  ['train.train_limit', '--train-limit'],
  ['train.test_limit', '--test-limit'],
  ['train.model', '--model'],
  ['train.backend', '--backend'],
  ['target', '--target'],
  ['data_root', '--data-root'],
  ['name', '--name'],
];

export const ABLATE_SOURCE = 'grn sweep ablate';

/**
 * The spec text and the spec, checked as `grn sweep plan` checks a file; every problem is named
 * by its flag (`--components: unknown switch 'centring' …`).
 */
export function ablationSpec(optimizer: string, flags: AblateFlags): { text: string; spec: SweepSpec } {
  const text = `# ${ABLATE_SOURCE}: a one-component-off ablation (sweeps/README.md, ablate:)\n${yamlText(specObject(optimizer, flags))}`;
  try {
    return { text, spec: parseSweepSpec(text, ABLATE_SOURCE, engineKnownNames()) };
  } catch (err) {
    if (!(err instanceof SpecError)) throw err;
    const lines = err.problems.map((p) => {
      const flag = FLAG_OF.find(([field]) => p.path === field || p.path?.startsWith(`${field}.`) || p.path?.startsWith(`${field}[`))?.[1];
      return flag === '' ? p.message : `${flag ?? p.path ?? ABLATE_SOURCE}: ${p.message}`;
    });
    throw new UsageError(lines.length === 1 ? `${ABLATE_SOURCE}: ${lines[0]}` : [`${ABLATE_SOURCE}: ${lines.length} problems`, ...lines.map((l) => `  ${l}`)].join('\n'));
  }
}
