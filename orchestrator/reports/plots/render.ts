import { Resvg } from '@resvg/resvg-js';
import { existsSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import * as vega from 'vega';
import { compile, type TopLevelSpec } from 'vega-lite';
import { FONT } from './theme.js';

export interface PlotJob {
  readonly spec: Record<string, unknown>;
  /** Path without extension: `.svg` and `.png` are written beside each other. */
  readonly base: string;
  /** PNG pixels per SVG pixel: 1.5 keeps text sharp when zoomed, at half the pixels of 2. */
  readonly scale?: number;
  readonly png?: boolean;
}

export interface PlotFiles {
  readonly svg: string;
  readonly svgPath: string;
  readonly pngPath: string | null;
  readonly width: number;
  readonly height: number;
}

/** vega-lite's warnings (e.g. merged legends) would go to the sweep's console; the SVG is what counts. */
const QUIET = vega.logger(vega.None);

/** The font files resvg should use: the same family vega laid the text out for, where installed. */
const FONT_FILES = ['/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf', '/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf'].filter((f) => existsSync(f));

/**
 * vega-lite spec → vega → SVG string (vega's headless View, renderer 'none': no browser, no canvas)
 * → PNG (resvg, a Rust SVG rasteriser). Without the DejaVu files resvg falls back to the system's
 * fonts, which only shifts text widths a little.
 */
export async function renderPlot(job: PlotJob): Promise<PlotFiles> {
  const compiled = compile(job.spec as unknown as TopLevelSpec, { logger: QUIET }).spec;
  const view = new vega.View(vega.parse(compiled), { renderer: 'none' });
  let svg: string;
  try {
    svg = await view.toSVG();
  } finally {
    view.finalize();
  }
  const svgPath = `${job.base}.svg`;
  await writeFile(svgPath, svg);
  const size = /<svg[^>]*\bwidth="([\d.]+)"[^>]*\bheight="([\d.]+)"/.exec(svg);
  let pngPath: string | null = null;
  if (job.png !== false) {
    const png = new Resvg(svg, {
      fitTo: { mode: 'zoom', value: job.scale ?? 1.5 },
      background: 'white',
      font: FONT_FILES.length ? { loadSystemFonts: false, fontFiles: FONT_FILES, defaultFontFamily: FONT } : { loadSystemFonts: true, defaultFontFamily: FONT },
    })
      .render()
      .asPng();
    pngPath = `${job.base}.png`;
    await writeFile(pngPath, png);
  }
  return { svg, svgPath, pngPath, width: Number(size?.[1] ?? 0), height: Number(size?.[2] ?? 0) };
}
