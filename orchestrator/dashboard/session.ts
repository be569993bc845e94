import { Objm } from '@nats-io/obj';
import type { NatsConnection } from '@nats-io/transport-node';
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { GrnError } from '../../shared/errors.js';
import { connectNats, type NatsAuth } from '../../shared/protocol/connect.js';
import { decodeJson, SweepRecordSchema, type CellState, type SweepRecord, SWEEP_STATUSES } from '../../shared/protocol/messages.js';
import { ARTIFACTS_STORE } from '../../shared/protocol/names.js';
import { natsControl, type SweepControl } from './state/control.js';
import { followConnection, openBuckets, startFeed, type FeedBuckets } from './state/feed.js';
import { DashboardStore } from './state/store.js';

/** A dashboard attached to one sweep: its store (kept fed), what its keys do, and how to let go. */
export interface Session {
  readonly store: DashboardStore;
  readonly control: SweepControl;
  readonly sweepId: string;
  /** The command that re-attaches to this sweep later. */
  readonly reattach: string;
  close(): Promise<void>;
}

export interface AttachOptions {
  readonly url: string;
  readonly auth: NatsAuth;
  /** Without it: the newest running (or paused) sweep on the server, else the newest. */
  readonly sweepId?: string;
  /** The sweep's results folder on this machine, when known (for the final screen and report.md). */
  readonly resultsDir?: string | null;
  readonly reattach?: (sweepId: string) => string;
  /** How long to wait for the server's stores (a just-launched sweep creates them). */
  readonly waitMs?: number;
  /** The named sweep must exist already (attaching by id); a just-launched one may not yet. */
  readonly mustExist?: boolean;
}

/** The grn stores exist once the first sweep created them; the Object Store is created last. */
async function waitForStores(nc: NatsConnection, url: string, waitMs: number): Promise<FeedBuckets> {
  const deadline = Date.now() + waitMs;
  for (;;) {
    try {
      await new Objm(nc).open(ARTIFACTS_STORE);
      return await openBuckets(nc);
    } catch (err) {
      if (Date.now() > deadline) throw new GrnError(`no grn sweep stores on ${url} (${(err as Error).message}); has a sweep been started there?`);
      await sleep(200);
    }
  }
}

/** The sweep to show when none was named: the newest running or paused one, else the newest. */
export async function pickSweep(buckets: FeedBuckets, url: string): Promise<string> {
  const records: SweepRecord[] = [];
  for await (const key of await buckets.sweeps.keys()) {
    const entry = await buckets.sweeps.get(key);
    if (entry?.operation === 'PUT') records.push(decodeJson(SweepRecordSchema, entry.value, `sweep ${key}`));
  }
  if (!records.length) throw new GrnError(`no sweeps on ${url}: start one with \`grn dashboard SPEC\` or \`grn sweep run SPEC --server ${url}\``);
  const newest = (list: SweepRecord[]) => list.sort((a, b) => b.created_at.localeCompare(a.created_at))[0];
  return (newest(records.filter((r) => r.status === 'running' || r.status === 'paused')) ?? newest(records)!).id;
}

/** Watches for results/<id>/report.md (written by the reports step when a sweep ends). */
function watchReport(store: DashboardStore, resultsDir: string): () => void {
  const check = () => store.setReportPath(existsSync(join(resultsDir, 'report.md')) ? join(resultsDir, 'report.md') : null);
  check();
  const timer = setInterval(check, 1000);
  return () => clearInterval(timer);
}

/** Connects to a server and follows one sweep there. */
export async function attachSession(options: AttachOptions): Promise<Session> {
  const nc = await connectNats(options.url, options.auth, 'grn dashboard');
  try {
    const buckets = await waitForStores(nc, options.url, options.waitMs ?? 30_000);
    const sweepId = options.sweepId ?? (await pickSweep(buckets, options.url));
    if (options.sweepId && options.mustExist && (await buckets.sweeps.get(sweepId))?.operation !== 'PUT') {
      const known: string[] = [];
      for await (const key of await buckets.sweeps.keys()) known.push(key);
      throw new GrnError(`no sweep '${sweepId}' on ${options.url}${known.length ? ` (it has: ${known.sort().slice(-10).join(', ')})` : ''}`);
    }
    const store = new DashboardStore(sweepId);
    store.resultsDir = options.resultsDir ?? null;
    followConnection(nc, store, options.url);
    const feed = await startFeed(nc, buckets, store, sweepId);
    const stopReport = store.resultsDir ? watchReport(store, store.resultsDir) : () => undefined;
    return {
      store,
      control: natsControl(nc, sweepId),
      sweepId,
      reattach: options.reattach?.(sweepId) ?? `grn dashboard --server ${options.url} --sweep ${sweepId}`,
      async close() {
        feed.stop();
        stopReport();
        await nc.close().catch(() => undefined);
      },
    };
  } catch (err) {
    await nc.close().catch(() => undefined);
    throw err;
  }
}

interface ManifestCell {
  cell: string;
  label: string;
  dataset: string;
  seed: number;
  status: CellState['status'];
  attempts: number;
  node: string | null;
  error: string | null;
  final_score: number | null;
}

/**
 * A sweep that is not running any more, from its results folder (manifest.json, written when
 * its `grn sweep run` ends): the grid and the final table, with nothing to steer.
 */
export async function manifestSession(resultsDir: string, sweepId: string): Promise<Session> {
  const file = join(resultsDir, 'manifest.json');
  const text = await readFile(file, 'utf8').catch(() => {
    throw new GrnError(`sweep ${sweepId} is not running and has no ${file}: nothing to show`);
  });
  const manifest = JSON.parse(text) as { name: string; status: string; started_at: string; ended_at: string | null; cells: ManifestCell[] };
  const store = new DashboardStore(sweepId);
  store.resultsDir = resultsDir;
  store.setConnection('closed');
  store.setPlan(manifest.cells.map((c) => ({ id: c.cell, label: c.label, optimizer: c.label.replace(/\[.*$/, ''), dataset: c.dataset, seed: c.seed })));
  const at = manifest.ended_at ?? manifest.started_at;
  for (const c of manifest.cells) {
    if (c.status === 'queued' && !c.error) continue;
    store.applyCell({ sweep: sweepId, cell: c.cell, status: c.status, attempt: c.attempts, node: c.node ?? undefined, error: c.error ?? undefined, final_score: c.final_score, updated_at: at });
  }
  // An interrupted sweep (its orchestrator was stopped) is not final: it shows as paused.
  const status = (SWEEP_STATUSES as readonly string[]).includes(manifest.status) ? (manifest.status as SweepRecord['status']) : 'paused';
  store.applySweep({ format: 'grn.sweep/1', id: sweepId, name: manifest.name, status, cells: manifest.cells.length, max_deliver: 1, spec_yaml: '', created_at: manifest.started_at, updated_at: at });
  const stopReport = watchReport(store, resultsDir);
  if (status === 'paused') store.notify(`sweep ${sweepId} is not running (${manifest.status}): continue it with \`grn sweep resume ${sweepId}\``);
  const refuse = async () => {
    throw new GrnError(`sweep ${sweepId} is not running; \`grn sweep resume ${sweepId}\` continues it`);
  };
  return {
    store,
    control: { setStatus: refuse, retry: refuse },
    sweepId,
    reattach: `grn dashboard --sweep ${sweepId}`,
    close: async () => stopReport(),
  };
}
