import type { Finding } from '../checks.js';
import { datasetEntryName } from '../spec.js';

type Dict = Record<string, unknown>;
const isDict = (v: unknown): v is Dict => v !== null && typeof v === 'object' && !Array.isArray(v);
const isSize = (v: unknown) => typeof v === 'number';

/**
 * What the schema cannot check of a `tune:` block, on the raw spec: `values` or `points`/`factor`,
 * not both; no repeated learning rates or seeds; a validation split for every data set of the grid
 * (tuning is judged on it); and no lr axis in `params` (the lr is what is tuned: one value there is
 * the grid's centre).
 */
export function tuneFindings(raw: Dict): Finding[] {
  const tune = raw.tune;
  if (!isDict(tune)) return [];
  const findings: Finding[] = [];
  const lr = tune.lr;
  if (isDict(lr) && lr.values !== undefined && (lr.points !== undefined || lr.factor !== undefined)) {
    findings.push({ path: ['tune', 'lr', 'values'], at: 'key', message: 'give either values (the learning rates to try) or points and factor (a grid around each variant’s lr), not both' });
  }
  if (isDict(lr)) repeated(lr.values, ['tune', 'lr', 'values'], 'learning rate', findings);
  repeated(tune.seeds, ['tune', 'seeds'], 'seed', findings);

  const train = isDict(raw.train) ? raw.train : {};
  const overrides = isDict(raw.train_overrides) ? raw.train_overrides : {};
  const datasets = isDict(raw.grid) && Array.isArray(raw.grid.dataset) ? raw.grid.dataset.map(datasetEntryName).filter((n): n is string => n !== undefined) : [];
  // Each data set's validation: its override's when it has one (null: none), else train's.
  const unset: string[] = [];
  for (const d of datasets) {
    const own = isDict(overrides[d]) ? overrides[d].validation : undefined;
    if (own === null) findings.push({ path: ['train_overrides', d, 'validation'], message: `data set '${d}' has no validation split, and tune judges every data set on one` });
    else if (own === undefined && !isSize(train.validation)) unset.push(d);
  }
  if (unset.length) {
    const which = unset.length < datasets.length ? ` (${unset.map((d) => `'${d}'`).join(', ')} ha${unset.length > 1 ? 've' : 's'} none)` : '';
    findings.push({ path: ['tune'], at: 'key', message: `tuning is judged on the validation split: set train.validation (a fraction of the training split such as 0.1, or a count)${which}` });
  }

  const params = isDict(raw.params) ? raw.params : {};
  for (const [optimizer, p] of Object.entries(params)) {
    if (isDict(p) && Array.isArray(p.lr)) {
      findings.push({ path: ['params', optimizer, 'lr'], message: 'with tune, the learning rate is what is tuned: give one value (the centre of the tuning grid) or none, not a list' });
    }
  }
  return findings;
}

function repeated(list: unknown, path: readonly PropertyKey[], kind: string, findings: Finding[]): void {
  if (!Array.isArray(list)) return;
  const first = new Map<unknown, number>();
  list.forEach((x, i) => {
    const seen = first.get(x);
    if (seen !== undefined) findings.push({ path: [...path, i], message: `duplicate ${kind} ${String(x)} (also at [${seen}])` });
    else if (typeof x === 'number') first.set(x, i);
  });
}
