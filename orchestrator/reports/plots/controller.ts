import { OPTIMIZERS } from '../../../worker/engine/catalog.js';
import type { GroupSummary } from '../aggregate.js';
import type { CellDigest } from '../digest.js';
import type { PlotSpec } from './figures.js';
import type { SeriesStyle } from './panels.js';
import { colourScale, CONFIG } from './theme.js';

/** Seeds drawn as thin lines per variant: more only makes a grey mass. */
const PATH_SEEDS = 8;

const ENTRY_NAMES: Record<string, string> = {
  lr_mult: 'lr ×',
  lr_add: 'lr +',
  momentum_mult: 'momentum ×',
  momentum_add: 'momentum +',
  grad_mult: 'grad ×',
  grad_add: 'grad +',
};

/** `2.31|0.00|1.26|0|1` (loss, gradient variance, entropy, epoch, depth) as a row label. */
export function stateLabel(key: string): string {
  const [loss, variance, entropy, epoch] = key.split('|');
  return `L ${loss} · var ${variance} · H ${entropy} · ep ${epoch}`;
}

/** EnhancedSGD's momentum floor: momentum_min's default, as its catalog schema states it. */
const MOMENTUM_FLOOR = (OPTIMIZERS.get('enhanced-sgd').schema.parse({}) as { momentum_min: number }).momentum_min;

/**
 * EnhancedSGD's learning rate and momentum as its controller steered them: each seed a thin line,
 * the mean over seeds a thick one, per variant.
 */
export function controllerPaths(dataset: string, name: string, groups: readonly GroupSummary[], runs: Map<GroupSummary, CellDigest[]>, style: SeriesStyle): PlotSpec {
  const rows: Array<{ series: string; seed: string; x: number; value: number; quantity: string }> = [];
  const means: typeof rows = [];
  for (const g of groups) {
    const all = runs.get(g)!;
    for (const quantity of ['learning_rate', 'momentum'] as const) {
      // runs are in seed order (g.seeds), so index i names the seed.
      const withSeries = all.flatMap((d, i) => (d.steps[quantity] ? [{ seed: g.seeds[i], column: d.steps[quantity]! }] : []));
      const columns = withSeries.map((w) => w.column);
      if (!columns.length) continue;
      const d0 = all[0]!;
      const x = (b: number) => ((b + 0.5) * d0.binWidth) / d0.stepsPerEpoch;
      withSeries.slice(0, PATH_SEEDS).forEach(({ seed, column }) => column.forEach((v, b) => Number.isFinite(v) && rows.push({ series: g.label, seed: `seed ${seed}`, x: x(b), value: v, quantity })));
      const bins = Math.max(...columns.map((c) => c.length));
      for (let b = 0; b < bins; b++) {
        const v = columns.map((c) => c[b]!).filter(Number.isFinite);
        if (v.length) means.push({ series: g.label, seed: 'mean', x: x(b), value: v.reduce((a, y) => a + y, 0) / v.length, quantity });
      }
    }
  }
  const series = groups.map((g) => g.label);
  // The figure's colours, so a variant looks the same here as in the training curves.
  const colour = { field: 'series', type: 'nominal', title: null, scale: colourScale(style.series, style.baseline), sort: series, legend: { values: series } };
  const panel = (quantity: string, title: string, yTitle: string) => ({
    title,
    width: 330,
    height: 200,
    layer: [
      {
        data: { values: rows.filter((r) => r.quantity === quantity) },
        mark: { type: 'line', strokeWidth: 1, opacity: 0.35 },
        encoding: { x: { field: 'x', type: 'quantitative', title: 'epoch' }, y: { field: 'value', type: 'quantitative', title: yTitle, scale: { zero: false } }, detail: { field: 'seed' }, color: { ...colour, legend: null } },
      },
      {
        data: { values: means.filter((r) => r.quantity === quantity) },
        mark: { type: 'line', strokeWidth: 2.5 },
        encoding: { x: { field: 'x', type: 'quantitative' }, y: { field: 'value', type: 'quantitative' }, color: colour },
      },
      // The momentum's floor: from epoch 3 the phase decay's cap 0.99·d is below it, and the
      // clamp returns the cap (docs/enhanced-sgd.md), so the paths fall through this line.
      ...(quantity === 'momentum'
        ? [{ data: { values: [{ floor: MOMENTUM_FLOOR }] }, mark: { type: 'rule', strokeDash: [4, 3], color: '#555' }, encoding: { y: { field: 'floor', type: 'quantitative' } } }]
        : []),
    ],
  });
  return {
    name: `${dataset}-enhanced-sgd-paths`,
    dataset,
    title: `${name}: EnhancedSGD learning-rate and momentum paths`,
    caption: `The learning rate and momentum EnhancedSGD's Q-learning controller set, per step (binned): thin lines one seed each (up to ${PATH_SEEDS}), thick lines the mean over seeds. Dashed: the momentum floor ${MOMENTUM_FLOOR} (momentum_min); from epoch 3 (counted from 1) the phase decay's cap 0.99·d is below it and the momentum follows the cap, and from epoch 7 the lr cap 1.5·d is below the base lr.`,
    spec: {
      $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
      title: { text: `${name}: EnhancedSGD controller paths`, subtitle: `thin: one seed each (up to ${PATH_SEEDS}); thick: mean over seeds` },
      config: CONFIG,
      hconcat: [panel('learning_rate', 'Learning rate', 'learning rate'), panel('momentum', 'Momentum', 'momentum')],
      resolve: { scale: { color: 'shared' } },
    },
  };
}

/**
 * The Q-table of one representative run per variant (the seed with the median final accuracy):
 * the most visited states as rows, the six Q entries as columns, with the visit counts beside.
 */
export function qTableHeatmap(dataset: string, name: string, groups: readonly GroupSummary[], runs: Map<GroupSummary, CellDigest[]>): PlotSpec | null {
  const blocks: Record<string, unknown>[] = [];
  const picked: string[] = [];
  for (const g of groups) {
    const withQ = runs.get(g)!.filter((d) => d.q && d.q.states.length);
    if (!withQ.length) continue;
    const sorted = [...withQ].sort((a, b) => (a.score.at(-1) ?? 0) - (b.score.at(-1) ?? 0));
    const run = sorted[Math.floor((sorted.length - 1) / 2)]!;
    const q = run.q!;
    const seed = g.seeds.find((_, i) => runs.get(g)![i] === run);
    const cells = q.states.flatMap((s, i) => q.values[i]!.map((v, k) => ({ state: stateLabel(s), entry: ENTRY_NAMES[q.entries[k] ?? ''] ?? q.entries[k] ?? `#${k}`, q: v, visits: q.visits[i]! })));
    const visits = q.states.map((s, i) => ({ state: stateLabel(s), visits: q.visits[i]! }));
    const order = q.states.map(stateLabel);
    const height = Math.max(120, 16 * q.states.length);
    const limit = Math.max(...cells.map((c) => Math.abs(c.q)), 1e-12);
    picked.push(`${g.label} seed ${seed}`);
    blocks.push({
      title: { text: `${g.label}, seed ${seed} (median accuracy): ${q.states.length} most visited of ${q.totalStates} states`, fontSize: 12 },
      hconcat: [
        {
          width: 330,
          height,
          data: { values: cells },
          mark: { type: 'rect', stroke: 'white', strokeWidth: 0.5 },
          encoding: {
            x: { field: 'entry', type: 'nominal', title: 'action (scale × multiplicative, + additive)', sort: Object.values(ENTRY_NAMES), axis: { labelAngle: -30 } },
            y: { field: 'state', type: 'nominal', title: 'state (rounded loss, gradient variance, entropy, epoch)', sort: order, axis: { labelLimit: 400 } },
            color: { field: 'q', type: 'quantitative', title: 'Q value', scale: { scheme: 'blueorange', domain: [-limit, limit], domainMid: 0 }, legend: { orient: 'right', direction: 'vertical', gradientLength: Math.min(height, 200), format: '.1e' } },
            tooltip: [{ field: 'state' }, { field: 'entry' }, { field: 'q', format: '.3e' }, { field: 'visits' }],
          },
        },
        {
          width: 110,
          height,
          data: { values: visits },
          mark: { type: 'bar', color: '#888' },
          encoding: { y: { field: 'state', type: 'nominal', sort: order, axis: null }, x: { field: 'visits', type: 'quantitative', title: 'visits' } },
        },
      ],
    });
  }
  if (!blocks.length) return null;
  return {
    name: `${dataset}-q-table`,
    dataset,
    title: `${name}: EnhancedSGD Q-table`,
    caption: `Q values of the controller at the end of training for ${picked.join(', ')}: rows are the most visited states, columns the six Q entries (blue negative, orange positive), bars the visits per state.`,
    spec: {
      $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
      title: { text: `${name}: EnhancedSGD Q-table at the end of training`, subtitle: 'rows: most visited states first; colour: Q value (blue < 0 < orange); bars: visits' },
      config: { ...CONFIG, legend: { ...CONFIG.legend, orient: 'right', direction: 'vertical', columns: 1 } },
      vconcat: blocks,
      resolve: { scale: { color: 'independent' } },
    },
  };
}
