import seedrandom from 'seedrandom';

/** Alea's whole state: enough to continue a stream exactly where it was (checkpoints). */
export interface StreamState {
  readonly c: number;
  readonly s0: number;
  readonly s1: number;
  readonly s2: number;
}

/** A seeded uniform [0, 1) generator whose position can be saved and restored. */
export interface RandomStream {
  (): number;
  state(): StreamState;
  restore(state: StreamState): void;
}

/**
 * Independent random streams derived from the trial's seed, one per purpose, so that e.g. adding
 * noise in an optimizer does not change the data order or the initial weights.
 */
export interface RandomStreams {
  /** Weight initialisation. */
  readonly init: RandomStream;
  /** Per-epoch data order. */
  readonly shuffle: RandomStream;
}

export function randomStreams(seed: number): RandomStreams {
  return { init: stream(seed, 'init'), shuffle: stream(seed, 'shuffle') };
}

/** A seeded uniform [0, 1) generator (Alea: fast, good quality, stable across platforms). */
export function stream(seed: number, purpose: string): RandomStream {
  let prng = seedrandom.alea(`grn:${seed}:${purpose}`, { state: true });
  const next = (() => prng()) as RandomStream;
  next.state = () => prng.state();
  next.restore = (state) => {
    prng = seedrandom.alea('', { state: { ...state } });
  };
  return next;
}

/** `random` as a stream whose position can be saved; scripted test streams cannot. */
export function restorable(random: () => number): RandomStream {
  const r = random as Partial<RandomStream>;
  if (typeof r.state !== 'function' || typeof r.restore !== 'function') throw new Error('this random source cannot be saved (not a seeded stream)');
  return random as RandomStream;
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
