import { metricTitle } from '../../../shared/metrics.js';
import { OFF_SIGN } from '../../../shared/sweep/ablation.js';
import type { ReportModel } from '../aggregate.js';
import { field } from '../renderers/csv.js';
import { DASH, fixed, interval, pValue, signed } from '../renderers/format.js';
import type { Table } from '../renderers/sections.js';
import { escapeTex } from '../renderers/tex.js';
import { POOLED, scopeTitle, type AblationReport, type AblationRow, type AblationScope } from './ranking.js';

/** The Ablation section as tables (md, html), CSV rows and LaTeX tables: every format says the same. */

const pp = (x: number) => fixed(x * 100, 2);
const secondsText = (x: number) => fixed(x, Math.abs(x) < 100 ? 1 : 0);

function timeCells(r: AblationRow): [string, string, string] {
  const t = r.timeToTarget;
  if (!t) return [DASH, DASH, DASH];
  return [t.meanDiff === null ? DASH : signed(t.meanDiff, secondsText), interval(t.interval, secondsText), `${t.bothReached}/${t.pairs}`];
}

const effectText = (r: AblationRow) => (r.effect === 'hurts' ? 'lowers' : r.effect === 'helps' ? 'raises' : r.effect);

export function ablationTable(report: AblationReport, scope: AblationScope): Table {
  const metric = scope.metric ? metricTitle(scope.metric) : 'primary metric';
  const header = ['rank', 'flip', 'kind', 'pairs', `Δ ${metric} (pp)`, '95 % CI', 'Wilcoxon p', 'p (Holm)', 't p (Holm)', 'd_z', 'r (rank-biserial)', 'Δ time to target (s)', '95 % CI', 'both reached', 'effect'];
  const rows = scope.rows.map((r) => [
    String(r.rank),
    r.flip,
    r.kind ?? DASH,
    String(r.test.n),
    signed(r.test.meanDiff, pp),
    interval(r.test.diffInterval, pp),
    pValue(r.test.wilcoxon?.p),
    pValue(r.wilcoxonHolm),
    pValue(r.tHolm),
    r.test.dz === null ? DASH : fixed(r.test.dz, 2),
    r.test.rankBiserial === null ? DASH : fixed(r.test.rankBiserial, 2),
    ...timeCells(r),
    effectText(r),
  ]);
  const where = scope.scope === POOLED ? `the ${scope.datasets.length} data sets' pairs together (${scope.datasets.join(', ')})` : 'the seeds both finished';
  const notes = [
    `Each row flips one switch of ${scope.base} (− off: a component removed, or a correction set back to the behaviour as written; + on) and is paired with the base over ${where}: Δ = flip − base, final-epoch test ${metric} in percentage points, mean with its 95 % percentile-bootstrap interval; rows ranked by |Δ|.`,
    `Two-sided Wilcoxon signed-rank and paired t-tests, Holm-corrected over the flips of this table that could be tested (${scope.rows.filter((r) => r.test.wilcoxon).length}); effect (lowers/raises the metric) from the Holm-corrected Wilcoxon p at α = ${report.alpha}. d_z: mean difference ÷ its standard deviation; r: matched-pairs rank-biserial correlation.`,
    scope.rows.some((r) => r.timeToTarget)
      ? 'Δ time to target: training seconds (sum of epoch times up to the first epoch at the target, evaluation excluded), flip − base, over the pairs where both reached the target (both reached: of all pairs); positive: the flip is slower.'
      : 'Δ time to target: – (no target for this data set in the spec).',
    ...[...new Set(scope.rows.flatMap((r) => (r.test.note ? [r.test.note] : [])))].map((n) => `Note: ${n}.`),
  ];
  return {
    caption: `${scopeTitle(scope.scope)}: one-switch flips of ${scope.base}, ranked by |Δ final ${metric}|`,
    header,
    rows,
    notes,
    numeric: header.map((_, i) => i === 0 || (i >= 3 && i <= 13)),
  };
}

export const ABLATION_CSV_COLUMNS = [
  'scope', 'base', 'rank', 'label', 'component', 'kind', 'value', 'metric', 'pairs',
  'diff_mean', 'diff_ci_lo', 'diff_ci_hi', 'wilcoxon_v', 'wilcoxon_p', 'wilcoxon_p_holm', 't', 't_p', 't_p_holm', 'cohen_dz', 'rank_biserial',
  'ttt_unit', 'ttt_pairs', 'ttt_both_reached', 'ttt_diff_mean', 'ttt_diff_ci_lo', 'ttt_diff_ci_hi', 'effect',
] as const;

/**
 * report-ablation.csv: one row per scope (a data set, or `*` for all pooled) × flip, in ranking
 * order; metric differences as fractions, time to target in seconds. Null without ablation cells.
 */
export function renderAblationCsv(model: Pick<ReportModel, 'ablation'>): string | null {
  const a = model.ablation;
  if (!a) return null;
  const lines = [ABLATION_CSV_COLUMNS.join(',')];
  for (const s of a.scopes) {
    for (const r of s.rows) {
      const t = r.timeToTarget;
      lines.push(
        [
          s.scope, s.base, r.rank, r.label, r.component, r.kind, r.value, s.metric, r.test.n,
          r.test.meanDiff, r.test.diffInterval?.lo, r.test.diffInterval?.hi, r.test.wilcoxon?.statistic, r.test.wilcoxon?.p, r.wilcoxonHolm, r.test.t?.t, r.test.t?.p, r.tHolm, r.test.dz, r.test.rankBiserial,
          t?.unit, t?.pairs, t?.bothReached, t?.meanDiff, t?.interval?.lo, t?.interval?.hi, r.effect,
        ].map(field).join(','),
      );
    }
  }
  return `${lines.join('\n')}\n`;
}

/** LaTeX tables of the Ablation section (booktabs), one per scope; '' without ablation cells. */
export function renderAblationTex(model: Pick<ReportModel, 'ablation'>): string {
  const a = model.ablation;
  if (!a) return '';
  const tex = (s: string) => (s === DASH ? '--' : escapeTex(s));
  const out = ['', '% Ablation: one-switch flips of the base, ranked by |Delta|.'];
  for (const s of a.scopes) {
    const metric = s.metric ? metricTitle(s.metric) : 'primary metric';
    const anyTime = s.rows.some((r) => r.timeToTarget);
    out.push(
      '',
      '\\begin{table}[t]',
      '\\centering',
      `\\caption{Ablation of ${escapeTex(s.base)} on ${escapeTex(scopeTitle(s.scope))}: $\\Delta$ final ${escapeTex(metric)} (flip $-$ base, percentage points, paired by seed) with its 95\\,\\% percentile-bootstrap interval; $p$: two-sided Wilcoxon signed-rank, Holm-corrected over the flips of this table${anyTime ? '; $\\Delta t$: training seconds to the target over the pairs where both reached it' : ''}. $-$: switched off (a correction: as written); $+$: switched on.}`,
      `\\label{tab:ablation-${s.scope === POOLED ? 'pooled' : s.scope.replace(/[^A-Za-z0-9]/g, '-')}}`,
      `\\begin{tabular}{lrrrr${anyTime ? 'r' : ''}}`,
      '\\toprule',
      `Flip & Pairs & $\\Delta$ (pp) & $d_z$ & $p$${anyTime ? ' & $\\Delta t$ (s)' : ''} \\\\`,
      '\\midrule',
    );
    for (const r of s.rows) {
      const diff = `${signed(r.test.meanDiff, pp)}${r.test.diffInterval ? ` [${pp(r.test.diffInterval.lo)}, ${pp(r.test.diffInterval.hi)}]` : ''}`;
      const sign = r.flip.startsWith(OFF_SIGN) ? '$-$' : r.flip.startsWith('+') ? '$+$' : '';
      const cells = [sign + escapeTex(sign ? r.flip.slice(1) : r.flip), String(r.test.n), tex(diff), tex(r.test.dz === null ? DASH : fixed(r.test.dz, 2)), tex(pValue(r.wilcoxonHolm))];
      if (anyTime) cells.push(tex(r.timeToTarget?.meanDiff == null ? DASH : signed(r.timeToTarget.meanDiff, secondsText)));
      out.push(`${cells.join(' & ')} \\\\`);
    }
    out.push('\\bottomrule', '\\end{tabular}', '\\end{table}');
  }
  return `${out.join('\n')}\n`;
}
