import type { CurveRow } from './curves.js';
import { colourScale, dashScale } from './theme.js';

/** Series order, colours and dashes shared by every panel of a figure. */
export interface SeriesStyle {
  readonly series: readonly string[];
  readonly baseline: string | null;
}

export interface PanelOptions {
  readonly title: string;
  readonly yTitle: string;
  readonly rows: readonly CurveRow[];
  /** `epoch`: one value per epoch; `step`: binned per-step curve (x in epochs). */
  readonly kind: 'epoch' | 'step';
  readonly log?: boolean;
  /** Shown instead of an empty plot. */
  readonly empty?: string;
  readonly width?: number;
  readonly height?: number;
  /** Fixed y domain (e.g. [0, 1] for a probability). */
  readonly domain?: readonly [number, number];
}

/**
 * y scale: a little padding so a curve on the domain's edge stays visible, and a made-up range
 * around a constant (vega would collapse it to one tick, e.g. SGD's fixed learning rate).
 */
function yScale(rows: readonly CurveRow[], log: boolean, domain?: readonly [number, number]): Record<string, unknown> {
  if (domain) return { domain: [...domain] };
  const lo = Math.min(...rows.map((r) => r.lo));
  const hi = Math.max(...rows.map((r) => r.hi));
  if (hi - lo <= 1e-9 * Math.max(Math.abs(hi), 1e-300)) {
    const pad = lo === 0 ? 1 : Math.abs(lo) * 0.1;
    return log ? { type: 'log', domain: [lo / 2, hi * 2] } : { domain: [lo - pad, hi + pad] };
  }
  return log ? { type: 'log', padding: 6 } : { zero: false, padding: 6 };
}

/** Few epochs are drawn as dots with error bars side by side; many as lines with bands. */
const DOT_EPOCHS = 10;

function seriesEncodings(style: SeriesStyle) {
  return {
    color: { field: 'series', type: 'nominal', title: null, scale: colourScale(style.series, style.baseline), sort: style.series },
    strokeDash: { field: 'series', type: 'nominal', title: null, scale: dashScale(style.series), sort: style.series },
  };
}

/** Panel titles start at the plot's left edge (not the axis labels'), so a grid of panels lines up. */
const panelTitle = (text: string) => ({ text, anchor: 'start', frame: 'group', fontSize: 13 });

/** One panel of a figure as a vega-lite unit/layer spec. */
export function curvePanel(style: SeriesStyle, o: PanelOptions): Record<string, unknown> {
  const width = o.width ?? 300;
  const height = o.height ?? 165;
  if (o.rows.length === 0) {
    return {
      title: panelTitle(o.title),
      width,
      height,
      data: { values: [{ text: o.empty ?? 'no data' }] },
      mark: { type: 'text', fontSize: 13, color: '#777' },
      encoding: { text: { field: 'text' } },
    };
  }
  const enc = seriesEncodings(style);
  const positive = o.rows.every((r) => r.lo > 0 && r.mean > 0);
  const log = o.log === true && positive;
  const y = { type: 'quantitative', title: o.yTitle, scale: yScale(o.rows, log, o.domain), axis: log ? { format: '.0e', tickCount: 5 } : {} };
  const epochs = new Set(o.rows.map((r) => r.x)).size;
  const tooltip = [{ field: 'series' }, { field: 'x', title: 'epoch', format: '.2f' }, { field: 'mean', format: '.4g' }, { field: 'lo', format: '.4g' }, { field: 'hi', format: '.4g' }, { field: 'n', title: 'seeds' }];
  if (o.kind === 'epoch' && epochs <= DOT_EPOCHS) {
    const x = { field: 'x', type: 'ordinal', title: 'epoch', axis: { labelAngle: 0 } };
    return {
      title: panelTitle(o.title),
      width,
      height,
      data: { values: o.rows },
      encoding: { x, xOffset: { field: 'series', type: 'nominal', sort: style.series, scale: { paddingOuter: 0.4 } }, color: enc.color },
      layer: [
        { mark: { type: 'rule', strokeWidth: 2 }, encoding: { y: { field: 'lo', ...y }, y2: { field: 'hi' } } },
        { mark: { type: 'point', filled: true, size: 70, opacity: 1 }, encoding: { y: { field: 'mean', ...y }, tooltip } },
      ],
    };
  }
  const x = { field: 'x', type: 'quantitative', title: 'epoch', scale: { zero: false, nice: false } };
  return {
    title: panelTitle(o.title),
    width,
    height,
    data: { values: o.rows },
    encoding: { x, color: enc.color },
    layer: [
      { mark: { type: 'area', opacity: 0.18 }, encoding: { y: { field: 'lo', ...y }, y2: { field: 'hi' } } },
      { mark: { type: 'line', strokeWidth: 2 }, encoding: { y: { field: 'mean', ...y }, strokeDash: enc.strokeDash, tooltip } },
    ],
  };
}
