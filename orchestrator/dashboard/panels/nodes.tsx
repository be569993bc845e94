import { Box, Text } from 'ink';
import type { ReactElement } from 'react';
import type { Slot } from '../../../shared/protocol/messages.js';
import type { DashboardStore, NodeView } from '../state/store.js';
import { bar, duration, fit, gib } from './format.js';

/** Lines the panel needs unwindowed: title, then per node one line and one per slot. */
export function nodeLineCount(nodes: readonly NodeView[]): number {
  return 1 + nodes.reduce((a, n) => a + 1 + n.record.slots.length, 0) + (nodes.length ? 0 : 1);
}

function NodeLine({ node, store, width }: { node: NodeView; store: DashboardStore; width: number }) {
  const stale = store.isStale(node);
  const r = node.record;
  const m = node.metrics;
  const why = node.deleted ? ' (left)' : stale ? ` (no heartbeat for ${duration(store.now() - node.seenAt)})` : '';
  const cpu = m?.cpu_pct !== null && m?.cpu_pct !== undefined ? `cpu ${Math.round(m.cpu_pct)}%` : 'cpu —';
  const ram = m ? `ram ${gib(m.ram_used_mb)}/${gib(m.ram_total_mb)} GiB` : '';
  return (
    <Text wrap="truncate-end" color={stale ? 'gray' : undefined} dimColor={stale}>
      <Text color={stale ? 'gray' : 'green'}>{stale ? '○' : '●'} </Text>
      <Text bold={!stale}>{fit(r.node, Math.max(12, Math.floor(width * 0.3)))}</Text>
      <Text> {fit(r.host, 16)}  {cpu}  {ram}  ✓{r.cells_done} ✗{r.cells_failed}</Text>
      {r.draining ? <Text color="yellow"> draining</Text> : null}
      <Text>{why}</Text>
    </Text>
  );
}

function SlotLine({ node, slot, store, width, stale }: { node: NodeView; slot: Slot; store: DashboardStore; width: number; stale: boolean }) {
  // This sweep's cells move in the cells bucket the moment a slot takes one; the registry
  // only says so at the next heartbeat. Other sweeps' cells come from the registry.
  const ours = store.runningCellOn(node.record.node, slot.slot);
  const cell = ours ?? (slot.sweep !== store.sweepId ? slot.cell : null);
  const samples = ours ? store.telemetry.samplesPerSecond(ours) : cell ? slot.samples_per_s : null;
  const trial = cell ? `${fit(cell, 28)}${ours ? '' : ` (${slot.sweep})`}${samples !== null ? `  ${Math.round(samples)}/s` : ''}` : 'idle';
  const gpu = slot.kind === 'gpu' && slot.device !== null ? node.gpus.get(slot.device) : undefined;
  const name = slot.slot.padEnd(5);
  if (slot.kind !== 'gpu') {
    return (
      <Text wrap="truncate-end" dimColor={stale}>
        {'  '}
        {name} <Text color={cell ? 'yellow' : 'gray'}>{trial}</Text>
      </Text>
    );
  }
  const gpuName = fit((gpu?.name ?? node.record.gpus.find((g) => g.index === slot.device)?.name ?? 'GPU').replace(/^NVIDIA /, ''), 12);
  const used = gpu?.vram_used_mb ?? null;
  const total = gpu?.vram_total_mb ?? node.record.gpus.find((g) => g.index === slot.device)?.vram_total_mb ?? null;
  const util = gpu?.utilisation_pct;
  const barWidth = width >= 110 ? 12 : 6;
  return (
    <Text wrap="truncate-end" dimColor={stale}>
      {'  '}
      {name} {gpuName.padEnd(12)} <Text color={util !== null && util !== undefined && util >= 50 ? 'green' : undefined}>{util !== null && util !== undefined ? `${String(Math.round(util)).padStart(3)}%` : '  —%'}</Text>{' '}
      <Text color="cyan">{bar(used !== null && total ? used / total : null, barWidth)}</Text> {gib(used)}/{gib(total)}G{' '}
      {gpu?.temperature_c !== null && gpu?.temperature_c !== undefined ? `${Math.round(gpu.temperature_c)}°C ` : ''}
      {gpu?.power_w !== null && gpu?.power_w !== undefined ? `${Math.round(gpu.power_w)}W ` : ''}
      <Text color={cell ? 'yellow' : 'gray'}>{trial}</Text>
    </Text>
  );
}

/** Every registered worker node and its slots: utilisation, VRAM, temperature, power, trial, samples/s. */
export function NodesPanel({ store, nodes, width, height, focused }: { store: DashboardStore; nodes: readonly NodeView[]; width: number; height: number; focused: boolean }) {
  const lines: ReactElement[] = [];
  for (const node of nodes) {
    const stale = store.isStale(node);
    lines.push(<NodeLine key={node.record.node} node={node} store={store} width={width} />);
    for (const slot of node.record.slots) lines.push(<SlotLine key={`${node.record.node}/${slot.slot}`} node={node} slot={slot} store={store} width={width} stale={stale} />);
  }
  const room = Math.max(0, height - 1);
  const live = nodes.filter((n) => !store.isStale(n)).length;
  const shown = lines.length > room ? [...lines.slice(0, Math.max(0, room - 1)), <Text key="more" dimColor>… {lines.length - room + 1} more line(s): tab to show this panel alone</Text>] : lines;
  return (
    <Box flexDirection="column" width={width} height={height}>
      <Text wrap="truncate-end">
        <Text bold inverse={focused}> Nodes </Text>
        <Text dimColor>
          {' '}
          {live} live{nodes.length > live ? `, ${nodes.length - live} gone` : ''}
        </Text>
      </Text>
      {nodes.length === 0 ? <Text dimColor>no worker nodes registered yet</Text> : shown.slice(0, room)}
    </Box>
  );
}
