/**
 * Shared look of every plot: the Okabe–Ito palette (Okabe & Ito 2008, designed to stay distinct
 * under the common colour-vision deficiencies) with the baseline in black, a dash pattern per
 * series as a second cue (for grey-scale print too), and one font that both vega's layout and
 * resvg's rasteriser use.
 */
import { DATASETS } from '../../../worker/engine/catalog.js';
export const OKABE_ITO = ['#0072B2', '#E69F00', '#009E73', '#D55E00', '#CC79A7', '#56B4E9', '#F0E442'] as const;
export const BASELINE_COLOUR = '#000000';
export const DASHES: number[][] = [[1, 0], [6, 3], [2, 2], [8, 3, 2, 3], [4, 4], [1, 3], [10, 2], [3, 1, 1, 1]];

/** At most this many series in one figure: one per palette colour, plus the baseline. */
export const MAX_SERIES = 8;

export const FONT = 'DejaVu Sans';

export function colourScale(series: readonly string[], baseline: string | null) {
  let k = 0;
  return { domain: [...series], range: series.map((s) => (s === baseline ? BASELINE_COLOUR : OKABE_ITO[k++ % OKABE_ITO.length]!)) };
}

export function dashScale(series: readonly string[]) {
  return { domain: [...series], range: series.map((_, i) => DASHES[i % DASHES.length]!) };
}

/** A data set as papers spell it (the catalog's display name); a user's own data set by its name. */
export function datasetTitle(dataset: string): string {
  return DATASETS.find(dataset)?.displayName ?? dataset;
}

/** vega-lite config for every figure: readable type sizes, light grid, white background. */
export const CONFIG = {
  font: FONT,
  // No ARIA attributes per mark: they doubled the SVG and its parsing, and a static figure has no reader for them.
  aria: false,
  background: 'white',
  padding: 8,
  title: { fontSize: 15, anchor: 'start', subtitleFontSize: 11, subtitleColor: '#444' },
  axis: { labelFontSize: 11, titleFontSize: 12, titleFontWeight: 'normal', gridColor: '#e6e6e6', domainColor: '#888', tickColor: '#888' },
  header: { labelFontSize: 12 },
  legend: { labelFontSize: 12, titleFontSize: 12, symbolType: 'stroke', symbolOpacity: 1, symbolStrokeWidth: 2.5, symbolSize: 500, labelLimit: 260, orient: 'bottom', direction: 'horizontal', columns: 4 },
  view: { stroke: '#ccc' },
  concat: { spacing: 24 },
} as const;
