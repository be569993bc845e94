/**
 * Per-channel mean and standard deviation of x/255 over HWC uint8 pixels (float64 sums): the
 * normalisation of a user's data set when none is given, as torchvision users compute it from
 * their training split.
 */
export function channelStatistics(pixels: Uint8Array, channels: number): { mean: number[]; std: number[] } {
  const sum = new Float64Array(channels);
  const sumSq = new Float64Array(channels);
  for (let i = 0; i < pixels.length; i++) {
    const c = i % channels;
    const v = pixels[i]! / 255;
    sum[c]! += v;
    sumSq[c]! += v * v;
  }
  const n = pixels.length / channels;
  const mean = Array.from(sum, (s) => s / Math.max(1, n));
  // A constant channel would divide by zero: its std is taken as 1 (the values are centred only).
  const std = Array.from(sumSq, (s, c) => Math.sqrt(Math.max(0, s / Math.max(1, n) - mean[c]! ** 2)) || 1);
  return { mean, std };
}
