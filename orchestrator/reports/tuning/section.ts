import { metricTitle } from '../../../shared/metrics.js';
import type { TuningRecord, TuningRowRecord } from '../../../shared/sweep/tuning/index.js';
import { datasetTitle } from '../plots/theme.js';
import type { Block } from '../renderers/document.js';
import { DASH, pct } from '../renderers/format.js';
import type { Table } from '../renderers/sections.js';

/** The mark of a row's chosen learning rate in the tables. */
export const CHOSEN = '✓ chosen';

/**
 * The report's Tuning section, from tuning.json: what the rule was, then per data set a table of
 * optimizer variant × learning rate with each seed's validation score and their mean (the chosen
 * one marked), and a sentence saying which configuration won and on which split.
 */
export function tuningBlocks(tuning: TuningRecord): Block[] {
  const at = tuning.epoch === 'final' ? 'at the final epoch' : 'at its best epoch';
  const seeds = tuning.seeds.length === 1 ? `seed ${tuning.seeds[0]}` : `seeds ${tuning.seeds.join(', ')}`;
  const blocks: Block[] = [
    { kind: 'heading', level: 2, text: 'Tuning' },
    {
      kind: 'paragraph',
      text:
        `Before the runs this report compares, a tuning stage trained every optimizer variant on every data set at each of the learning rates below (${seeds}) and judged it on the ${tuning.metric} split held out of the training data, by the data set's primary metric ${at}. ` +
        `Rule: ${tuning.rule}. The results tables train each variant with its chosen learning rate on the grid's seeds and judge it on the test split, which the tuning never saw.`,
    },
  ];
  for (const dataset of [...new Set(tuning.rows.map((r) => r.dataset))]) {
    const rows = tuning.rows.filter((r) => r.dataset === dataset);
    blocks.push({ kind: 'heading', level: 3, text: `Tuning: ${datasetTitle(dataset)}` });
    blocks.push({ kind: 'table', table: tuningTable(tuning, dataset, rows) });
    blocks.push({ kind: 'paragraph', text: verdict(tuning, dataset, rows) });
  }
  return blocks;
}

function tuningTable(tuning: TuningRecord, dataset: string, rows: readonly TuningRowRecord[]): Table {
  const title = metricTitle(rows.find((r) => r.metric)?.metric ?? undefined);
  const header = ['optimizer', 'lr', ...tuning.seeds.map((s) => `seed ${s}`), `mean validation ${title} %`, ''];
  const body = rows.flatMap((r) =>
    r.points.map((p) => [
      r.label,
      `${String(p.lr)}${p.lr === r.centre_lr ? ' (centre)' : ''}`,
      ...tuning.seeds.map((seed) => {
        const run = p.runs.find((x) => x.seed === seed);
        if (!run) return DASH;
        if (run.status === 'completed') return pct(run.score);
        return run.status === 'diverged' ? 'diverged' : run.status;
      }),
      p.diverged ? 'diverged' : pct(p.score),
      r.winner?.lr === p.lr ? CHOSEN : '',
    ]),
  );
  const samples = [...new Set(rows.flatMap((r) => (r.validation_samples === null ? [] : [r.validation_samples])))];
  const notes = [
    `Validation ${title} of each tuning run, on ${samples.length ? `${samples.join(' / ')} samples` : 'samples'} held out of the training split. (centre): the variant's own resolved learning rate, the centre of the grid. A point with a diverged run loses; ties go to the smaller learning rate.`,
    ...rows.flatMap((r) => (r.error ? [`${r.label}: ${r.error}.`] : r.note ? [`${r.label}: ${r.note}.`] : [])),
  ];
  return { caption: `${datasetTitle(dataset)}: learning rates tried in tuning, validation ${title}`, header, rows: body, notes, numeric: header.map((_, i) => i > 0 && i < header.length - 1) };
}

/** "On MNIST the tuning chose … on the validation split; the best configuration was …". */
function verdict(tuning: TuningRecord, dataset: string, rows: readonly TuningRowRecord[]): string {
  const title = metricTitle(rows.find((r) => r.metric)?.metric ?? undefined);
  const chosen = rows.filter((r) => r.winner);
  const undecided = rows.filter((r) => !r.winner).map((r) => r.label);
  if (!chosen.length) return `On ${datasetTitle(dataset)} no learning rate was chosen (${undecided.join(', ')}: a tuning run did not finish), so no variant ran with a tuned learning rate.`;
  const list = chosen.map((r) => `${r.label} lr ${String(r.winner!.lr)} (${r.winner!.score === null ? 'every point diverged' : `${pct(r.winner!.score)} %`})`).join(', ');
  const scored = chosen.filter((r) => r.winner!.score !== null);
  const best = scored.sort((a, b) => b.winner!.score! - a.winner!.score!)[0];
  const overall = best ? ` The best configuration was ${best.label} with lr ${String(best.winner!.lr)}, at ${pct(best.winner!.score)} % validation ${title}.` : '';
  const missing = undecided.length ? ` No learning rate was chosen for ${undecided.join(', ')} (see the notes), whose grid cells did not run.` : '';
  return `On ${datasetTitle(dataset)} the tuning chose, by mean validation ${title} on the ${tuning.metric} split: ${list}.${overall}${missing} The runs this report compares were trained with those learning rates and judged on the test split.`;
}
