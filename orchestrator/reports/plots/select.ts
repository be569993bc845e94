import type { GroupSummary } from '../aggregate.js';
import { MAX_SERIES } from './theme.js';

/**
 * Which variants of a data set a figure shows. All of them when they fit the palette; otherwise
 * each optimizer's best variant by mean final accuracy (the tuned optimizer, as papers compare),
 * and if there are still too many, the most accurate ones; the baseline is always kept. The note
 * says what was left out, for the caption.
 */
export function shownGroups(groups: readonly GroupSummary[], baseline: string | null): { shown: GroupSummary[]; note: string | null } {
  const withData = groups.filter((g) => g.seeds.length > 0);
  if (withData.length <= MAX_SERIES) return { shown: withData, note: null };
  const byAccuracy = (a: GroupSummary, b: GroupSummary) => (Number.isFinite(b.score.mean) ? b.score.mean : -1) - (Number.isFinite(a.score.mean) ? a.score.mean : -1);
  const best = new Map<string, GroupSummary>();
  for (const g of [...withData].sort(byAccuracy)) if (!best.has(g.optimizer)) best.set(g.optimizer, g);
  let shown = [...best.values()];
  const base = withData.find((g) => g.label === baseline);
  if (base && !shown.includes(base)) shown.unshift(base);
  if (shown.length > MAX_SERIES) {
    const rest = shown.filter((g) => g !== base).sort(byAccuracy).slice(0, base ? MAX_SERIES - 1 : MAX_SERIES);
    shown = base ? [base, ...rest] : rest;
  }
  const order = new Map(withData.map((g, i) => [g, i]));
  shown.sort((a, b) => order.get(a)! - order.get(b)!);
  return { shown, note: `${withData.length} variants: showing the best variant of each optimizer by mean final score, the data set's primary metric (${shown.length} series)` };
}
