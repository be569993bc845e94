import { OPTIMIZERS } from '../../../worker/engine/catalog.js';
import { Box, Text } from 'ink';
import { metricTitle } from '../../../shared/metrics.js';
import type { GroupSummary } from '../state/grid-model.js';
import type { DashboardStore } from '../state/store.js';
import { SERIES_NAMES, type SeriesName } from '../state/trial-telemetry.js';
import { fit, num, pct, sparkline, STATUS_COLOR, STATUS_GLYPH } from './format.js';
import { windowAround } from './window.js';

/** Row labels; `score` is the data set's primary metric (accuracy; mIoU for segmentation), named per trial. */
const SERIES_LABEL: Record<Exclude<SeriesName, 'score'>, string> = { loss: 'loss', lr: 'lr', momentum: 'momentum', grad_var: 'grad_var', entropy: 'entropy' };

/** The seeds of the selected grid cell, one line each, windowed around the selected seed. */
function SeedList({ store, group, seed, focused, width, height }: { store: DashboardStore; group: GroupSummary; seed: number; focused: boolean; width: number; height: number }) {
  const win = windowAround(group.cells.length, seed, height);
  return (
    <Box flexDirection="column" width={width} height={height}>
      {group.cells.slice(win.start, win.end).map((c, i) => {
        const s = store.cellState(c.id);
        const status = store.cellView(c.id);
        const detail = status === 'diverged' ? `diverged @${s?.diverged_at_step}` : status === 'done' ? pct(store.scoreOf(c.id)) : status === 'running' ? `#${s?.attempt} ${s?.node ?? ''}` : status === 'failed' ? (s?.error ?? 'failed') : status === 'queued' && s?.error ? `retry: ${s.error}` : status;
        const selected = win.start + i === seed;
        return (
          <Text key={c.id} wrap="truncate-end" inverse={selected && focused} bold={selected}>
            {selected ? '▸' : ' '}
            {`s${c.seed}`.padEnd(5)}
            <Text color={STATUS_COLOR[status]}>{STATUS_GLYPH[status]}</Text> {fit(detail, width - 9)}
          </Text>
        );
      })}
    </Box>
  );
}

/**
 * The selected trial: its seeds beside sparklines of loss, its primary metric (per epoch), effective lr,
 * momentum, grad_var and entropy from its live telemetry, and for EnhancedSGD the controller's
 * ε, mix_prob and last action.
 */
export function TrialPanel({ store, group, seed, focusSeeds, width, height }: { store: DashboardStore; group: GroupSummary | undefined; seed: number; focusSeeds: boolean; width: number; height: number }) {
  const cell = group?.cells[Math.min(seed, (group?.cells.length ?? 1) - 1)];
  if (!group || !cell) {
    return (
      <Box flexDirection="column" width={width} height={height}>
        <Text bold> Trial </Text>
        <Text dimColor>select a grid cell (arrows), enter for its seeds</Text>
      </Box>
    );
  }
  const state = store.cellState(cell.id);
  const status = store.cellView(cell.id);
  const live = store.telemetry.live(cell.id);
  const step = live?.step ?? null;
  const epochs = step?.epochs ?? live?.epoch?.epochs;
  const where = state?.node ? ` · ${state.node}/${state.slot ?? '?'}` : '';
  // Step records count epochs from 0; people count from 1.
  const epoch = typeof step?.epoch === 'number' ? `epoch ${step.epoch + 1}${typeof epochs === 'number' ? `/${epochs}` : ''}` : '';
  const batch = typeof step?.batch === 'number' && typeof step.batches === 'number' ? ` batch ${step.batch}/${step.batches}` : '';
  const progress = status === 'running' && (epoch || batch) ? ` · ${epoch}${batch}` : '';
  const speed = status === 'running' && typeof step?.samples_per_s === 'number' ? ` · ${Math.round(step.samples_per_s)}/s` : '';
  const listWidth = Math.max(16, Math.min(30, Math.floor(width * 0.32)));
  const right = Math.max(20, width - listWidth - 1);
  const controller = OPTIMIZERS.find(cell.optimizer)?.steered === true || (step !== null && 'epsilon' in step);
  const body = Math.max(0, height - 1);
  const sparkRows = Math.min(SERIES_NAMES.length, Math.max(0, body - (controller ? 1 : 0)));
  const series = store.telemetry.series(cell.id);
  const valueWidth = 9;
  const sparkWidth = Math.max(4, right - 10 - valueWidth - 1);
  const noTelemetry = SERIES_NAMES.every((n) => series[n].length === 0);
  return (
    <Box flexDirection="column" width={width} height={height}>
      <Text wrap="truncate-end">
        <Text bold inverse={focusSeeds}> Trial </Text>
        <Text> {cell.id} </Text>
        <Text color={STATUS_COLOR[status]}>
          {STATUS_GLYPH[status]} {status}
        </Text>
        <Text dimColor>
          {state && state.attempt > 1 ? ` · attempt ${state.attempt}` : ''}
          {where}
          {progress}
          {speed}
        </Text>
      </Text>
      <Box flexDirection="row" height={body}>
        <SeedList store={store} group={group} seed={seed} focused={focusSeeds} width={listWidth} height={body} />
        <Box flexDirection="column" width={right} marginLeft={1}>
          {noTelemetry && status !== 'running' ? (
            <Text wrap="truncate-end" dimColor>
              {status === 'done' ? `final ${metricTitle(store.metricOf(cell.dataset))} ${pct(store.scoreOf(cell.id), 2)} (no live telemetry seen)` : status === 'failed' ? `failed: ${state?.error ?? ''}` : `${status}: no telemetry yet`}
            </Text>
          ) : (
            SERIES_NAMES.slice(0, sparkRows).map((name) => {
              const values = series[name];
              const last = name === 'score' ? (values.length ? pct(values.at(-1)!, 2) : '—') : num(values.at(-1) ?? (step?.[name] as number | undefined) ?? null);
              return (
                <Text key={name} wrap="truncate-end">
                  <Text dimColor>{(name === 'score' ? metricTitle(store.metricOf(cell.dataset)) : SERIES_LABEL[name]).padEnd(10)}</Text>
                  <Text color="cyan">{sparkline(values, sparkWidth).padEnd(sparkWidth)}</Text> {last.padStart(valueWidth)}
                </Text>
              );
            })
          )}
          {controller && step ? (
            <Text wrap="truncate-end">
              <Text dimColor>{OPTIMIZERS.find(cell.optimizer)?.displayName ?? cell.optimizer} </Text>ε {num(step.epsilon ?? null)} mix_prob {num(step.mix_prob ?? null)} action <Text color="magenta">{String(step.action ?? '—')}</Text>
            </Text>
          ) : null}
        </Box>
      </Box>
    </Box>
  );
}
