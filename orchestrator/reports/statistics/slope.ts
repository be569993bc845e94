/**
 * Ordinary least-squares slope of y over x (x: 0, 1, 2, … when not given), over the points where
 * both are finite; null with fewer than two such points or no spread in x.
 */
export function leastSquaresSlope(y: readonly number[], x?: readonly number[]): number | null {
  let n = 0;
  let sx = 0;
  let sy = 0;
  for (let i = 0; i < y.length; i++) {
    const xi = x ? x[i]! : i;
    if (!Number.isFinite(y[i]!) || !Number.isFinite(xi)) continue;
    n++;
    sx += xi;
    sy += y[i]!;
  }
  if (n < 2) return null;
  const mx = sx / n;
  const my = sy / n;
  let sxy = 0;
  let sxx = 0;
  for (let i = 0; i < y.length; i++) {
    const xi = x ? x[i]! : i;
    if (!Number.isFinite(y[i]!) || !Number.isFinite(xi)) continue;
    sxy += (xi - mx) * (y[i]! - my);
    sxx += (xi - mx) ** 2;
  }
  return sxx > 0 ? sxy / sxx : null;
}
