import { modelLayers, type SettingsLayer } from '../settings.js';
import type { HyperParameterValue } from '../trial.js';
import { ablationFindings } from './ablation-checks.js';
import { optimizerVariants } from './grid.js';
import type { FieldPath } from './locate.js';
import { DatasetEntrySchema, datasetEntryName, datasetSpec, OptimizerParamsSchema, TrainOverrideSchema, TrainSchema, type GradcamSpec, type KnownNames } from './spec.js';
import { unknownName } from './suggest.js';
import { tuneFindings } from './tuning/checks.js';

/** A problem before it is given a line and column: the field, and whether to point at its key. */
export interface Finding {
  path: FieldPath;
  at?: 'value' | 'key';
  message: string;
}

type Dict = Record<string, unknown>;
const isDict = (v: unknown): v is Dict => v !== null && typeof v === 'object' && !Array.isArray(v);

/**
 * The checks the static schema cannot make: names against the injected registries, duplicates,
 * params and targets that refer to the grid, and each optimizer variant's hyper-parameters. They
 * run on the raw parsed YAML and look only at parts with the right shape, so they report next to
 * (never instead of, nor twice with) the schema's own problems.
 */
export function semanticFindings(raw: unknown, known: KnownNames): Finding[] {
  if (!isDict(raw)) return [];
  const findings: Finding[] = [];
  const grid = isDict(raw.grid) ? raw.grid : {};
  const ablate = isDict(raw.ablate) && typeof raw.ablate.optimizer === 'string' ? raw.ablate.optimizer : undefined;
  // grid.optimizer may be left out when an ablation names the optimizer it studies.
  const noOptimizers = isDict(raw.grid) && grid.optimizer === undefined;
  if (noOptimizers && raw.ablate === undefined) findings.push({ path: ['grid', 'optimizer'], message: 'missing: expected a non-empty list of optimizer names (or an ablate: block naming the optimizer to ablate)' });
  const gridOptimizers = checkNames(grid.optimizer, ['grid', 'optimizer'], 'optimizer', known.optimizers, findings) ?? (noOptimizers ? { listed: [], valid: [] } : undefined);
  const model = isDict(raw.train) && typeof raw.train.model === 'string' && raw.train.model !== '' ? raw.train.model : null;
  const gridDatasets = datasetFindings(grid.dataset, known, findings);
  checkDuplicates(grid.seed, ['grid', 'seed'], 'seed', findings);

  const params = isDict(raw.params) ? raw.params : {};
  if (gridOptimizers) {
    for (const optimizer of Object.keys(params)) {
      if (gridOptimizers.listed.includes(optimizer)) continue;
      const listed = gridOptimizers.listed.length ? `(${gridOptimizers.listed.join(', ')})` : '(none listed)';
      const problem = known.optimizers.includes(optimizer)
        ? `optimizer '${optimizer}' is not in grid.optimizer ${listed}${optimizer === ablate ? "; the ablation's base hyper-parameters go in ablate.base" : ''}`
        : `${unknownName('optimizer', optimizer, known.optimizers)}; params keys must be optimizers of grid.optimizer`;
      findings.push({ path: ['params', optimizer], at: 'key', message: problem });
    }
  }
  for (const [optimizer, value] of Object.entries(params)) {
    if (!OptimizerParamsSchema.safeParse(value).success) continue;
    for (const [key, axis] of Object.entries(value as Dict)) checkDuplicates(axis, ['params', optimizer, key], `value of ${key}`, findings);
  }
  if (known.checkHyperparameters && gridOptimizers) {
    for (const optimizer of gridOptimizers.valid) {
      findings.push(...hyperparameterFindings(optimizer, params[optimizer], gridOptimizers.listed.indexOf(optimizer), known.checkHyperparameters));
    }
  }

  if (isDict(raw.target) && gridDatasets) {
    for (const dataset of Object.keys(raw.target)) {
      if (gridDatasets.listed.includes(dataset)) continue;
      findings.push({ path: ['target', dataset], at: 'key', message: `data set '${dataset}' is not in grid.dataset (${gridDatasets.listed.join(', ')})` });
    }
  }
  findings.push(...ablationFindings(raw, known));
  const ablated = ablate !== undefined && known.optimizers.includes(ablate) && !gridOptimizers?.valid.includes(ablate) ? [ablate] : [];
  if (gridDatasets) findings.push(...trainingFindings(raw, known, gridDatasets, [...(gridOptimizers?.valid ?? []), ...ablated]));
  const backend = isDict(raw.train) ? raw.train.backend : undefined;
  if (known.backends && typeof backend === 'string' && backend !== '' && backend !== 'auto' && !known.backends.includes(backend)) {
    findings.push({ path: ['train', 'backend'], message: `expected one of ${['auto', ...known.backends].join(', ')}, got '${backend}'` });
  }
  if (known.models && model !== null && !known.models.includes(model)) {
    findings.push({ path: ['train', 'model'], message: unknownName('model', model, known.models) });
  }
  findings.push(...tuneFindings(raw));
  return findings;
}

/**
 * The grid's data sets: catalog names known, formats known, a path for the user's own data, names
 * unique, and what the engine says of each entry's options and its model's task. Entries the
 * schema rejects are left to it.
 */
function datasetFindings(list: unknown, known: KnownNames, findings: Finding[]): { listed: string[]; valid: GridDataset[] } | undefined {
  if (!Array.isArray(list)) return undefined;
  const path = ['grid', 'dataset'];
  const first = new Map<string, number>();
  const valid: GridDataset[] = [];
  list.forEach((entry, i) => {
    const parsed = DatasetEntrySchema.safeParse(entry);
    if (!parsed.success) return;
    const d = datasetSpec(parsed.data);
    const name = datasetEntryName(parsed.data);
    const at = [...path, i];
    if (name === undefined) {
      findings.push({ path: at, message: 'a data set mapping needs a name (or a path to name it after)' });
      return;
    }
    const seen = first.get(name);
    if (seen !== undefined) findings.push({ path: at, message: `duplicate data set '${name}' (also at [${seen}])` });
    else first.set(name, i);
    if (d.kind !== undefined) {
      const formats = known.formats ?? [];
      if (!formats.includes(d.kind)) {
        findings.push({ path: [...at, 'kind'], message: unknownName('data format', d.kind, formats) });
        return;
      }
      if (d.path === undefined) findings.push({ path: at, message: `data set '${name}' of kind '${d.kind}' needs a path (the folder or archive holding it)` });
      if (known.datasets.includes(name)) findings.push({ path: [...at, 'name'], message: `'${name}' is a catalog data set; give your own data another name` });
    } else if (!known.datasets.includes(name)) {
      const hint = known.formats?.length ? ` (your own data needs a kind: ${known.formats.join(', ')})` : '';
      findings.push({ path: typeof entry === 'string' ? at : [...at, 'name'], message: `${unknownName('data set', name, known.datasets)}${hint}` });
      return;
    }
    if (seen === undefined) valid.push({ choice: { dataset: name, ...(d.kind !== undefined ? { kind: d.kind } : {}) }, at, ...(d.gradcam !== undefined ? { gradcam: d.gradcam } : {}) });
    for (const problem of known.checkDataset?.({ dataset: name, kind: d.kind }, d.options) ?? []) {
      const key = Object.keys(d.options).find((k) => problem.startsWith(`${k}`) || problem.includes(`'${k}'`));
      findings.push({ path: key !== undefined && typeof entry !== 'string' ? [...at, key] : at, at: key !== undefined && /unknown option/.test(problem) ? 'key' : 'value', message: `data set '${name}': ${problem}` });
    }
  });
  return { listed: [...first.keys()], valid };
}

/** A data set of the grid that names a known data set or format, and where its entry is. */
interface GridDataset {
  choice: { dataset: string; kind?: string };
  at: FieldPath;
  /** The entry's own Grad-CAM setting, when it has one. */
  gradcam?: GradcamSpec;
}

/**
 * train_overrides and model options: override keys name data sets of the grid; each data set's
 * model (its override's, train's, or its default) suits it; the model options that apply to it
 * (shared/settings.ts modelLayers) are valid for that model; an override's hyper-parameters are
 * valid for every optimizer of the grid. Parts the schema rejects are left to it.
 */
function trainingFindings(raw: Dict, known: KnownNames, datasets: { listed: string[]; valid: GridDataset[] }, optimizers: readonly string[]): Finding[] {
  const findings: Finding[] = [];
  const overrides = isDict(raw.train_overrides) ? raw.train_overrides : {};
  for (const name of Object.keys(overrides)) {
    if (datasets.listed.includes(name)) continue;
    const listed = datasets.listed.length ? datasets.listed.join(', ') : 'none';
    findings.push({ path: ['train_overrides', name], at: 'key', message: `data set '${name}' is not in grid.dataset (${listed}); train_overrides keys are the grid's data set names` });
  }
  const train = TrainSchema.safeParse(raw.train ?? {});
  if (!train.success) return findings;
  // One finding per place and problem: train.model_options wrong for several data sets names them all.
  const byPlace = new Map<string, { finding: Finding; datasets: string[]; problem: string; model?: string }>();
  const add = (f: Finding, dataset?: string, model?: string) => {
    const key = `${f.path.join('.')}\0${f.message}\0${model ?? ''}`;
    const seen = byPlace.get(key);
    if (seen && dataset !== undefined) seen.datasets.push(dataset);
    else if (!seen) byPlace.set(key, { finding: f, datasets: dataset === undefined ? [] : [dataset], problem: f.message, model });
  };
  for (const { choice, at, gradcam } of datasets.valid) {
    const parsed = overrides[choice.dataset] === undefined ? undefined : TrainOverrideSchema.safeParse(overrides[choice.dataset]);
    if (parsed && !parsed.success) continue;
    const override = parsed?.data ?? {};
    const here: FieldPath = ['train_overrides', choice.dataset];
    const layers: Array<{ layer: SettingsLayer; path: FieldPath }> = [
      { layer: train.data, path: ['train'] },
      { layer: override, path: here },
    ];
    const named = override.model !== undefined ? here : train.data.model !== null ? ['train'] : undefined;
    const modelProblem = known.checkModel?.(choice, override.model ?? train.data.model);
    if (modelProblem) add({ path: named ? [...named, 'model'] : at, message: modelProblem });
    if (!modelProblem && known.training) {
      const base = known.training.defaults(choice);
      const camModel = modelLayers(base.model, layers.map((l) => l.layer)).model;
      const camLayers = camModel !== undefined ? known.training.camLayers?.(camModel) : undefined;
      if (camModel !== undefined && camLayers !== undefined) {
        // Grad-CAM: an entry's own request must suit its model; a sweep-wide one only names a
        // layer for the models that have it (it skips the models Grad-CAM cannot explain).
        const asked = gradcam ?? train.data.gradcam;
        const askedAt: FieldPath = gradcam !== undefined ? [...at, 'gradcam'] : ['train', 'gradcam'];
        const layer = typeof asked === 'object' ? asked.layer : undefined;
        if (gradcam !== undefined && gradcam !== false && camLayers.length === 0) {
          add({ path: askedAt, message: 'no layers Grad-CAM can explain (the image models have them)' }, choice.dataset, camModel);
        } else if (asked && layer !== undefined && camLayers.length > 0 && !camLayers.includes(layer)) {
          add({ path: [...askedAt, 'layer'], message: `no Grad-CAM layer '${layer}' (its layers: ${camLayers.join(', ')})` }, choice.dataset, camModel);
        }
      }
      const { model, counting } = modelLayers(base.model, layers.map((l) => l.layer));
      if (model !== undefined && counting.length > 0) {
        const given = Object.assign({}, base.model_options?.[model], ...counting.map((i) => layers[i]!.layer.model_options));
        const top = [...layers[counting.at(-1)!]!.path, 'model_options'];
        for (const problem of known.training.modelOptions(model, given).problems) {
          const key = Object.keys(given).find((k) => problem.includes(`'${k}'`) || problem.startsWith(`${k}:`));
          const owner = key === undefined ? undefined : [...counting].reverse().find((i) => layers[i]!.layer.model_options && key in layers[i]!.layer.model_options);
          const path = owner !== undefined ? [...layers[owner]!.path, 'model_options', key!] : top;
          add({ path, at: /unknown option/.test(problem) ? 'key' : 'value', message: problem }, choice.dataset, model);
        }
      }
    }
    if (override.hyperparameters && known.checkHyperparameters) {
      for (const optimizer of optimizers) {
        const answer = known.checkHyperparameters(optimizer, override.hyperparameters) ?? [];
        for (const problem of typeof answer === 'string' ? [answer] : answer) {
          const key = Object.keys(override.hyperparameters).find((k) => problem.includes(`'${k}'`) || problem.startsWith(`${k}:`));
          add({ path: [...here, 'hyperparameters', ...(key !== undefined ? [key] : [])], at: key !== undefined && /unknown/.test(problem) ? 'key' : 'value', message: `optimizer '${optimizer}': ${problem}` });
        }
      }
    }
  }
  for (const { finding, datasets: names, problem, model } of byPlace.values()) {
    const which = names.length === 0 ? '' : `data set${names.length > 1 ? 's' : ''} ${names.map((n) => `'${n}'`).join(', ')}, model '${model}': `;
    findings.push({ ...finding, message: `${which}${problem}` });
  }
  return findings;
}

/** Unknown and repeated names in a list; returns the strings listed and the known, first-seen ones. */
function checkNames(list: unknown, path: FieldPath, kind: string, known: readonly string[], findings: Finding[]): { listed: string[]; valid: string[] } | undefined {
  if (!Array.isArray(list)) return undefined;
  const listed = [...new Set(list.filter((x): x is string => typeof x === 'string'))];
  list.forEach((name, i) => {
    if (typeof name === 'string' && !known.includes(name)) findings.push({ path: [...path, i], message: unknownName(kind, name, known) });
  });
  checkDuplicates(list, path, kind, findings);
  return { listed, valid: [...new Set(listed.filter((n) => known.includes(n)))] };
}

function checkDuplicates(list: unknown, path: FieldPath, kind: string, findings: Finding[]): void {
  if (!Array.isArray(list)) return;
  const first = new Map<unknown, number>();
  list.forEach((x, i) => {
    if (x === null || typeof x === 'object') return;
    const seen = first.get(x);
    if (seen === undefined) first.set(x, i);
    else findings.push({ path: [...path, i], message: `duplicate ${kind} ${typeof x === 'string' ? `'${x}'` : String(x)} (also at [${seen}])` });
  });
}

/**
 * Asks the callback about every variant of one optimizer and points each distinct problem at the
 * most specific place: the list item every failing variant shares (`params.adam.lr[1]`), else the
 * one hyper-parameter the message names, else the optimizer's params (or its grid entry).
 */
function hyperparameterFindings(
  optimizer: string,
  params: unknown,
  gridIndex: number,
  check: NonNullable<KnownNames['checkHyperparameters']>,
): Finding[] {
  const parsed = params === undefined ? undefined : OptimizerParamsSchema.safeParse(params);
  if (parsed && !parsed.success) return []; // the schema already reports it
  const variants = optimizerVariants(parsed?.data);
  const failures = new Map<string, Array<Record<string, HyperParameterValue>>>();
  for (const v of variants) {
    const answer = check(optimizer, v.hyperparameters) ?? [];
    for (const problem of typeof answer === 'string' ? [answer] : answer) failures.set(problem, [...(failures.get(problem) ?? []), v.axes]);
  }
  const findings: Finding[] = [];
  const keys = Object.keys(parsed?.data ?? {});
  for (const [problem, failing] of failures) {
    const named = keys.filter((k) => new RegExp(`'${escape(k)}'|(^|[\\s;(])${escape(k)}:`).test(problem));
    let path: FieldPath = parsed ? ['params', optimizer] : ['grid', 'optimizer', gridIndex];
    let at: Finding['at'] = parsed ? 'key' : 'value';
    if (named.length === 1) {
      const key = named[0]!;
      const axis = parsed!.data[key];
      const shared = failing.map((f) => f[key]);
      path = ['params', optimizer, key];
      if (Array.isArray(axis) && shared.every((x) => x === shared[0]) && failing.length < variants.length) {
        path = [...path, axis.indexOf(shared[0]!)];
        at = 'value';
      }
    }
    const scope = failing.length < variants.length ? `${optimizer}[${Object.entries(failing[0]!).map(([k, v]) => `${k}=${String(v)}`).join(',')}]${failing.length > 1 ? ` and ${failing.length - 1} more variants` : ''}` : `optimizer '${optimizer}'`;
    findings.push({ path, at, message: `${scope}: ${problem}` });
  }
  return findings;
}

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
