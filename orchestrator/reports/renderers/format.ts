import type { Interval } from '../statistics/bootstrap.js';

/** Number formatting shared by the text renderers, so md, html and tex say the same thing. */

export const DASH = '–';

export function fixed(x: number | null | undefined, digits: number): string {
  return x === null || x === undefined || !Number.isFinite(x) ? DASH : x.toFixed(digits);
}

/** Accuracy fraction as a percentage with two decimals (0.9812 → 98.12). */
export const pct = (x: number | null | undefined) => (x === null || x === undefined ? DASH : fixed(x * 100, 2));

export function interval(ci: Interval | null, f: (x: number) => string): string {
  return ci ? `[${f(ci.lo)}, ${f(ci.hi)}]` : DASH;
}

/** p-values: three significant digits, small ones in scientific notation, as papers print them. */
export function pValue(p: number | null | undefined): string {
  if (p === null || p === undefined || !Number.isFinite(p)) return DASH;
  if (p < 0.001) return p.toExponential(1);
  return p.toPrecision(3).replace(/(\.\d*?)0+$/, '$1').replace(/\.$/, '');
}

/** Significant digits, for losses and metrics of unknown scale. */
export function sig(x: number | null | undefined, digits = 4): string {
  if (x === null || x === undefined || !Number.isFinite(x)) return DASH;
  return Math.abs(x) >= 1e5 || (Math.abs(x) < 1e-3 && x !== 0) ? x.toExponential(digits - 1) : String(+x.toPrecision(digits));
}

/** Seconds: Infinity is "not reached". */
export function seconds(x: number | null | undefined): string {
  if (x === Infinity) return 'not reached';
  return fixed(x, x !== null && x !== undefined && x < 100 ? 1 : 0);
}

export const signed = (x: number, f: (x: number) => string) => (Number.isFinite(x) && x > 0 ? `+${f(x)}` : f(x));
