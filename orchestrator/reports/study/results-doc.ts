import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { POOLED } from '../ablation/ranking.js';
import { DASH, fixed, interval, pct, pValue, seconds, signed } from '../renderers/format.js';

/**
 * docs/results.md, generated from the study's reports (docs/study/README.md): the written summary
 * (docs/study/summary.md, prose only) followed by tables taken from the report JSON files —
 * nothing in it is typed by hand, and `npm run results-doc -- --check` (a test runs it) fails when
 * the committed file is not what the committed reports give.
 *
 * The verdict per task is the protocol's rule (docs/protocol-science.md, "What would change the
 * conclusion"): EnhancedSGD helps where the 95 % interval of its paired difference from the
 * best-tuned baseline lies above zero, hurts where it lies below, and otherwise there is no
 * evidence either way. The rule reads the bootstrap interval, not the Holm-corrected p: with 5
 * seeds the exact Wilcoxon test can never reach 0.05 (docs/protocol-science.md, Statistics).
 */

type Json = Record<string, any>;

/** Everything the document is made from. */
export interface StudyInputs {
  /** The main study's report against the best-tuned baseline of each task. */
  readonly main: Json;
  /** The same runs against SGD. */
  readonly vsSgd: Json;
  /** The ablation's report. */
  readonly ablation: Json | null;
  /** docs/study/summary.md. */
  readonly summary: string;
  /** The original's own figures, from its results/all_results.json (docs/study/original.json). */
  readonly original: OriginalFigures | null;
}

export interface OriginalFigures {
  readonly source: string;
  readonly dataset: string;
  readonly epochs: number;
  /** Final test accuracy (fraction) by the original's optimizer names. */
  readonly accuracy: Readonly<Record<string, number>>;
  /** Which of our labels each of its names corresponds to. */
  readonly ours: Readonly<Record<string, string>>;
}

export async function readStudy(studyDir: string): Promise<StudyInputs> {
  const json = async (p: string) => JSON.parse(await readFile(join(studyDir, p), 'utf8')) as Json;
  const optional = async (p: string) => json(p).catch((err: NodeJS.ErrnoException) => (err.code === 'ENOENT' ? null : Promise.reject(err)));
  return {
    main: await json('main/report.json'),
    vsSgd: await json('main-vs-sgd/report.json'),
    ablation: await optional('ablation/report.json'),
    summary: await readFile(join(studyDir, 'summary.md'), 'utf8'),
    original: (await optional('original.json')) as OriginalFigures | null,
  };
}

const NAMES: Record<string, string> = { mnist: 'MNIST', cifar10: 'CIFAR-10', ag_news: 'AG_NEWS', imdb: 'IMDB', voc2012: 'VOC (mini)' };
const taskName = (d: string) => NAMES[d] ?? d;
const isEsgd = (label: string) => label.startsWith('enhanced-sgd');
const metricName = (m: string) => (m === 'miou' ? 'mIoU' : m);

/** The protocol's verdict from the interval of the paired difference (candidate − baseline). */
export function protocolVerdict(ci: { lo: number; hi: number } | null | undefined): 'helps' | 'hurts' | 'no evidence either way' {
  if (!ci) return 'no evidence either way';
  if (ci.lo > 0) return 'helps';
  if (ci.hi < 0) return 'hurts';
  return 'no evidence either way';
}

const table = (head: string[], rows: string[][], align?: string[]) =>
  [`| ${head.join(' | ')} |`, `|${(align ?? head.map(() => '---')).join('|')}|`, ...rows.map((r) => `| ${r.join(' | ')} |`)].join('\n');

const pp = (x: number) => fixed(x * 100, 2);
const meanWithCi = (g: Json | undefined) => (g ? `${pct(g.score?.mean)} ${interval(g.score?.ci ?? null, (x) => pct(x))}` : DASH);

/** Per task: the best-tuned baseline and each EnhancedSGD mode against it, with the verdict. */
function answerTable(report: Json, baselineWord: string): string {
  const rows: string[][] = [];
  for (const dataset of report.datasets as string[]) {
    const base: string | null = report.baselineOf?.[dataset] ?? null;
    const groups = (report.groups as Json[]).filter((g) => g.dataset === dataset);
    const baseGroup = groups.find((g) => g.label === base);
    // The task's primary metric, from any of its variants that has results.
    const metric = metricName(String(groups.find((g) => g.score?.n > 0)?.metric ?? 'accuracy'));
    for (const c of (report.comparisons as Json[]).filter((x) => x.dataset === dataset && isEsgd(x.label))) {
      const g = groups.find((x) => x.label === c.label);
      const t = c.test ?? {};
      rows.push([
        taskName(dataset),
        metric,
        `${base} ${meanWithCi(baseGroup)}`,
        `${c.label} ${meanWithCi(g)}`,
        t.n ? `${signed(t.meanDiff, pp)} ${interval(t.diffInterval ?? null, pp)}` : `${DASH} (no pairs)`,
        fixed(t.dz, 2),
        pValue(c.wilcoxonHolm),
        `**${protocolVerdict(t.diffInterval)}**`,
      ]);
    }
  }
  return table(
    ['task', 'metric', `${baselineWord} (mean % [95 % CI])`, 'EnhancedSGD mode (mean % [95 % CI])', 'Δ (pp) [95 % CI]', 'd_z', 'Wilcoxon p (Holm)', 'verdict'],
    rows,
    ['---', '---', '---', '---', '---:', '---:', '---:', '---'],
  );
}

/** Training seconds to each task's target, every variant, and how many seeds got there. */
function timeTable(report: Json): string {
  const rows: string[][] = [];
  for (const dataset of report.datasets as string[]) {
    for (const g of (report.groups as Json[]).filter((x) => x.dataset === dataset && x.timeToTarget)) {
      const t = g.timeToTarget;
      // The report's median counts a seed that never got there as infinitely slow.
      const median = t.medianSeconds === null || t.medianSeconds === undefined ? 'not reached' : seconds(t.medianSeconds);
      rows.push([taskName(dataset), pct(t.target), g.label, `${t.reached}/${t.runs}`, median, t.medianEpochs === null || t.medianEpochs === undefined ? DASH : fixed(t.medianEpochs, 0), t.reached ? seconds(t.minSeconds) : DASH]);
    }
  }
  return table(['task', 'target %', 'variant', 'seeds reaching it', 'median s to target (misses count as ∞)', 'median epochs', 'fastest seed (s)'], rows, ['---', '---:', '---', '---:', '---:', '---:', '---:']);
}

/** The learning rate tuning chose per variant and task, and whether it lies at the grid's edge. */
function tuningTable(report: Json): string | null {
  const rows = report.tuning?.rows as Json[] | undefined;
  if (!rows?.length) return null;
  const lr = (x: number) => String(+x.toPrecision(3));
  return table(
    ['task', 'variant', 'learning rates tried (validation score %)', 'chosen lr', 'at the grid’s edge'],
    rows.map((r) => {
      const lrs = (r.points as Json[]).map((p) => p.lr as number);
      const w = r.winner?.lr as number | undefined;
      const edge = w === undefined ? DASH : w === Math.min(...lrs) ? 'yes (smallest)' : w === Math.max(...lrs) ? 'yes (largest)' : 'no';
      const tried = (r.points as Json[]).map((p) => `${lr(p.lr)} (${p.diverged ? 'diverged' : pct(p.score)})`).join(', ');
      return [taskName(String(r.dataset)), String(r.label), tried, w === undefined ? `none: ${r.error ?? DASH}` : lr(w), edge];
    }),
  );
}

/** The ablation's ranking: each flip against the base, per data set and pooled. */
function ablationTables(ablation: Json): string {
  const scopes = (ablation.ablation?.scopes ?? []) as Json[];
  return scopes
    .map((s) => {
      const rows = (s.rows as Json[]).map((r) => [
        `\`${r.flip}\``,
        r.kind ?? DASH,
        `${signed(r.test.meanDiff, pp)} ${interval(r.test.diffInterval ?? null, pp)}`,
        fixed(r.test.dz, 2),
        pValue(r.wilcoxonHolm),
        r.timeToTarget?.meanDiff === null || r.timeToTarget?.meanDiff === undefined ? DASH : `${signed(r.timeToTarget.meanDiff, (x) => fixed(x, 1))} ${interval(r.timeToTarget.interval ?? null, (x) => fixed(x, 1))}`,
        `**${protocolVerdict(r.test.diffInterval) === 'helps' ? 'flip raises the metric' : protocolVerdict(r.test.diffInterval) === 'hurts' ? 'flip lowers the metric' : 'no evidence either way'}**`,
      ]);
      const title = s.scope === POOLED ? `pooled over ${(s.datasets as string[]).map(taskName).join(' and ')}` : taskName(String(s.scope));
      return `**Ablation, ${title}** (base \`${s.base}\`; flips in the order of |Δ|)\n\n${table(['flip', 'kind', 'Δ final metric (pp) [95 % CI]', 'd_z', 'Wilcoxon p (Holm)', 'Δ s to target [95 % CI]', 'reading'], rows, ['---', '---', '---:', '---:', '---:', '---:', '---'])}`;
    })
    .join('\n\n');
}

function originalTable(o: OriginalFigures, report: Json): string {
  const rows = Object.entries(o.accuracy).map(([name, acc]) => {
    const label = o.ours[name]!;
    const g = (report.groups as Json[]).find((x) => x.dataset === o.dataset && x.label === label);
    return [name, pct(acc), label, meanWithCi(g), g ? `${g.seeds.length}` : DASH];
  });
  return table([`original (${o.source}; ${taskName(o.dataset)}, ${o.epochs} epochs, one run)`, 'its test accuracy %', 'ours (tuned lr)', 'our test accuracy % (mean [95 % CI])', 'seeds'], rows, ['---', '---:', '---', '---:', '---:']);
}

export function renderResultsDoc(inputs: StudyInputs): string {
  const { main, vsSgd, ablation, summary, original } = inputs;
  const parts: string[] = [
    '<!-- Generated by `npm run results-doc` from docs/study/ (summary.md and the reports under main/, main-vs-sgd/, ablation/). Edit those, not this file. -->',
    summary.trim(),
    '## EnhancedSGD against the best-tuned baseline of each task',
    `The best-tuned baseline of a task is the one of SGD, Adam, AdamW and RMSprop (each at its tuned learning rate) with the highest mean final test metric. Paired by seed; Δ = EnhancedSGD − baseline in percentage points with its 95 % percentile-bootstrap interval; verdict by the protocol's rule (interval above zero: helps; below: hurts). Full tables: [study/main/report.md](study/main/report.md).`,
    answerTable(main, 'best-tuned baseline'),
    '## EnhancedSGD against SGD',
    'The same runs, compared with SGD at its tuned learning rate (`grn report docs/study/main.tar.gz --baseline sgd` gives the full tables; the figures here are from study/main-vs-sgd/report.json).',
    answerTable(vsSgd, 'SGD'),
    '## Time to target',
    `Training seconds (sum of epoch times) until the test metric first reaches the task's target, fixed before the runs; median over the seeds that reached it. Wall-clock time on a shared 2-core VM (±25 %).`,
    timeTable(main),
  ];
  const profile = ((main.plots ?? []) as Json[]).find((p) => p.name === 'performance-profile');
  if (profile) parts.push(`![${profile.title}](study/main/${profile.png ?? profile.svg})\n\n*${profile.caption}*`);
  const tuning = tuningTable(main);
  if (tuning) parts.push('## Tuning', 'The learning rate each variant ran with, chosen on the validation split with seed 1 (docs/protocol-science.md).', tuning);
  if (ablation) {
    parts.push(
      '## Which component matters (ablation)',
      `Each switch of EnhancedSGD flipped alone from \`intended\` (docs/protocol-science.md, "Ablation"); Δ = flip − base, paired by seed. A flip that lowers the metric means the component (or correction) it removes was helping. Full report: [study/ablation/report.md](study/ablation/report.md).`,
      ablationTables(ablation),
    );
  }
  const memory = (main.memory?.summary ?? []) as string[];
  if (memory.length) parts.push('## Memory stability', memory.map((s) => `- ${s}`).join('\n'), 'Per-variant peak RAM and drift per epoch: the Memory section of [study/main/report.md](study/main/report.md).');
  if (original) parts.push("## The original's own figures beside ours", originalTable(original, main));
  parts.push(
    '## How these figures were made',
    `${main.sweep?.description ?? ''}. Runs: ${main.cells?.reported ?? DASH} of ${main.cells?.planned ?? DASH} cells of the main sweep${ablation ? `, ${ablation.cells?.reported ?? DASH} of ${ablation.cells?.planned ?? DASH} of the ablation` : ''}; backends: ${(main.sweep?.backends ?? []).join(', ') || DASH}. Protocol: docs/protocol-science.md; specs as run, archives of every cell's result and how to re-render: docs/study/README.md.`,
  );
  return `${parts.join('\n\n')}\n`;
}
