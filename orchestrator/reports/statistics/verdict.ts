import type { PairedComparison } from './paired.js';

/** What a paired comparison says, from its Holm-corrected Wilcoxon p, in the words of whoever asks. */
export type PairedVerdict<Up extends string, Down extends string> = Up | Down | 'no significant difference' | 'too few pairs' | 'no test';

/**
 * The report's rule, as for accuracy (aggregate.ts): significant when the Holm-corrected Wilcoxon
 * p is below α, the sign of the mean difference saying which way; "too few pairs" when no p-value
 * could get there (fewer than 6 non-zero pairs, or under two pairs); "no test" when the test could
 * not run otherwise (every difference zero).
 */
export function pairedVerdict<Up extends string, Down extends string>(test: PairedComparison, holm: number | null, alpha: number, up: Up, down: Down): PairedVerdict<Up, Down> {
  if (holm !== null && holm < alpha) return test.meanDiff > 0 ? up : down;
  if (test.minWilcoxonP !== null && test.minWilcoxonP > alpha) return 'too few pairs';
  if (holm === null) return test.n < 2 ? 'too few pairs' : 'no test';
  return 'no significant difference';
}

/**
 * The smallest Holm-adjusted p-value a family of Wilcoxon tests could give with these pairs:
 * Holm multiplies the smallest p by the family's size, and the exact test's smallest p with n
 * non-zero pairs is 2/2ⁿ. Above α, no member could have come out significant whatever the data
 * (null: no test in the family).
 */
export function smallestHolmP(tests: readonly PairedComparison[]): number | null {
  const family = tests.filter((t) => t.wilcoxon && t.minWilcoxonP !== null);
  if (family.length === 0) return null;
  return Math.min(1, family.length * Math.min(...family.map((t) => t.minWilcoxonP!)));
}
