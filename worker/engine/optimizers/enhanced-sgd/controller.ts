import { pyRound } from './stats.js';

/**
 * The tabular Q-learning controller of EnhancedSGD (host code: a few numbers per step). It holds
 * three scales (lr, momentum, grad), picks an action per step ε-greedily — exploring with a
 * multiplicative action (each scale ×0.95, ×1 or ×1.05) with probability mix_prob, else an
 * additive one (−0.005, 0, +0.005) — and learns Q(state, scale_kind) from the reward.
 */
export const SCALES = ['lr', 'momentum', 'grad'] as const;
export type Scale = (typeof SCALES)[number];
export type Kind = 'mult' | 'add';
export type ActionKind = 'explore-mult' | 'explore-add' | 'exploit';

export interface ControllerConfig {
  epsilon: number;
  epsilonDecay: number;
  epsilonMin: number;
  mixProb: number;
  mixProbMin: number;
  mixProbDecay: number;
  mixProbGrowth: number;
  /** update_mix_prob decays mix_prob while |ΔL| is below this (0.01). */
  mixProbLossThreshold: number;
  alpha: number;
  gamma: number;
  multDown: number;
  multUp: number;
  addStep: number;
  /** Correction: apply an exploited value as the kind whose Q won (the original decides by value). */
  exploitAsOwnKind: boolean;
}

export interface Action {
  readonly kind: ActionKind;
  readonly values: Record<Scale, number>;
  /** How each value is applied and which Q entry it updates. */
  readonly kinds: Record<Scale, Kind>;
}

/**
 * State tuple (round(L,2), round(grad_var,2), round(H,2), epoch, layer_depth=1) as a table key,
 * rounded as Python's round() does (exact ties to even); −0.0 and 0.0 are one key, as in a Python
 * dict.
 */
export function stateKey(loss: number, gradVar: number, entropy: number, epoch: number, layerDepth = 1): string {
  const r = (x: number) => {
    const y = pyRound(x, 2);
    return Number.isFinite(y) && Math.abs(y) < 1e21 ? (y === 0 ? 0 : y).toFixed(2) : String(y);
  };
  return `${r(loss)}|${r(gradVar)}|${r(entropy)}|${epoch}|${layerDepth}`;
}

/** Q entry order in the table rows and in reports. */
export const Q_ENTRIES = SCALES.flatMap((s) => [`${s}_mult`, `${s}_add`]);

/** The controller's state in a checkpoint (JSON; Q rows as float64 numbers, exact in JSON). */
export interface ControllerState {
  scales: Record<Scale, number>;
  table: Array<[string, number[]]>;
  visits: Array<[string, number]>;
  epsilon: number;
  mixProb: number;
  previousLoss: number | null;
}

export class QController {
  readonly scales: Record<Scale, number> = { lr: 1, momentum: 1, grad: 1 };
  readonly table = new Map<string, Float64Array>();
  readonly visits = new Map<string, number>();
  epsilon: number;
  mixProb: number;
  private previousLoss: number | undefined;

  constructor(
    private readonly config: ControllerConfig,
    private readonly random: () => number,
  ) {
    this.epsilon = config.epsilon;
    this.mixProb = config.mixProb;
  }

  private row(key: string): Float64Array {
    let row = this.table.get(key);
    if (!row) {
      row = new Float64Array(Q_ENTRIES.length);
      this.table.set(key, row);
    }
    return row;
  }

  private isMultValue(v: number): boolean {
    return v === this.config.multDown || v === 1 || v === this.config.multUp;
  }

  /** Chooses an action for `state` (ε-greedy), then decays ε. */
  choose(state: string): Action {
    this.visits.set(state, (this.visits.get(state) ?? 0) + 1);
    const c = this.config;
    let action: Action;
    if (this.random() < this.epsilon) {
      const mult = this.random() < this.mixProb;
      const options = mult ? [c.multDown, 1, c.multUp] : [-c.addStep, 0, c.addStep];
      const values = {} as Record<Scale, number>;
      const kinds = {} as Record<Scale, Kind>;
      for (const s of SCALES) {
        values[s] = options[Math.min(2, Math.floor(this.random() * 3))]!;
        kinds[s] = mult ? 'mult' : 'add';
      }
      action = { kind: mult ? 'explore-mult' : 'explore-add', values, kinds };
    } else {
      const row = this.row(state);
      const values = {} as Record<Scale, number>;
      const kinds = {} as Record<Scale, Kind>;
      SCALES.forEach((s, i) => {
        const qMult = row[2 * i]!;
        const qAdd = row[2 * i + 1]!;
        if (qMult >= qAdd) {
          values[s] = 1 + qMult;
          kinds[s] = 'mult';
        } else {
          values[s] = qAdd;
          kinds[s] = 'add';
        }
      });
      action = { kind: 'exploit', values, kinds };
    }
    this.epsilon = Math.max(c.epsilonMin, this.epsilon * c.epsilonDecay);
    return action;
  }

  /** How each value of `action` is applied (and which Q entry it updates). */
  appliedKinds(action: Action): Record<Scale, Kind> {
    return { lr: this.kindOf(action, 'lr'), momentum: this.kindOf(action, 'momentum'), grad: this.kindOf(action, 'grad') };
  }

  /** The kind an action's value is applied as: its own (corrected) or by value (as written). */
  private kindOf(action: Action, s: Scale): Kind {
    if (this.config.exploitAsOwnKind) return action.kinds[s];
    return this.isMultValue(action.values[s]) ? 'mult' : 'add';
  }

  apply(action: Action): Record<Scale, number> {
    for (const s of SCALES) {
      const v = action.values[s];
      this.scales[s] = this.kindOf(action, s) === 'mult' ? this.scales[s] * v : this.scales[s] + v;
    }
    return { ...this.scales };
  }

  /** Q ← Q + α(r + γ·max Q(next) − Q) for each scale's entry of `state`. */
  update(state: string, action: Action, reward: number, nextState: string): void {
    const next = this.table.get(nextState);
    const maxNext = next ? Math.max(...next) : 0;
    const row = this.row(state);
    SCALES.forEach((s, i) => {
      const index = 2 * i + (this.kindOf(action, s) === 'mult' ? 0 : 1);
      row[index] = row[index]! + this.config.alpha * (reward + this.config.gamma * maxNext - row[index]!);
    });
  }

  /**
   * The original's update_mix_prob(loss): the first call only records the loss; then, while
   * |ΔL| < threshold, mix_prob ← max(floor, mix_prob·decay) (toward additive actions), otherwise
   * mix_prob ← min(initial, mix_prob·growth) (growth = 1 + 0.05·0.98 in the original).
   */
  updateMixProb(loss: number): void {
    const c = this.config;
    if (this.previousLoss === undefined) {
      this.previousLoss = loss;
      return;
    }
    if (Math.abs(this.previousLoss - loss) < c.mixProbLossThreshold) {
      this.mixProb = Math.max(c.mixProbMin, this.mixProb * c.mixProbDecay);
    } else {
      this.mixProb = Math.min(c.mixProb, this.mixProb * c.mixProbGrowth);
    }
    this.previousLoss = loss;
  }

  /**
   * The original's bayesian_initialize_params: each scale redrawn from N(scale, std²), in the
   * order lr, momentum, grad. `random` is its own stream, so switching this on does not change the
   * controller's later ε-greedy draws.
   */
  bayesianInitialize(std: number, random: () => number): void {
    for (const s of SCALES) this.scales[s] = this.scales[s] + std * gaussian(random);
  }

  /** Everything the next choice and update depend on, but the random stream (the owner's). */
  saveState(): ControllerState {
    return {
      scales: { ...this.scales },
      table: [...this.table].map(([k, row]) => [k, Array.from(row)]),
      visits: [...this.visits],
      epsilon: this.epsilon,
      mixProb: this.mixProb,
      previousLoss: this.previousLoss ?? null,
    };
  }

  loadState(state: ControllerState): void {
    Object.assign(this.scales, state.scales);
    this.table.clear();
    for (const [k, row] of state.table) this.table.set(k, Float64Array.from(row));
    this.visits.clear();
    for (const [k, n] of state.visits) this.visits.set(k, n);
    this.epsilon = state.epsilon;
    this.mixProb = state.mixProb;
    this.previousLoss = state.previousLoss ?? undefined;
  }

  summary() {
    return {
      q_table: Object.fromEntries([...this.table].map(([k, row]) => [k, Array.from(row)])),
      q_entries: Q_ENTRIES,
      visits: Object.fromEntries(this.visits),
      epsilon: this.epsilon,
      mix_prob: this.mixProb,
      scales: { ...this.scales },
    };
  }
}

/** Standard normal draw (Box–Muller) from a uniform stream. */
export function gaussian(random: () => number): number {
  const u = Math.max(random(), 1e-300);
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * random());
}
