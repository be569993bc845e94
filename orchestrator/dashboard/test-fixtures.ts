import type { CellState, NodeRecord, SweepRecord, TelemetryMessage } from '../../shared/protocol/messages.js';
import type { PlanCell } from './state/store.js';

/** Small builders of wire records for the dashboard's tests and benchmark. */

export function plan(labels: string[], datasets: string[], seeds: number[]): PlanCell[] {
  return labels.flatMap((label) => datasets.flatMap((dataset) => seeds.map((seed) => ({ id: `${label}-${dataset}-s${seed}`, label, optimizer: label.replace(/\[.*/, ''), dataset, seed }))));
}

export function cell(id: string, status: CellState['status'], extra: Partial<CellState> = {}): CellState {
  return { sweep: 'sw', cell: id, status, attempt: status === 'queued' ? 0 : 1, updated_at: new Date(0).toISOString(), ...extra };
}

export function sweepRecord(status: SweepRecord['status'] = 'running', cells = 0): SweepRecord {
  const now = new Date().toISOString();
  return { format: 'grn.sweep/1', id: 'sw', name: 'demo', status, cells, max_deliver: 3, spec_yaml: '', created_at: now, updated_at: now };
}

export function nodeRecord(node: string, slots: Array<{ slot: string; cell?: string | null; device?: number | null }> = [{ slot: 'cpu0' }]): NodeRecord {
  return {
    format: 'grn.node/1',
    node,
    host: 'host-a',
    pid: 1,
    version: '0.1.0',
    backend: 'auto',
    gpus: slots.filter((s) => s.device !== undefined && s.device !== null).map((s) => ({ index: s.device!, name: 'NVIDIA H100', vram_total_mb: 81_559 })),
    slots: slots.map((s) => ({ slot: s.slot, kind: s.device !== undefined && s.device !== null ? 'gpu' : 'cpu', device: s.device ?? null, sweep: s.cell ? 'sw' : null, cell: s.cell ?? null, trainer_pid: 2, samples_per_s: null })),
    draining: false,
    started_at: new Date(0).toISOString(),
    heartbeat_at: new Date(0).toISOString(),
    cells_done: 0,
    cells_failed: 0,
  };
}

export function step(cellId: string, record: Record<string, number | string | null>): TelemetryMessage {
  return { sweep: 'sw', cell: cellId, node: 'n1', slot: 'cpu0', at: new Date(0).toISOString(), kind: 'step', record };
}
