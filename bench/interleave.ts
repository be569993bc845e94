import { permutation, stream } from '../worker/engine/random.js';

/** Wall and CPU milliseconds of one timed unit of work (a training step, an optimizer update). */
export interface Timing {
  wallMs: number;
  cpuMs: number;
}

/**
 * Times `work` on the wall clock and in CPU time of this whole process (user + system, every
 * thread: TensorFlow's intra-op pool runs inside it). CPU time is the figure other processes on
 * the shared cores disturb least: while they hold a core our wall time grows, our CPU time much
 * less.
 */
export async function timed(work: () => Promise<unknown> | unknown): Promise<Timing> {
  const cpu = process.cpuUsage();
  const start = performance.now();
  await work();
  const wallMs = performance.now() - start;
  const used = process.cpuUsage(cpu);
  return { wallMs, cpuMs: (used.user + used.system) / 1000 };
}

/** Something measured against a baseline: each call of `unit` does one unit of work and returns its timed part. */
export interface Contender {
  readonly name: string;
  unit(): Promise<Timing>;
}

/** Mean wall and CPU ms per unit over a round, and how many units. */
export interface RoundFigure {
  wallMs: number;
  cpuMs: number;
  units: number;
}

/**
 * Per measured round: each contender's figure, and the baseline's figure over the units that ran
 * right beside that contender's (its partner units), so every contender has its own paired
 * baseline series; `baseline` is over all of the baseline's units.
 */
export interface PairedRounds {
  contender: Record<string, RoundFigure[]>;
  partner: Record<string, RoundFigure[]>;
  baseline: RoundFigure[];
}

export interface PairOptions {
  rounds: number;
  /** Rounds run first and thrown away (allocator, JIT and cache warm-up in the interleaved pattern). */
  warmupRounds: number;
  /** Wall-clock length of one round, in seconds (it ends after the cycle that passes it). */
  seconds: number;
  /** Timed units per turn (default 1: contender and baseline alternate unit by unit). */
  turnUnits?: number;
  /**
   * Untimed units at the start of each turn (default 0). What a unit leaves for later (garbage to
   * collect, caches filled with its own model) is paid by the unit after it; with a lead-in, every
   * timed unit follows one of its own contender, as each step follows the last in a training.
   */
  leadInUnits?: number;
  /** Seeds the order of the pairs within a cycle and of the two sides within a pair. */
  seed: string;
  onRound?: (round: number, figures: Record<string, RoundFigure>, warmup: boolean) => void;
}

class Sum {
  wallMs = 0;
  cpuMs = 0;
  units = 0;
  add(t: Timing): void {
    this.wallMs += t.wallMs;
    this.cpuMs += t.cpuMs;
    this.units++;
  }
  figure(): RoundFigure {
    return { wallMs: this.wallMs / this.units, cpuMs: this.cpuMs / this.units, units: this.units };
  }
}

/**
 * Rounds of cycles; a cycle runs every contender once beside a turn of the baseline, the pairs in
 * a shuffled order and the two sides of each pair in a random order (seeded). Each round gives,
 * for every contender, its mean time and the mean time of the baseline turns that ran right beside
 * it: one paired observation of the contender-to-baseline ratio.
 *
 * Why short turns, each beside a turn of the baseline: the noise that matters on the shared
 * 2-core VM is other processes taking a core for a fraction of a second to minutes. With blocks of
 * seconds one side of a pair can fall into such a burst and the other not, and that round's ratio
 * is off by tens of percent; the further apart in time the two sides run, the more so (trial runs
 * here: all eight optimizers taking turns in one shuffled order, or 1.5-s blocks, gave intervals
 * several times wider than pairs of single steps for the same time spent). Why the untimed
 * lead-in: see `leadInUnits`; without it, the host-copy variant's garbage was collected during
 * the SGD step after it, and its ratio came out well below what it costs a training.
 */
export async function interleavePairs(baseline: Contender, contenders: readonly Contender[], o: PairOptions): Promise<PairedRounds> {
  const out: PairedRounds = { contender: {}, partner: {}, baseline: [] };
  const random = stream(0, o.seed);
  const turn = async (c: Contender, ...sums: Sum[]) => {
    for (let i = 0; i < (o.leadInUnits ?? 0); i++) await c.unit();
    for (let i = 0; i < (o.turnUnits ?? 1); i++) {
      const t = await c.unit();
      for (const s of sums) s.add(t);
    }
  };
  for (let round = 0; round < o.warmupRounds + o.rounds; round++) {
    const warmup = round < o.warmupRounds;
    const mine = contenders.map(() => new Sum());
    const partners = contenders.map(() => new Sum());
    const base = new Sum();
    const start = performance.now();
    do {
      for (const index of permutation(contenders.length, random)) {
        const c = contenders[index]!;
        if (random() < 0.5) {
          await turn(baseline, partners[index]!, base);
          await turn(c, mine[index]!);
        } else {
          await turn(c, mine[index]!);
          await turn(baseline, partners[index]!, base);
        }
      }
    } while (performance.now() - start < o.seconds * 1000);
    const figures: Record<string, RoundFigure> = { [baseline.name]: base.figure() };
    contenders.forEach((c, i) => (figures[c.name] = mine[i]!.figure()));
    o.onRound?.(round - o.warmupRounds, figures, warmup);
    if (warmup) continue;
    out.baseline.push(base.figure());
    contenders.forEach((c, i) => {
      (out.contender[c.name] ??= []).push(mine[i]!.figure());
      (out.partner[c.name] ??= []).push(partners[i]!.figure());
    });
  }
  return out;
}
