import seedrandom from 'seedrandom';

/**
 * Independent random streams derived from the trial's seed, one per purpose, so that e.g. adding
 * noise in an optimizer does not change the data order or the initial weights.
 */
export interface RandomStreams {
  /** Weight initialisation. */
  readonly init: () => number;
  /** Per-epoch data order. */
  readonly shuffle: () => number;
}

export function randomStreams(seed: number): RandomStreams {
  return { init: stream(seed, 'init'), shuffle: stream(seed, 'shuffle') };
}

/** A seeded uniform [0, 1) generator (Alea: fast, good quality, stable across platforms). */
export function stream(seed: number, purpose: string): () => number {
  return seedrandom.alea(`grn:${seed}:${purpose}`);
}

/** Fisher–Yates shuffle of 0..n-1 drawn from `random`. */
export function permutation(n: number, random: () => number): Uint32Array {
  const order = new Uint32Array(n);
  for (let i = 0; i < n; i++) order[i] = i;
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    const t = order[i]!;
    order[i] = order[j]!;
    order[j] = t;
  }
  return order;
}
