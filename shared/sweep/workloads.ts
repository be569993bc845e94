/**
 * Synthetic "data sets" that train nothing: `noop` finishes at once and `sleep` takes
 * `train.duration_ms`. They exist for dispatch benchmarks (how fast the orchestrator hands out
 * cells and collects results); workers run them without loading data or building a model. A sweep
 * spec may name them in `grid.dataset` beside the real data sets.
 */
export const SYNTHETIC_WORKLOADS = ['noop', 'sleep'] as const;
export type SyntheticWorkload = (typeof SYNTHETIC_WORKLOADS)[number];

export function isSyntheticWorkload(dataset: string): dataset is SyntheticWorkload {
  return (SYNTHETIC_WORKLOADS as readonly string[]).includes(dataset);
}
