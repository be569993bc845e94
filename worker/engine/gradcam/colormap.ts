/**
 * The JET colour map as a 256-entry RGB table: the piecewise-linear segments of matplotlib's `jet`
 * (which OpenCV's COLORMAP_JET, the original's choice, reproduces), sampled at i/255. Written
 * out rather than taken from a package: it is these five points per channel and nothing else.
 */
const SEGMENTS: Readonly<Record<'r' | 'g' | 'b', ReadonlyArray<readonly [number, number]>>> = {
  r: [[0, 0], [0.35, 0], [0.66, 1], [0.89, 1], [1, 0.5]],
  g: [[0, 0], [0.125, 0], [0.375, 1], [0.64, 1], [0.91, 0], [1, 0]],
  b: [[0, 0.5], [0.11, 1], [0.34, 1], [0.65, 0], [1, 0]],
};

function channel(points: ReadonlyArray<readonly [number, number]>, x: number): number {
  for (let i = 1; i < points.length; i++) {
    const [x1, y1] = points[i]!;
    const [x0, y0] = points[i - 1]!;
    if (x <= x1) return y0 + ((x - x0) / (x1 - x0)) * (y1 - y0);
  }
  return points.at(-1)![1];
}

/** `JET[3·v + c]`: channel c (R, G, B) of grey level v, as bytes. */
export const JET: Uint8Array = (() => {
  const table = new Uint8Array(256 * 3);
  for (let v = 0; v < 256; v++) {
    const x = v / 255;
    table[3 * v] = Math.round(255 * channel(SEGMENTS.r, x));
    table[3 * v + 1] = Math.round(255 * channel(SEGMENTS.g, x));
    table[3 * v + 2] = Math.round(255 * channel(SEGMENTS.b, x));
  }
  return table;
})();
