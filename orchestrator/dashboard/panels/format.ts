import type { CellView } from '../state/grid-model.js';

/**
 * Text building blocks of the panels, as pure functions. Everything here is plain text: colour is
 * added by Ink's <Text color> (which chalk turns off under NO_COLOR or without colour support), so
 * each status also has its own glyph and stays readable in black and white.
 */

const SPARK = '▁▂▃▄▅▆▇█';

/** The last `width` values as a sparkline, scaled between their own min and max. */
export function sparkline(values: readonly number[], width: number): string {
  const shown = values.filter((v) => Number.isFinite(v)).slice(-Math.max(0, width));
  if (shown.length === 0) return '';
  let min = Infinity;
  let max = -Infinity;
  for (const v of shown) (min = Math.min(min, v)), (max = Math.max(max, v));
  const span = max - min;
  return shown.map((v) => SPARK[span === 0 ? 3 : Math.min(7, Math.floor(((v - min) / span) * 8))]).join('');
}

const EIGHTHS = ['', '▏', '▎', '▍', '▌', '▋', '▊', '▉'];

/** A horizontal bar `width` characters wide, filled to `fraction` (0..1) in eighths. */
export function bar(fraction: number | null, width: number): string {
  if (fraction === null || !Number.isFinite(fraction)) return '·'.repeat(width);
  const eighths = Math.round(Math.max(0, Math.min(1, fraction)) * width * 8);
  const full = Math.floor(eighths / 8);
  const part = EIGHTHS[eighths % 8]!;
  return ('█'.repeat(full) + part).padEnd(width, '·').slice(0, width);
}

export const STATUS_GLYPH: Record<CellView, string> = { done: '✓', running: '▶', queued: '·', failed: '✗', cancelled: '⊘', diverged: '↯' };
export const STATUS_COLOR: Record<CellView, string> = { done: 'green', running: 'yellow', queued: 'gray', failed: 'red', cancelled: 'gray', diverged: 'magenta' };

/** `97.21%`; `—` when unknown. */
export function pct(x: number | null | undefined, digits = 1): string {
  return typeof x === 'number' && Number.isFinite(x) ? `${(x * 100).toFixed(digits)}%` : '—';
}

/** A number in at most ~7 characters: 0.2345, 12.35, 1.2e-4, 3.4e+5. */
export function num(x: number | string | null | undefined): string {
  if (typeof x === 'string') return x;
  if (typeof x !== 'number' || !Number.isFinite(x)) return '—';
  const a = Math.abs(x);
  if (a === 0) return '0';
  if (a >= 1e5 || a < 1e-3) return x.toExponential(1);
  if (a >= 100) return x.toFixed(0);
  if (a >= 10) return x.toFixed(2);
  return x.toFixed(4);
}

/** MiB as GiB with one decimal: `40.1`. */
export function gib(mb: number | null | undefined): string {
  return typeof mb === 'number' ? (mb / 1024).toFixed(1) : '—';
}

/** Cuts `text` to `width` columns with an ellipsis. */
export function fit(text: string, width: number): string {
  if (width <= 0) return '';
  return text.length <= width ? text : `${text.slice(0, Math.max(0, width - 1))}…`;
}

/** `1h02m`, `3m05s`, `12s`. */
export function duration(ms: number): string {
  const s = Math.max(0, Math.floor(ms / 1000));
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  if (h) return `${h}h${String(m).padStart(2, '0')}m`;
  if (m) return `${m}m${String(s % 60).padStart(2, '0')}s`;
  return `${s}s`;
}

/** `14:03:22` in local time. */
export function clock(ms: number): string {
  const d = new Date(ms);
  return [d.getHours(), d.getMinutes(), d.getSeconds()].map((n) => String(n).padStart(2, '0')).join(':');
}

/**
 * One grid cell's seeds: a glyph per seed while they fit in `width`, else a proportional bar of
 * done / running / failed / queued parts. Returned as coloured segments for Ink.
 */
export function seedStrip(statuses: readonly (CellView | undefined)[], width: number): Array<{ text: string; status: CellView }> {
  if (statuses.length <= width) {
    const segments: Array<{ text: string; status: CellView }> = [];
    for (const raw of statuses) {
      const status = raw ?? 'queued';
      const last = segments.at(-1);
      if (last && last.status === status) last.text += STATUS_GLYPH[status];
      else segments.push({ text: STATUS_GLYPH[status], status });
    }
    return segments;
  }
  const counts: Record<CellView, number> = { done: 0, diverged: 0, running: 0, failed: 0, cancelled: 0, queued: 0 };
  for (const s of statuses) counts[s ?? 'queued']++;
  const order: CellView[] = ['done', 'diverged', 'running', 'failed', 'cancelled', 'queued'];
  // Largest-remainder rounding, and every non-empty part at least one character.
  const parts = order.map((status) => ({ status, exact: (counts[status] / statuses.length) * width, n: 0 }));
  for (const p of parts) p.n = counts[p.status] > 0 ? Math.max(1, Math.floor(p.exact)) : 0;
  let total = parts.reduce((a, p) => a + p.n, 0);
  while (total > width) {
    const biggest = parts.reduce((a, p) => (p.n > a.n ? p : a));
    biggest.n--;
    total--;
  }
  for (const p of [...parts].sort((a, b) => b.exact - Math.floor(b.exact) - (a.exact - Math.floor(a.exact)))) {
    if (total >= width) break;
    if (counts[p.status] > 0) (p.n++, total++);
  }
  const fill: Record<CellView, string> = { done: '█', diverged: '↯', running: '▒', failed: '✗', cancelled: '⊘', queued: '·' };
  return parts.filter((p) => p.n > 0).map((p) => ({ text: fill[p.status].repeat(p.n), status: p.status }));
}
