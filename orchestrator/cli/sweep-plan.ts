import { Command } from 'commander';
import { expandGrid, planHeadline, type PlannedCell } from '../../shared/sweep/grid.js';
import { loadSweepSpec } from '../../shared/sweep/load.js';
import { engineKnownNames } from '../sweep/known-names.js';

/** The plan as a plain-text table: #, cell id, optimizer variant, data set, seed, epochs, train limit. */
export function formatPlanTable(cells: readonly PlannedCell[]): string {
  const header = ['#', 'cell id', 'optimizer', 'dataset', 'seed', 'epochs', 'train limit'];
  const rightAligned = new Set([0, 4, 5, 6]);
  const rows = cells.map((c, i) => [String(i + 1), c.id, c.label, c.dataset, String(c.seed), String(c.trial.epochs), c.trial.trainLimit === undefined ? 'all' : String(c.trial.trainLimit)]);
  const widths = header.map((h, col) => Math.max(h.length, ...rows.map((r) => r[col]!.length)));
  const line = (cols: string[]) =>
    cols
      .map((text, col) => (rightAligned.has(col) ? text.padStart(widths[col]!) : text.padEnd(widths[col]!)))
      .join('  ')
      .trimEnd();
  return [line(header), ...rows.map(line)].join('\n');
}

/** `grn sweep plan <spec> [--json]`: validates a spec and shows its cells without running anything. */
export function sweepPlanCommand(write: (text: string) => void = (text) => void process.stdout.write(text)): Command {
  return new Command('plan')
    .description('validate a sweep spec and list the cells it would run (nothing is run)')
    .argument('<spec>', 'sweep spec (YAML), e.g. sweeps/quick.yaml')
    .option('--json', 'print {name, cells} as JSON, each cell with its full trial config')
    .action(async (file: string, flags: { json?: boolean }) => {
      const spec = await loadSweepSpec(file, engineKnownNames());
      const cells = expandGrid(spec);
      if (flags.json) write(`${JSON.stringify({ name: spec.name, cells }, null, 2)}\n`);
      else write(`${planHeadline(spec.name, cells)}\n\n${formatPlanTable(cells)}\n`);
    });
}
