/**
 * The dashboard's key handling as a pure function: UI state and a key in, the next UI state and
 * at most one effect (an action on the sweep) out. The app applies effects; tests drive this
 * directly and through Ink.
 */

export const ZOOMABLE = ['grid', 'nodes', 'trial', 'events'] as const;
export type PanelName = (typeof ZOOMABLE)[number];

export interface UiState {
  /** Selected grid row (optimizer variant) and column (data set), in the filtered grid. */
  readonly row: number;
  readonly col: number;
  /** Selected seed within the selected grid cell. */
  readonly seed: number;
  /** Arrow keys move over the grid, or over the selected cell's seeds (after enter). */
  readonly focus: 'grid' | 'seeds';
  readonly overlay: null | 'help' | 'confirm-cancel' | 'quit';
  readonly filter: string;
  /** Typing into the filter (after `/`). */
  readonly filtering: boolean;
  /** The panel shown alone on the body (tab), e.g. on a small terminal. */
  readonly zoom: PanelName | null;
  /** Once the sweep ended the final table shows; `g` toggles back to the grid. */
  readonly showGrid: boolean;
}

export const initialUi: UiState = { row: 0, col: 0, seed: 0, focus: 'grid', overlay: null, filter: '', filtering: false, zoom: null, showGrid: false };

/** The subset of Ink's Key the dashboard uses. */
export interface KeyInfo {
  upArrow?: boolean;
  downArrow?: boolean;
  leftArrow?: boolean;
  rightArrow?: boolean;
  pageUp?: boolean;
  pageDown?: boolean;
  return?: boolean;
  escape?: boolean;
  ctrl?: boolean;
  tab?: boolean;
  shift?: boolean;
  backspace?: boolean;
  delete?: boolean;
}

export type Effect =
  | { kind: 'status'; status: 'paused' | 'running' | 'cancelled' }
  | { kind: 'retry' }
  /** Leave the dashboard; `cancel`: cancel the sweep first (else it keeps running). */
  | { kind: 'quit'; cancel: boolean }
  | { kind: 'notice'; text: string };

/** What the reducer needs to know about the world. */
export interface KeyContext {
  readonly rows: number;
  readonly cols: number;
  /** Seeds of the selected grid cell. */
  readonly seeds: number;
  readonly sweepStatus: string | undefined;
  /** The sweep ended (done/failed/cancelled). */
  readonly final: boolean;
  /** Rows the grid shows at once (page up/down). */
  readonly page: number;
}

/**
 * Keys typed faster than they are read (key repeat, a paste, tmux send-keys) arrive as one
 * chunk, which Ink passes on as one multi-character `input` ("jj", "\t\t"). They are split
 * back into single key presses here.
 */
export function splitKeys(input: string, key: KeyInfo): Array<{ input: string; key: KeyInfo }> {
  const special = key.upArrow || key.downArrow || key.leftArrow || key.rightArrow || key.pageUp || key.pageDown || key.escape || key.ctrl;
  if (special || [...input].length <= 1) return [{ input, key }];
  return [...input].map((ch) => {
    if (ch === '\t') return { input: '', key: { tab: true } };
    if (ch === '\r' || ch === '\n') return { input: '', key: { return: true } };
    if (ch === '\x7f' || ch === '\b') return { input: '', key: { backspace: true } };
    return { input: ch, key: {} };
  });
}

const clamp = (v: number, max: number) => Math.max(0, Math.min(v, Math.max(0, max - 1)));

export function reduceKey(s: UiState, input: string, key: KeyInfo, ctx: KeyContext): { state: UiState; effect?: Effect } {
  if (key.ctrl && input === 'c') return { state: s, effect: { kind: 'quit', cancel: false } };

  if (s.overlay === 'help') return { state: { ...s, overlay: null } };
  if (s.overlay === 'confirm-cancel') {
    if (input === 'y' || input === 'Y') return { state: { ...s, overlay: null }, effect: { kind: 'status', status: 'cancelled' } };
    return { state: { ...s, overlay: null } };
  }
  if (s.overlay === 'quit') {
    if (input === 'l' || input === 'q') return { state: { ...s, overlay: null }, effect: { kind: 'quit', cancel: false } };
    if (input === 'c') return { state: { ...s, overlay: null }, effect: { kind: 'quit', cancel: true } };
    return { state: { ...s, overlay: null } };
  }

  if (s.filtering) {
    if (key.return) return { state: { ...s, filtering: false } };
    if (key.escape) return { state: { ...s, filtering: false, filter: '', row: 0, col: 0 } };
    if (key.backspace || key.delete) return { state: { ...s, filter: s.filter.slice(0, -1), row: 0, col: 0, seed: 0 } };
    if (input && !key.ctrl && input >= ' ') return { state: { ...s, filter: s.filter + input, row: 0, col: 0, seed: 0 } };
    return { state: s };
  }

  const up = key.upArrow || input === 'k';
  const down = key.downArrow || input === 'j';
  const left = key.leftArrow || input === 'h';
  const right = key.rightArrow || input === 'l';

  if (s.focus === 'seeds') {
    if (up) return { state: { ...s, seed: clamp(s.seed - 1, ctx.seeds) } };
    if (down) return { state: { ...s, seed: clamp(s.seed + 1, ctx.seeds) } };
    if (key.escape || key.return || left) return { state: { ...s, focus: 'grid' } };
  } else {
    if (up) return { state: { ...s, row: clamp(s.row - 1, ctx.rows), seed: 0 } };
    if (down) return { state: { ...s, row: clamp(s.row + 1, ctx.rows), seed: 0 } };
    if (left) return { state: { ...s, col: clamp(s.col - 1, ctx.cols), seed: 0 } };
    if (right) return { state: { ...s, col: clamp(s.col + 1, ctx.cols), seed: 0 } };
    if (key.pageUp) return { state: { ...s, row: clamp(s.row - ctx.page, ctx.rows), seed: 0 } };
    if (key.pageDown) return { state: { ...s, row: clamp(s.row + ctx.page, ctx.rows), seed: 0 } };
    if (key.return && ctx.seeds > 0) return { state: { ...s, focus: 'seeds', seed: clamp(s.seed, ctx.seeds) } };
    if (key.escape && s.filter) return { state: { ...s, filter: '', row: 0, col: 0 } };
  }

  if (key.tab) {
    const order: Array<PanelName | null> = [null, ...ZOOMABLE];
    const next = order[(order.indexOf(s.zoom) + (key.shift ? order.length - 1 : 1)) % order.length]!;
    return { state: { ...s, zoom: next } };
  }

  switch (input) {
    case 'p':
      if (ctx.final) return { state: s, effect: { kind: 'notice', text: `the sweep is ${ctx.sweepStatus}` } };
      return { state: s, effect: { kind: 'status', status: ctx.sweepStatus === 'paused' ? 'running' : 'paused' } };
    case 'c':
      if (ctx.final) return { state: s, effect: { kind: 'notice', text: `the sweep is ${ctx.sweepStatus}` } };
      return { state: { ...s, overlay: 'confirm-cancel' } };
    case 'r':
      return { state: s, effect: { kind: 'retry' } };
    case '/':
      return { state: { ...s, filtering: true, focus: 'grid' } };
    case '?':
      return { state: { ...s, overlay: 'help' } };
    case 'g':
      return { state: { ...s, showGrid: !s.showGrid } };
    case 'q':
      // A finished sweep has nothing to leave running: quit at once.
      if (ctx.final) return { state: s, effect: { kind: 'quit', cancel: false } };
      return { state: { ...s, overlay: 'quit' } };
  }
  return { state: s };
}
