/** Identity order 0..n-1, for evaluation. */
export function sequentialOrder(n: number): Uint32Array {
  const order = new Uint32Array(n);
  for (let i = 0; i < n; i++) order[i] = i;
  return order;
}
