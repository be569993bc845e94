import { Command, Option } from 'commander';
import { skippedNotes } from '../../shared/sweep/ablation.js';
import { ablationOf, countCells, gridCells, planHeadline, planSummary, type PlannedCell } from '../../shared/sweep/grid.js';
import { WINNER_RULE } from '../../shared/sweep/tuning/index.js';
import { expandSweep } from '../sweep/plan.js';
import { loadSweepSpec } from '../../shared/sweep/load.js';
import type { SweepSpec } from '../../shared/sweep/spec.js';
import { trainingCatalog } from '../../worker/engine/catalog.js';
import { engineKnownNames } from '../sweep/known-names.js';
import { positiveInt } from './options.js';
import { formatTable } from './table.js';

/** Above this many cells the plan prints a summary and the first rows, not every cell. */
export const PLAN_ROWS = 1000;
/** Rows shown of a grid past PLAN_ROWS. */
const HEAD_ROWS = 20;

/** `size=[224,224] max_length=128`: the data set's and the model's options as resolved. */
function optionsText(c: PlannedCell): string {
  const all = { ...c.trial.dataOptions, ...c.trial.modelOptions };
  return Object.entries(all)
    .map(([k, v]) => `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`)
    .join(' ');
}

/** A column of the plan table: its heading, alignment and each cell's text. */
interface Column {
  readonly title: string;
  readonly right?: boolean;
  readonly value: (c: PlannedCell, i: number) => string;
}

/** A validation size as written: a fraction, or a count of samples. */
const validationText = (v: number | undefined) => (v === undefined ? '-' : v < 1 ? String(v) : `${v} samples`);

/**
 * The plan as a plain-text table: #, cell id, optimizer variant, data set, seed, and each cell's
 * resolved settings — epochs, train limit, validation (where any cell has one), model, batch
 * size, lr, and (where any cell has some) the data set's and model's options — so what differs by
 * data set shows. `tunedLr`: the grid of a tuned sweep, whose lr the tuning chooses.
 */
export function formatPlanTable(cells: readonly PlannedCell[], first = 0, options: { tunedLr?: boolean } = {}): string {
  const columns: Column[] = [
    { title: '#', right: true, value: (_, i) => String(first + i + 1) },
    { title: 'cell id', value: (c) => c.id },
    { title: 'optimizer', value: (c) => c.label },
    { title: 'dataset', value: (c) => c.dataset },
    { title: 'seed', right: true, value: (c) => String(c.seed) },
    { title: 'epochs', right: true, value: (c) => String(c.trial.epochs) },
    { title: 'train limit', right: true, value: (c) => (c.trial.trainLimit === undefined ? 'all' : String(c.trial.trainLimit)) },
    ...(cells.some((c) => c.trial.validation !== undefined) ? [{ title: 'validation', right: true, value: (c: PlannedCell) => validationText(c.trial.validation) }] : []),
    { title: 'model', value: (c) => c.trial.model ?? '-' },
    { title: 'batch', right: true, value: (c) => String(c.trial.batchSize) },
    { title: 'lr', right: true, value: (c) => (options.tunedLr ? 'tuned' : String(c.trial.hyperparameters.lr ?? '-')) },
    ...(cells.some((c) => optionsText(c) !== '') ? [{ title: 'options', value: optionsText }] : []),
  ];
  const right = new Set(columns.flatMap((c, i) => (c.right ? [i] : [])));
  return formatTable(columns.map((c) => c.title), cells.map((cell, i) => columns.map((c) => c.value(cell, i))), right);
}

/** The first `n` cells, expanding nothing beyond them. */
function firstCells(spec: SweepSpec, n: number): PlannedCell[] {
  const cells: PlannedCell[] = [];
  for (const cell of gridCells(spec, trainingCatalog)) {
    if (cells.length >= n) break;
    cells.push(cell);
  }
  return cells;
}

/** `mnist-optimizers: 35 cells (7 optimizer variants × 1 data set × 5 seeds)`, from the spec's shape. */
function headline(spec: SweepSpec, count: number): string {
  // planHeadline counts from cells; for a big grid the spec's own lists say the same at no cost.
  const variants = count / (spec.grid.dataset.length * spec.grid.seed.length);
  const n = (k: number, one: string, many: string) => `${k.toLocaleString('en-US')} ${k === 1 ? one : many}`;
  return `${spec.name}: ${n(count, 'cell', 'cells')} (${n(variants, 'optimizer variant', 'optimizer variants')} × ${n(spec.grid.dataset.length, 'data set', 'data sets')} × ${n(spec.grid.seed.length, 'seed', 'seeds')})`;
}

/** One stage's table, cut to its first rows past the limit. */
function stageTable(cells: readonly PlannedCell[], limit: number, options: { tunedLr?: boolean } = {}): string {
  if (cells.length <= limit) return formatPlanTable(cells, 0, options);
  return `${formatPlanTable(cells.slice(0, HEAD_ROWS), 0, options)}\n… and ${(cells.length - HEAD_ROWS).toLocaleString('en-US')} more cells (more than ${limit.toLocaleString('en-US')}: --rows N lists up to N, --json lists all)`;
}

/**
 * The plan of a spec with `tune:`: its two stages, each with its cells — the tuning stage's with
 * the learning rates they try, the grid's with `tuned` for the lr its tuning chooses. `--json`
 * lists every cell of both (the grid's marked `"tuned": "lr"`).
 */
function tunedPlan(spec: SweepSpec, file: string, flags: { json?: boolean; rows?: number }): string {
  const { cells, tuning } = expandSweep(spec, trainingCatalog, file);
  const grid = cells.filter((c) => c.stage !== 'tuning');
  if (flags.json) return `${JSON.stringify({ name: spec.name, cells: cells.map((c) => (c.stage === 'tuning' ? c : { ...c, tuned: 'lr' })) })}\n`;
  const t = tuning!;
  const n = (k: number, one: string, many: string) => `${k.toLocaleString('en-US')} ${k === 1 ? one : many}`;
  const shape = planSummary(grid);
  const points = t.rows[0]?.points.length ?? 0;
  const limit = flags.rows ?? PLAN_ROWS;
  const at = t.tune.epoch === 'final' ? 'at the final epoch' : 'at its best epoch';
  return [
    `${spec.name}: ${n(cells.length, 'cell', 'cells')} in two stages`,
    '',
    `stage 1, tuning: ${n(t.cells.length, 'cell', 'cells')} (${n(shape.optimizerVariants, 'optimizer variant', 'optimizer variants')} × ${n(shape.datasets, 'data set', 'data sets')} × ${n(points, 'learning rate', 'learning rates')} × ${n(t.seeds.length, 'seed', 'seeds')}), judged on the validation split's primary metric ${at}`,
    '',
    stageTable(t.cells, limit),
    '',
    `stage 2, the grid: ${n(grid.length, 'cell', 'cells')} (${n(shape.optimizerVariants, 'optimizer variant', 'optimizer variants')} × ${n(shape.datasets, 'data set', 'data sets')} × ${n(shape.seeds, 'seed', 'seeds')}), lr chosen by tuning — ${WINNER_RULE} — judged on the test split`,
    '',
    stageTable(grid, limit, { tunedLr: true }),
    '',
  ].join('\n');
}

/**
 * `grn sweep plan <spec> [--json] [--rows N]`: validates a spec and shows its cells without running
 * anything. A grid past PLAN_ROWS cells is summarised; `--json` streams every cell, one per line
 * inside the array, so memory stays that of one cell however big the grid.
 */
export function sweepPlanCommand(write: (text: string) => void = (text) => void process.stdout.write(text)): Command {
  return new Command('plan')
    .description('validate a sweep spec and list the cells it would run (nothing is run)')
    .argument('<spec>', 'sweep spec (YAML), e.g. sweeps/quick.yaml')
    .option('--json', 'print {name, cells} as JSON, each cell with its full trial config')
    .addOption(new Option('--rows <n>', `list every cell up to this many, else a summary (default ${PLAN_ROWS})`).argParser(positiveInt))
    .action(async (file: string, flags: { json?: boolean; rows?: number }) => {
      const spec = await loadSweepSpec(file, engineKnownNames());
      if (spec.tune) {
        write(tunedPlan(spec, file, flags));
        return;
      }
      const count = countCells(spec, trainingCatalog);
      // Switches an `ablate: {components: all}` leaves out, and why.
      const ablation = ablationOf(spec, trainingCatalog);
      const notes = ablation ? skippedNotes(ablation) : [];
      if (flags.json) {
        write(`{"name":${JSON.stringify(spec.name)},${notes.length ? `"notes":${JSON.stringify(notes)},` : ''}"cells":[`);
        let i = 0;
        for (const cell of gridCells(spec, trainingCatalog)) write(`${i++ ? ',' : ''}\n${JSON.stringify(cell)}`);
        write('\n]}\n');
        return;
      }
      const limit = flags.rows ?? PLAN_ROWS;
      const noteText = notes.map((n) => `note: ${n}\n`).join('');
      if (count <= limit) {
        const cells = firstCells(spec, count);
        write(`${planHeadline(spec.name, cells)}\n${noteText}\n${formatPlanTable(cells)}\n`);
        return;
      }
      const head = firstCells(spec, HEAD_ROWS);
      write(
        `${headline(spec, count)}\n${noteText}\n${formatPlanTable(head)}\n… and ${(count - head.length).toLocaleString('en-US')} more cells ` +
          `(more than ${limit.toLocaleString('en-US')}: --rows N lists up to N, --json lists all)\n`,
      );
    });
}
