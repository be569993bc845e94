import seedrandom from 'seedrandom';

/**
 * What the chaos suite does to a running sweep, and when. The moments are events, not clock
 * times: a fault fires once the sweep has stored `afterResults` results (and the fault before it
 * has finished), so a given `--seed` gives the same schedule on a fast or a loaded machine.
 */
export type FaultKind = 'kill-trainer' | 'kill-worker' | 'stop-worker' | 'kill-server' | 'kill-orchestrator';

export const FAULT_KINDS: readonly FaultKind[] = ['kill-trainer', 'kill-worker', 'kill-orchestrator', 'kill-server', 'stop-worker'];

export interface PlannedFault {
  /** 1-based, in firing order. */
  readonly index: number;
  readonly kind: FaultKind;
  /** Fires once this many cells have a stored result. */
  readonly afterResults: number;
  /** A uniform number in [0, 1) that picks the target among the candidates found when it fires. */
  readonly pick: number;
}

/**
 * `kills` faults over a sweep of `cells` cells. With 5 or more: the orchestrator killed (and
 * resumed) once, nats-server killed once, one worker stopped past its lease once, and the rest
 * SIGKILLs of trainer processes (60 %) and worker processes (40 %). With fewer, the first `kills`
 * of FAULT_KINDS (trainer, worker, orchestrator, server, stop). Moments are drawn from the first
 * 80 % of the results, so that the sweep is still running when the last one fires.
 */
export function planFaults(options: { cells: number; kills: number; seed: number }): PlannedFault[] {
  const { cells, kills, seed } = options;
  const random = seedrandom.alea(`grn-chaos:${seed}`);
  let kinds: FaultKind[];
  if (kills >= 5) {
    const rest = kills - 3;
    const trainers = Math.ceil(rest * 0.6);
    kinds = ['kill-orchestrator', 'kill-server', 'stop-worker', ...Array<FaultKind>(trainers).fill('kill-trainer'), ...Array<FaultKind>(rest - trainers).fill('kill-worker')];
    for (let i = kinds.length - 1; i > 0; i--) {
      const j = Math.floor(random() * (i + 1));
      [kinds[i], kinds[j]] = [kinds[j]!, kinds[i]!];
    }
  } else {
    kinds = FAULT_KINDS.slice(0, Math.max(0, kills));
  }
  const last = Math.max(1, Math.floor(cells * 0.8));
  const moments = kinds.map(() => 1 + Math.floor(random() * last)).sort((a, b) => a - b);
  return kinds.map((kind, i) => ({ index: i + 1, kind, afterResults: moments[i]!, pick: random() }));
}

/** The candidate `pick` chooses (candidates in a stable order), or undefined when there is none. */
export function choose<T>(candidates: readonly T[], pick: number): T | undefined {
  return candidates.length ? candidates[Math.min(candidates.length - 1, Math.floor(pick * candidates.length))] : undefined;
}
