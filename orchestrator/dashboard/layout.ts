import type { PanelName } from './keys.js';

/**
 * Where the panels go for a terminal size, as a pure function (tested at 80×24 and wide sizes).
 * Every panel gets an exact height and width and renders at most that many lines, so a frame
 * never outgrows the screen (Ink would then clear and redraw the whole terminal every frame).
 */

export interface Box {
  readonly width: number;
  readonly height: number;
}

export interface Layout {
  /** `columns`: grid and trial on the left, nodes and events on the right. `stack`: one column. */
  readonly arrangement: 'columns' | 'stack' | 'zoom';
  readonly width: number;
  /** Lines of the whole frame: one less than the terminal, so Ink never scrolls it. */
  readonly height: number;
  readonly body: number;
  /** null: the panel is collapsed away at this size (tab shows it alone). */
  readonly panels: Readonly<Record<PanelName, Box | null>>;
}

/** Header (2 lines) and footer (1 line). */
export const CHROME_LINES = 3;
/** Columns from which the panels sit side by side. */
export const WIDE_COLUMNS = 140;
/** The trial panel: title, six sparklines, the controller's line. */
export const TRIAL_LINES = 8;

export interface ContentSize {
  /** Lines the grid would need unwindowed: rows + title + header. */
  readonly gridLines: number;
  /** Lines the nodes panel would need unwindowed. */
  readonly nodeLines: number;
}

export function computeLayout(columns: number, rows: number, zoom: PanelName | null, content: ContentSize): Layout {
  const width = Math.max(40, columns);
  const height = Math.max(10, rows - 1);
  const body = height - CHROME_LINES;
  const none = { grid: null, nodes: null, trial: null, events: null };
  if (zoom) return { arrangement: 'zoom', width, height, body, panels: { ...none, [zoom]: { width, height: body } } };

  if (width >= WIDE_COLUMNS && body >= 18) {
    const left = Math.floor(width * 0.56);
    const right = width - left - 1;
    // The grid takes what it needs (the trial panel sits right under it and keeps the rest).
    const trialMin = Math.min(TRIAL_LINES + 2, Math.floor(body / 2));
    const grid = Math.max(4, Math.min(content.gridLines, body - trialMin));
    const nodes = Math.max(4, Math.min(content.nodeLines, Math.floor(body * 0.6)));
    return {
      arrangement: 'columns',
      width,
      height,
      body,
      panels: {
        grid: { width: left, height: grid },
        trial: { width: left, height: body - grid },
        nodes: { width: right, height: nodes },
        events: { width: right, height: body - nodes },
      },
    };
  }

  // One column. The trial panel keeps its size (sparklines are unreadable shorter); the grid gets
  // what it needs up to half the rest, the nodes what they need of what is left up to 45 %,
  // keeping three lines for the events (title and the two newest), which take the remainder; on
  // the smallest screens the grid gives way first.
  const trial = body >= 22 ? TRIAL_LINES + 1 : Math.min(TRIAL_LINES, Math.max(0, body - 9));
  const rest = body - trial;
  let grid = Math.max(4, Math.min(content.gridLines, Math.floor(rest * 0.5)));
  let nodes = Math.max(2, Math.min(content.nodeLines, rest - grid - 3, Math.floor(rest * 0.45)));
  let events = rest - grid - nodes;
  if (events < 2) {
    const missing = 2 - events;
    const fromGrid = Math.min(missing, Math.max(0, grid - 4));
    grid -= fromGrid;
    nodes -= Math.min(missing - fromGrid, Math.max(0, nodes - 2));
    events = rest - grid - nodes;
  }
  return {
    arrangement: 'stack',
    width,
    height,
    body,
    panels: {
      grid: { width, height: grid },
      nodes: { width, height: nodes },
      trial: trial > 0 ? { width, height: trial } : null,
      events: events > 0 ? { width, height: events } : null,
    },
  };
}
