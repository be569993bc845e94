import { Command, Option } from 'commander';
import { skippedNotes } from '../../shared/sweep/ablation.js';
import { ablationOf, countCells, gridCells, planHeadline, type PlannedCell } from '../../shared/sweep/grid.js';
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

function row(c: PlannedCell, i: number, options: boolean): string[] {
  const t = c.trial;
  const lr = t.hyperparameters.lr;
  return [
    String(i + 1),
    c.id,
    c.label,
    c.dataset,
    String(c.seed),
    String(t.epochs),
    t.trainLimit === undefined ? 'all' : String(t.trainLimit),
    t.model ?? '-',
    String(t.batchSize),
    lr === undefined ? '-' : String(lr),
    ...(options ? [optionsText(c)] : []),
  ];
}

/**
 * The plan as a plain-text table: #, cell id, optimizer variant, data set, seed, and each cell's
 * resolved settings — epochs, train limit, model, batch size, lr, and (where any cell has some)
 * the data set's and model's options — so what differs by data set shows.
 */
export function formatPlanTable(cells: readonly PlannedCell[], first = 0): string {
  const options = cells.some((c) => optionsText(c) !== '');
  const header = ['#', 'cell id', 'optimizer', 'dataset', 'seed', 'epochs', 'train limit', 'model', 'batch', 'lr', ...(options ? ['options'] : [])];
  return formatTable(header, cells.map((c, i) => row(c, first + i, options)), new Set([0, 4, 5, 6, 8, 9]));
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
