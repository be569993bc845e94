/** A "random" stream that returns the given values in order, for tests that check draws by hand. */
export function scripted(values: number[]): () => number {
  let i = 0;
  return () => {
    if (i >= values.length) throw new Error('scripted random stream exhausted');
    return values[i++]!;
  };
}
