import { Box, Text } from 'ink';
import { groupKey, type GridModel, type GroupSummary } from '../state/grid-model.js';
import type { DashboardStore } from '../state/store.js';
import { fit, pct, seedStrip, STATUS_COLOR } from './format.js';
import { windowAround } from './window.js';

export interface GridProps {
  store: DashboardStore;
  grid: GridModel;
  row: number;
  col: number;
  filter: string;
  filtering: boolean;
  focused: boolean;
  width: number;
  height: number;
}

/** Colour of a mean accuracy by its place between the column's worst and best. */
function rankColor(value: number | null, range: { min: number; max: number } | undefined): string | undefined {
  if (value === null || !range || range.max - range.min < 1e-9) return undefined;
  const t = (value - range.min) / (range.max - range.min);
  return t >= 2 / 3 ? 'green' : t >= 1 / 3 ? 'yellow' : 'red';
}

/**
 * Rows are optimizer variants, columns data sets; each cell shows its seeds (a glyph each, or a
 * proportional bar when there are many) and the mean final accuracy, coloured by rank within
 * the data set. Rows and columns are windowed around the selection: only what fits is built.
 */
export function GridPanel({ store, grid, row, col, filter, filtering, focused, width, height }: GridProps) {
  const maxSeeds = Math.max(1, ...[...grid.groups.values()].map((g) => g.cells.length));
  const strip = Math.max(4, Math.min(10, maxSeeds));
  // A cell: a selection mark, the seeds, the mean accuracy (the mark keeps the selection visible
  // where colours and inverse video are off, e.g. NO_COLOR).
  const cellWidth = strip + 8;
  const labelWidth = Math.max(8, Math.min(28, Math.floor(width * 0.35), Math.max(...grid.labels.map((l) => l.length), 8)));
  const visibleCols = Math.max(1, Math.floor((width - labelWidth - 2) / (cellWidth + 1)));
  const visibleRows = Math.max(0, height - 2);
  const rows = windowAround(grid.labels.length, row, visibleRows);
  const cols = windowAround(grid.datasets.length, col, visibleCols);

  const ranges = new Map<string, { min: number; max: number }>();
  for (const g of grid.groups.values()) {
    if (g.meanScore === null) continue;
    const r = ranges.get(g.dataset) ?? { min: Infinity, max: -Infinity };
    ranges.set(g.dataset, { min: Math.min(r.min, g.meanScore), max: Math.max(r.max, g.meanScore) });
  }

  const position = grid.labels.length > visibleRows ? ` rows ${rows.start + 1}–${rows.end} of ${grid.labels.length}` : '';
  const colPosition = grid.datasets.length > visibleCols ? ` · data sets ${cols.start + 1}–${cols.end} of ${grid.datasets.length}` : '';
  const datasets = grid.datasets.slice(cols.start, cols.end);
  return (
    <Box flexDirection="column" width={width} height={height}>
      <Text wrap="truncate-end">
        <Text bold inverse={focused}> Grid </Text>
        <Text dimColor>
          {' '}
          optimizer × data set{position}
          {colPosition}
        </Text>
        {filter || filtering ? <Text color="cyan"> filter: {filter}{filtering ? '▌' : ''}</Text> : null}
      </Text>
      {grid.labels.length === 0 ? (
        <Text dimColor>{store.cells.length === 0 ? 'waiting for the sweep’s cells…' : `no cell matches '${filter}'`}</Text>
      ) : (
        <>
          <Text wrap="truncate-end">
            {' '.repeat(labelWidth + 3)}
            {datasets.map((d) => (
              <Text key={d} bold>
                {fit(d, cellWidth - 1).padEnd(cellWidth + 1)}
              </Text>
            ))}
          </Text>
          {grid.labels.slice(rows.start, rows.end).map((label, i) => {
            const r = rows.start + i;
            return (
              <Text key={label} wrap="truncate-end">
                <Text bold={r === row}>
                  {r === row ? '▸' : ' '}
                  {fit(label, labelWidth).padEnd(labelWidth + 1)}
                </Text>
                {datasets.map((dataset, j) => (
                  <GridCell key={dataset} group={grid.groups.get(groupKey(label, dataset))} store={store} strip={strip} width={cellWidth} selected={r === row && cols.start + j === col} color={rankColor(grid.groups.get(groupKey(label, dataset))?.meanScore ?? null, ranges.get(dataset))} />
                ))}
              </Text>
            );
          })}
        </>
      )}
    </Box>
  );
}

function GridCell({ group, store, strip, width, selected, color }: { group: GroupSummary | undefined; store: DashboardStore; strip: number; width: number; selected: boolean; color: string | undefined }) {
  if (!group) return <Text>{' '.repeat(width + 1)}</Text>;
  const statuses = group.cells.map((c) => store.cellView(c.id));
  const segments = seedStrip(statuses, strip);
  const used = segments.reduce((a, s) => a + s.text.length, 0);
  const mean = pct(group.meanScore);
  return (
    <Text>
      <Text inverse={selected}>
        {selected ? '▸' : ' '}
        {segments.map((s, i) => (
          <Text key={i} color={STATUS_COLOR[s.status]}>
            {s.text}
          </Text>
        ))}
        {' '.repeat(Math.max(1, strip - used + 1))}
        <Text color={color}>{mean.padStart(6)}</Text>
      </Text>
      {' '}
    </Text>
  );
}
