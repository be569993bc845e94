/**
 * Performance profiles (Dolan & Moré 2002) as AlgoPerf scores training algorithms (Dahl et al.
 * 2023, "Benchmarking Neural Network Training Algorithms", §4.3): on each workload (here: data
 * set) a submission's time to the target is divided by the fastest submission's time there; the
 * profile ρ_s(τ) is the fraction of workloads on which s is within a factor τ of the fastest; the
 * score is the area under ρ_s over τ ∈ [1, τ_max] divided by τ_max − 1, so 1 means fastest
 * everywhere and 0 means never within τ_max. A submission that missed the target (time Infinity)
 * has ratio Infinity on that workload; a workload on which nobody reached the target counts for
 * no one.
 */
export interface ProfileInput {
  readonly submissions: readonly string[];
  readonly workloads: readonly string[];
  /** times[w][s]: seconds of submission s on workload w (Infinity: target missed; NaN: not run). */
  readonly times: ReadonlyArray<ReadonlyArray<number>>;
  /** Upper end of τ; AlgoPerf uses 4. */
  readonly tauMax?: number;
}

export interface Profile {
  readonly tauMax: number;
  /** ratios[w][s] = times[w][s] / min over s of times[w]; Infinity where missed or unreachable. */
  readonly ratios: number[][];
  /** Per submission: the step function as (τ, ρ) points from τ = 1 to τ_max, ρ right-continuous. */
  readonly curves: ReadonlyArray<{ readonly submission: string; readonly points: ReadonlyArray<{ tau: number; rho: number }>; readonly score: number }>;
}

export function performanceProfile(input: ProfileInput): Profile {
  const tauMax = input.tauMax ?? 4;
  const W = input.workloads.length;
  const ratios = input.times.map((row) => {
    const best = Math.min(...row.filter((t) => Number.isFinite(t) && t > 0));
    return row.map((t) => (Number.isFinite(t) && Number.isFinite(best) && t > 0 ? t / best : Infinity));
  });
  const curves = input.submissions.map((submission, s) => {
    const mine = ratios.map((row) => row[s]!).filter((r) => r <= tauMax).sort((a, b) => a - b);
    // Exact area under the step function: each workload within τ_max adds (τ_max − r)/W.
    const area = mine.reduce((a, r) => a + (tauMax - r), 0) / (W || 1);
    const points: Array<{ tau: number; rho: number }> = [{ tau: 1, rho: mine.filter((r) => r <= 1).length / (W || 1) }];
    for (const r of new Set(mine)) if (r > 1) points.push({ tau: r, rho: mine.filter((x) => x <= r).length / (W || 1) });
    points.push({ tau: tauMax, rho: mine.length / (W || 1) });
    return { submission, points, score: W ? area / (tauMax - 1) : 0 };
  });
  return { tauMax, ratios, curves };
}
