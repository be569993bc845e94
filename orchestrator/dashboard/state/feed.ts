import { Kvm, type KV } from '@nats-io/kv';
import type { Msg, NatsConnection, Subscription } from '@nats-io/transport-node';
import {
  decodeJson,
  GpuMetricsSchema,
  NodeMetricsSchema,
  NodeRecordSchema,
  ResultRecordSchema,
  SweepRecordSchema,
  TelemetryMessageSchema,
} from '../../../shared/protocol/messages.js';
import { decodeCellState } from '../../../shared/protocol/cell-store.js';
import { CELLS_BUCKET, GPU_PREFIX, NODE_METRICS_PREFIX, NODES_BUCKET, RESULTS_BUCKET, subjects, SWEEPS_BUCKET } from '../../../shared/protocol/names.js';
import { cellsOfSweepRecord } from '../../sweep/retry.js';
import type { DashboardStore } from './store.js';

/** The KV buckets the dashboard reads, opened (not created: a viewer may not be allowed to). */
export interface FeedBuckets {
  readonly sweeps: KV;
  readonly cells: KV;
  readonly results: KV;
  readonly nodes: KV;
}

export async function openBuckets(nc: NatsConnection): Promise<FeedBuckets> {
  const kvm = new Kvm(nc);
  const [sweeps, cells, results, nodes] = await Promise.all([SWEEPS_BUCKET, CELLS_BUCKET, RESULTS_BUCKET, NODES_BUCKET].map((b) => kvm.open(b)));
  return { sweeps: sweeps!, cells: cells!, results: results!, nodes: nodes! };
}

/**
 * Feeds a DashboardStore from the server, for one sweep:
 * - grn-sweeps/<sweep>: its record (status; the spec as run, from which the grid's cells come),
 * - grn-cells/<sweep>.>: every cell move (final accuracy included once done),
 * - grn-nodes: the worker registry (heartbeats, deletions),
 * - grn.gpu.>, grn.node.>: per-second GPU and host metrics of every node,
 * - grn.telemetry.<sweep>.>: live records of the sweep's running trials.
 * The results bucket is not watched: its entries carry whole results (up to 64 KiB each), which
 * a 10,000-cell sweep would replay on every attach; a done cell's state carries its final
 * accuracy, and the rare done cell without one is looked up once.
 */
export async function startFeed(nc: NatsConnection, buckets: FeedBuckets, store: DashboardStore, sweepId: string): Promise<{ stop(): void }> {
  const stops: Array<() => void> = [];
  const warn = (err: unknown) => store.event('warning', (err as Error).message);
  let planned = false;

  const follow = async (bucket: KV, key: string, handle: (key: string, value: Uint8Array | null) => void | Promise<void>) => {
    const watch = await bucket.watch({ key });
    stops.push(() => watch.stop());
    void (async () => {
      for await (const entry of watch) {
        try {
          await handle(entry.key, entry.operation === 'PUT' ? entry.value : null);
        } catch (err) {
          warn(err);
        }
      }
    })();
  };

  await follow(buckets.sweeps, sweepId, (key, value) => {
    if (!value) return;
    const record = decodeJson(SweepRecordSchema, value, `sweep ${key}`);
    if (!planned) {
      planned = true;
      store.setPlan(cellsOfSweepRecord(record).map((c) => ({ id: c.id, label: c.label, optimizer: c.optimizer, dataset: c.dataset, seed: c.seed })));
    }
    store.applySweep(record);
  });
  await follow(buckets.cells, `${sweepId}.>`, async (key, value) => {
    if (!value) return;
    // An unreadable value is shown as queued with its reason, as the orchestrator counts it.
    const { state, unreadable } = decodeCellState(key, value);
    if (unreadable) warn(new Error(unreadable));
    store.applyCell(state);
    if (state.status === 'done' && state.final_score === undefined) {
      const entry = await buckets.results.get(key);
      if (entry?.operation === 'PUT') store.applyScore(state.cell, decodeJson(ResultRecordSchema, entry.value, `result ${key}`).final_score);
    }
  });
  await follow(buckets.nodes, '>', (key, value) => store.applyNode(key, value ? decodeJson(NodeRecordSchema, value, `node ${key}`) : null));

  const subscribe = (subject: string, handle: (m: Msg) => void) => {
    const sub: Subscription = nc.subscribe(subject, {
      callback: (err, m) => {
        if (err) return warn(err);
        try {
          handle(m);
        } catch (e) {
          warn(e);
        }
      },
    });
    stops.push(() => sub.unsubscribe());
  };
  subscribe(`${GPU_PREFIX}.>`, (m) => store.applyGpuMetrics(decodeJson(GpuMetricsSchema, m.data, m.subject)));
  subscribe(`${NODE_METRICS_PREFIX}.>`, (m) => store.applyNodeMetrics(decodeJson(NodeMetricsSchema, m.data, m.subject)));
  subscribe(subjects.telemetryOfSweep(sweepId), (m) => store.applyTelemetry(decodeJson(TelemetryMessageSchema, m.data, m.subject)));

  const ticker = setInterval(() => store.tick(), 1000);
  stops.push(() => clearInterval(ticker));
  return { stop: () => stops.splice(0).forEach((stop) => stop()) };
}

/** Follows the connection's state into the store's header (reconnecting, closed). */
export function followConnection(nc: NatsConnection, store: DashboardStore, url: string): void {
  store.setConnection('connected', url);
  void (async () => {
    for await (const status of nc.status()) {
      // An ended sweep's embedded server stops with its orchestrator: nothing to reconnect to.
      if (status.type === 'disconnect' && store.isFinal()) void nc.close();
      else if (status.type === 'disconnect' || status.type === 'reconnecting') store.setConnection('reconnecting');
      else if (status.type === 'reconnect') store.setConnection('connected');
    }
  })();
  void nc.closed().then(() => store.setConnection('closed'));
}
