import { Box, Text } from 'ink';
import type { DashboardStore } from '../state/store.js';
import { bar, duration, fit } from './format.js';

const STATUS_COLOR: Record<string, string> = { running: 'green', paused: 'yellow', cancelled: 'red', failed: 'red', done: 'cyan' };

/**
 * Two lines: the sweep (name, id, status, cell counts, time, connection) and either the latest
 * notice (the answer to a key press) or a progress bar of the finished cells.
 */
export function Header({ store, width }: { store: DashboardStore; width: number }) {
  const sweep = store.sweep;
  const c = store.counts();
  const status = sweep?.status ?? 'starting';
  const finished = c.done + c.failed + c.cancelled;
  const started = sweep ? Date.parse(sweep.created_at) : NaN;
  const elapsed = Number.isFinite(started) ? duration((store.isFinal() ? Date.parse(sweep!.updated_at) : store.now()) - started) : '';
  const conn = store.connection === 'connected' ? '' : store.isFinal() ? 'server stopped' : store.connection;
  // The id starts with the spec's name: it says both.
  const title = store.sweepId ?? sweep?.name ?? 'sweep';
  // Narrow terminals drop the queued count (the rest of the total) to leave room for the id.
  const counts =
    width >= 100
      ? `${c.done}/${c.total} done · ${c.running} running · ${c.queued} queued · ${c.failed} failed${c.cancelled ? ` · ${c.cancelled} cancelled` : ''}`
      : `${c.done}/${c.total} done · ${c.running} run · ${c.failed} failed${c.cancelled ? ` · ${c.cancelled} canc` : ''}`;
  const notice = store.notice;
  const progressWidth = Math.max(10, Math.min(40, width - 30));
  return (
    <Box flexDirection="column" width={width}>
      <Text wrap="truncate-end">
        <Text bold>GRN </Text>
        <Text>{fit(title, Math.max(10, width - counts.length - 24))} </Text>
        <Text bold inverse color={STATUS_COLOR[status]}>
          {` ${status.toUpperCase()} `}
        </Text>
        <Text> {counts}</Text>
        {elapsed ? <Text dimColor> {elapsed}</Text> : null}
        {conn ? <Text color="yellow"> [{conn}]</Text> : null}
        {store.readOnly ? <Text color="magenta"> [read-only]</Text> : null}
      </Text>
      {notice ? (
        <Text wrap="truncate-end" color={notice.level === 'error' ? 'red' : 'cyan'}>
          {notice.text}
        </Text>
      ) : (
        <Text wrap="truncate-end">
          <Text color="green">{bar(c.total ? finished / c.total : 0, progressWidth)}</Text>
          <Text dimColor>
            {' '}
            {c.total ? `${Math.floor((finished / c.total) * 100)}% of ${c.total} cells` : sweep ? 'no cells' : 'waiting for the sweep to be published…'}
            {store.serverUrl ? `  ${store.serverUrl}` : ''}
          </Text>
        </Text>
      )}
    </Box>
  );
}
