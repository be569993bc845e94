import { Box, useInput } from 'ink';
import { useEffect, useRef, useState } from 'react';
import { useStoreFrame } from './hooks/use-store-frame.js';
import { useTerminalSize, type TerminalSize } from './hooks/use-terminal-size.js';
import { initialUi, reduceKey, splitKeys, type Effect, type KeyContext, type KeyInfo, type UiState } from './keys.js';
import { computeLayout } from './layout.js';
import { ConfirmCancel, HelpDialog, QuitDialog } from './panels/dialogs.js';
import { EventsPanel } from './panels/events.js';
import { FinalPanel } from './panels/final.js';
import { Footer } from './panels/footer.js';
import { GridPanel } from './panels/grid.js';
import { Header } from './panels/header.js';
import { nodeLineCount, NodesPanel } from './panels/nodes.js';
import { TrialPanel } from './panels/trial.js';
import { runControl, type SweepControl } from './state/control.js';
import { groupKey, type GroupSummary } from './state/grid-model.js';
import type { DashboardStore } from './state/store.js';

/** How the person left: sweep kept running, cancelled, or it had ended anyway. */
export type ExitKind = 'left' | 'cancelled' | 'final';

export interface DashboardProps {
  store: DashboardStore;
  control: SweepControl;
  onExit: (how: ExitKind) => void;
  /** The command that re-attaches to this sweep (shown when quitting). */
  reattach: string;
  /** Fixed size (tests, benchmark); else the terminal's, following resizes. */
  size?: TerminalSize;
  fps?: number;
}

/** Which seed the trial panel shows while moving over the grid: the first running one, else the first. */
function defaultSeed(store: DashboardStore, group: GroupSummary | undefined): number {
  if (!group) return 0;
  const running = group.cells.findIndex((c) => store.cellState(c.id)?.status === 'running');
  return running >= 0 ? running : 0;
}

/** The attached dashboard of one sweep: header, panels laid out for the terminal, footer, overlays. */
export function Dashboard({ store, control, onExit, reattach, size: fixedSize, fps }: DashboardProps) {
  useStoreFrame(store, fps);
  const size = useTerminalSize(fixedSize);
  const [ui, setUi] = useState<UiState>(initialUi);
  // Keys may arrive faster than React re-renders: the reducer always sees the latest state.
  const uiRef = useRef(ui);
  uiRef.current = ui;

  const final = store.isFinal();
  const showFinal = final && !ui.showGrid;
  const grid = store.grid(ui.filter);
  const row = Math.max(0, Math.min(ui.row, grid.labels.length - 1));
  const col = Math.max(0, Math.min(ui.col, grid.datasets.length - 1));
  const group = grid.labels.length && grid.datasets.length ? grid.groups.get(groupKey(grid.labels[row]!, grid.datasets[col]!)) : undefined;
  const seed = ui.focus === 'seeds' ? Math.min(ui.seed, (group?.cells.length ?? 1) - 1) : defaultSeed(store, group);
  const selectedCell = group?.cells[seed]?.id ?? null;
  useEffect(() => store.selectTrial(selectedCell), [store, selectedCell]);

  const nodes = store.nodes();
  const layout = computeLayout(size.columns, size.rows, ui.zoom, { gridLines: grid.labels.length + 2, nodeLines: nodeLineCount(nodes) });
  const finalRows = showFinal ? store.finalTable().length : 0;

  const apply = async (effect: Effect) => {
    switch (effect.kind) {
      case 'notice':
        store.notify(effect.text);
        return;
      case 'status':
        await runControl(store, control, effect);
        return;
      case 'retry':
        if (store.isFinal()) store.notify(`the sweep is ${store.sweep?.status}: failed cells can be retried only while it runs`, 'error');
        else await runControl(store, control, { kind: 'retry' });
        return;
      case 'quit':
        if (effect.cancel && !store.isFinal()) {
          try {
            await control.setStatus('cancelled');
          } catch (err) {
            store.notify(`cancel failed: ${(err as Error).message}`, 'error');
            return;
          }
          onExit('cancelled');
          return;
        }
        onExit(store.isFinal() ? 'final' : 'left');
    }
  };

  useInput((chunk, chunkKey) => {
    for (const { input, key } of splitKeys(chunk, chunkKey)) handleKey(input, key);
  });

  function handleKey(input: string, key: KeyInfo) {
    const ctx: KeyContext = {
      rows: showFinal ? finalRows : grid.labels.length,
      cols: grid.datasets.length,
      seeds: group?.cells.length ?? 0,
      sweepStatus: store.sweep?.status,
      final: store.isFinal(),
      page: Math.max(1, (layout.panels.grid?.height ?? 10) - 2),
    };
    const current = ui.focus === 'grid' && uiRef.current.focus === 'grid' ? { ...uiRef.current, seed } : uiRef.current;
    const { state, effect } = reduceKey(current, input, key, ctx);
    uiRef.current = state;
    setUi(state);
    if (effect) void apply(effect);
  }

  const p = layout.panels;
  const footerMode = ui.filtering ? 'filter' : showFinal ? 'final' : ui.focus === 'seeds' ? 'seeds' : 'main';
  let body;
  if (ui.overlay) {
    body = (
      <Box height={layout.body} width={layout.width} justifyContent="center" alignItems="center">
        {ui.overlay === 'help' ? <HelpDialog width={layout.width} /> : ui.overlay === 'confirm-cancel' ? <ConfirmCancel sweep={store.sweepId ?? ''} width={layout.width} /> : <QuitDialog sweep={store.sweepId ?? ''} width={layout.width} reattach={reattach} />}
      </Box>
    );
  } else if (showFinal) {
    body = <FinalPanel store={store} width={layout.width} height={layout.body} row={ui.row} />;
  } else {
    const gridPanel = p.grid ? <GridPanel store={store} grid={grid} row={row} col={col} filter={ui.filter} filtering={ui.filtering} focused={ui.focus === 'grid'} width={p.grid.width} height={p.grid.height} /> : null;
    const trialPanel = p.trial ? <TrialPanel store={store} group={group} seed={seed} focusSeeds={ui.focus === 'seeds'} width={p.trial.width} height={p.trial.height} /> : null;
    const nodesPanel = p.nodes ? <NodesPanel store={store} nodes={nodes} width={p.nodes.width} height={p.nodes.height} focused={ui.zoom === 'nodes'} /> : null;
    const eventsPanel = p.events ? <EventsPanel events={store.events(p.events.height)} width={p.events.width} height={p.events.height} focused={ui.zoom === 'events'} /> : null;
    body =
      layout.arrangement === 'columns' ? (
        <Box flexDirection="row" height={layout.body}>
          <Box flexDirection="column" width={p.grid!.width}>
            {gridPanel}
            {trialPanel}
          </Box>
          <Box flexDirection="column" width={p.nodes!.width} marginLeft={1}>
            {nodesPanel}
            {eventsPanel}
          </Box>
        </Box>
      ) : (
        <Box flexDirection="column" height={layout.body}>
          {gridPanel}
          {nodesPanel}
          {trialPanel}
          {eventsPanel}
        </Box>
      );
  }
  return (
    <Box flexDirection="column" width={layout.width} height={layout.height}>
      <Header store={store} width={layout.width} />
      {body}
      <Footer width={layout.width} mode={footerMode} />
    </Box>
  );
}
