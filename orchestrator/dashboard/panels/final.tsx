import { Box, Text } from 'ink';
import { metricShort, metricTitle } from '../../../shared/metrics.js';
import type { DashboardStore } from '../state/store.js';
import { fit, pct } from './format.js';
import { windowAround } from './window.js';

/**
 * The end of a sweep: per optimizer variant × data set, the mean ± sample std of the final
 * primary metric (accuracy; mIoU for segmentation, named on each row) over the seeds that finished (n of the seeds), the best mean per data set in bold,
 * and where the results folder and report are.
 */
export function FinalPanel({ store, width, height, row }: { store: DashboardStore; width: number; height: number; row: number }) {
  const rows = store.finalTable();
  const c = store.counts();
  const best = new Map<string, number>();
  for (const r of rows) if (r.mean !== null) best.set(r.dataset, Math.max(best.get(r.dataset) ?? -Infinity, r.mean));
  const labelWidth = Math.max(10, Math.min(30, Math.max(0, ...rows.map((r) => r.label.length))));
  const datasetWidth = Math.max(8, Math.min(16, Math.max(0, ...rows.map((r) => r.dataset.length))));
  const footer = 2 + (store.resultsDir ? 1 : 0);
  const room = Math.max(1, height - 3 - footer);
  const win = windowAround(rows.length, row, room);
  const status = store.sweep?.status ?? 'ended';
  // One metric for every data set (the usual case): it heads the column; else each row names its own.
  const metrics = new Set(rows.map((r) => store.metricOf(r.dataset)));
  const oneMetric = metrics.size <= 1;
  const metricHeader = oneMetric ? metricTitle([...metrics][0]) : 'score';
  return (
    <Box flexDirection="column" width={width} height={height}>
      <Text wrap="truncate-end">
        <Text bold inverse> Final </Text>
        <Text>
          {' '}
          sweep {store.sweepId} {status}: {c.done} done, {c.failed} failed, {c.cancelled} cancelled of {c.total}
        </Text>
      </Text>
      <Text bold wrap="truncate-end">
        {'optimizer'.padEnd(labelWidth)}  {'data set'.padEnd(datasetWidth)}  {`${metricHeader} mean ± std`.padEnd(20)}  {'n'.padStart(7)}
      </Text>
      {rows.slice(win.start, win.end).map((r) => {
        const isBest = r.mean !== null && r.mean === best.get(r.dataset) && rows.filter((x) => x.dataset === r.dataset).length > 1;
        const spread = r.std === null ? '' : ` ± ${(r.std * 100).toFixed(2)}`;
        return (
          <Text key={`${r.label}/${r.dataset}`} wrap="truncate-end">
            {fit(r.label, labelWidth).padEnd(labelWidth)}  {fit(r.dataset, datasetWidth).padEnd(datasetWidth)}{'  '}
            <Text bold={isBest} color={isBest ? 'green' : undefined}>
              {`${pct(r.mean, 2)}${spread}${oneMetric ? '' : ` ${metricShort(store.metricOf(r.dataset))}`}`.padEnd(20)}
            </Text>
            {'  '}
            {`${r.n}/${r.seeds}`.padStart(7)}
            {r.failed ? <Text color="red"> {r.failed} failed</Text> : null}
            {r.diverged ? <Text color="magenta"> {r.diverged} diverged</Text> : null}
          </Text>
        );
      })}
      {rows.length > room ? <Text dimColor>rows {win.start + 1}–{win.end} of {rows.length} (up/down)</Text> : <Text> </Text>}
      {store.resultsDir ? (
        <Text wrap="truncate-end">
          <Text bold>results </Text>
          {store.resultsDir}
        </Text>
      ) : null}
      <Text wrap="truncate-end">
        <Text bold>report  </Text>
        {store.reportPath ?? (store.resultsDir ? 'report.md not written (yet)' : 'in the results folder on the orchestrator’s machine')}
      </Text>
    </Box>
  );
}
