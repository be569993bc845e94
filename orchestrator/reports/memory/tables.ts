import type { ReportModel } from '../aggregate.js';
import { datasetTitle } from '../plots/theme.js';
import { field } from '../renderers/csv.js';
import { DASH, fixed, interval, pValue, sig, signed } from '../renderers/format.js';
import type { Table } from '../renderers/sections.js';
import { familySize, MEASURE_TITLES, MEMORY_MEASURES, TESTED_MEASURES, type MemoryGroup } from './stability.js';

/** The Memory section as tables (md, html) and CSV rows. */

const mb = (x: number) => fixed(x, 0);
const drift = (x: number | null | undefined) => sig(x, 3);

export function memoryTable(model: Pick<ReportModel, 'memory' | 'baselineOf'>, dataset: string): Table {
  const groups = model.memory.groups.filter((g) => g.dataset === dataset);
  const gpu = groups.some((g) => g.gpu);
  const base = model.baselineOf[dataset];
  const m = (g: MemoryGroup, key: keyof MemoryGroup['measures']) => g.measures[key];
  const header = [
    'optimizer', 'seeds', 'epochs', 'peak RAM (MB)', '95 % CI', 'RAM drift (MB/epoch)', '95 % CI', 'drift SD across seeds',
    ...(gpu ? ['peak VRAM (MB)', '95 % CI'] : []),
    'peak tensor memory (MB)', 'tensor drift (MB/epoch)',
  ];
  const rows = groups.map((g) => [
    g.label === base ? `${g.label} (baseline)` : g.label,
    String(g.seeds.length),
    String(g.epochs),
    fixed(m(g, 'peak_ram_mb')?.mean, 0),
    interval(m(g, 'peak_ram_mb')?.ci ?? null, mb),
    drift(m(g, 'ram_drift_mb_per_epoch')?.mean),
    interval(m(g, 'ram_drift_mb_per_epoch')?.ci ?? null, drift),
    drift(m(g, 'ram_drift_mb_per_epoch')?.sd),
    ...(gpu ? [fixed(m(g, 'peak_vram_mb')?.mean, 0), interval(m(g, 'peak_vram_mb')?.ci ?? null, mb)] : []),
    sig(m(g, 'peak_tensor_mb')?.mean),
    drift(m(g, 'tensor_drift_mb_per_epoch')?.mean),
  ]);
  const notes = [
    'Read at the end of each epoch (no per-step readings): RAM is the trainer process\'s resident set size, VRAM the GPU\'s used memory (only where a GPU was used), tensor memory the bytes TensorFlow.js tensors hold. Peak: the largest reading of a run; drift: the least-squares slope of the readings over epochs (a leak shows as a positive drift; one epoch has none). Means over seeds with 95 % percentile-bootstrap intervals; drift SD across seeds: its variability.',
    'A worker slot reuses its trainer process from cell to cell, so a cell\'s RSS includes what the process held before it (e.g. a data set\'s cache): compare peak RAM across variants trained in the same sweep, and read drift within a run as the steadier signal.',
  ];
  return { caption: `${datasetTitle(dataset)}: memory by optimizer`, header, rows, notes, numeric: header.map((_, i) => i > 0) };
}

export function memoryComparisonTable(model: Pick<ReportModel, 'memory' | 'baselineOf' | 'alpha'>, dataset: string): Table | null {
  const rows = model.memory.comparisons.filter((c) => c.dataset === dataset);
  const base = model.baselineOf[dataset];
  if (!base || rows.length === 0) return null;
  const header = ['optimizer', 'measure', 'pairs', 'Δ', '95 % CI', 'Wilcoxon p', 'p (Holm)', 't p', 'd_z', 'r (rank-biserial)', 'verdict'];
  const body = rows.map((c) => {
    const f = c.measure.endsWith('per_epoch') ? drift : (x: number) => fixed(x, 1);
    return [
      c.label,
      MEASURE_TITLES[c.measure],
      String(c.test.n),
      signed(c.test.meanDiff, f),
      interval(c.test.diffInterval, f),
      pValue(c.test.wilcoxon?.p),
      pValue(c.wilcoxonHolm),
      pValue(c.test.t?.p),
      c.test.dz === null ? DASH : fixed(c.test.dz, 2),
      c.test.rankBiserial === null ? DASH : fixed(c.test.rankBiserial, 2),
      c.verdict,
    ];
  });
  return {
    caption: `${datasetTitle(dataset)}: memory compared with the baseline (${base})`,
    header,
    rows: body,
    notes: [
      `Paired over the seeds both finished: Δ = optimizer − baseline in the measure's unit. Two-sided Wilcoxon signed-rank and paired t-test; p (Holm): Holm-corrected over the ${familySize(model.memory.comparisons)} memory comparisons of this report that could be tested. Verdict (higher/lower) from the Holm-corrected Wilcoxon p at α = ${model.alpha}.`,
      ...[...new Set(rows.flatMap((c) => (c.test.note ? [c.test.note] : [])))].map((n) => `Note: ${n}.`),
    ],
    numeric: header.map((_, i) => i > 1 && i < 10),
  };
}

export const MEMORY_CSV_COLUMNS = [
  'dataset', 'label', 'optimizer', 'seeds', 'epochs', 'gpu',
  ...MEMORY_MEASURES.flatMap((m) => [`${m}_mean`, `${m}_ci_lo`, `${m}_ci_hi`, `${m}_sd`]),
  'baseline', ...TESTED_MEASURES.flatMap((m) => [`${m}_diff`, `${m}_p_holm`, `${m}_verdict`]),
];

/** report-memory.csv: one row per data set × variant, MB and MB per epoch, the baseline comparison per measure. */
export function renderMemoryCsv(model: Pick<ReportModel, 'memory' | 'baselineOf'>): string {
  const lines = [MEMORY_CSV_COLUMNS.join(',')];
  for (const g of model.memory.groups) {
    const c = (m: string) => model.memory.comparisons.find((x) => x.dataset === g.dataset && x.label === g.label && x.measure === m);
    const row = [
      g.dataset, g.label, g.optimizer, g.seeds.length, g.epochs, g.gpu,
      ...MEMORY_MEASURES.flatMap((m) => [g.measures[m]?.mean, g.measures[m]?.ci?.lo, g.measures[m]?.ci?.hi, g.measures[m]?.sd]),
      model.baselineOf[g.dataset] ?? null,
      ...TESTED_MEASURES.flatMap((m) => [c(m)?.test.meanDiff, c(m)?.wilcoxonHolm, c(m)?.verdict]),
    ];
    lines.push(row.map(field).join(','));
  }
  return `${lines.join('\n')}\n`;
}
