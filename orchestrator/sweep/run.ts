import type { NatsConnection } from '@nats-io/transport-node';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { settleCell } from '../../shared/protocol/cell-store.js';
import type { CellState } from '../../shared/protocol/messages.js';
import { connectNats, type NatsAuth } from '../../shared/protocol/connect.js';
import { cellKey, consumerName, subjects, TRIALS_STREAM } from '../../shared/protocol/names.js';
import { isSyntheticWorkload } from '../../shared/sweep/workloads.js';
import type { TrialConfig } from '../../shared/trial.js';
import { startEmbeddedServer, type EmbeddedServer } from '../server/embedded.js';
import { ensureConsumer, ensureStores, type Stores } from './infrastructure.js';
import { startLocalWorkers, stopLocalWorkers, type LocalWorker } from './local-workers.js';
import { SweepMonitor, type SweepEvent } from './monitor.js';
import { progressView, type ProgressView } from './progress.js';
import { publishSweep, readSweep, requeueMissing, setSweepStatus } from './publish.js';
import { reopenFailed } from './retry.js';
import { ResultsFolder, type CellInfo } from './results-folder.js';

/** A sweep ready to run: the spec's text and its expanded grid. */
export interface PlannedSweep {
  readonly id: string;
  readonly name: string;
  readonly specYaml: string;
  readonly maxDeliver: number;
  readonly cells: ReadonlyArray<CellInfo & { readonly trial: TrialConfig }>;
}

export interface RunOptions {
  /** An existing server; without it an embedded one runs from the results folder. */
  readonly server?: string;
  readonly auth?: NatsAuth;
  readonly localWorkers: number | 'auto';
  readonly slots?: number;
  readonly resultsDir: string;
  /** Continue a sweep that already has state on the server (or in the results folder's store). */
  readonly resume?: boolean;
  /** With resume: run failed cells again too. */
  readonly retryFailed?: boolean;
  readonly view?: ProgressView;
  /** Extra listener (the dashboard). */
  readonly onEvent?: (event: SweepEvent) => void;
  readonly signal?: AbortSignal;
}

export interface RunOutcome {
  readonly status: 'done' | 'failed' | 'cancelled' | 'interrupted';
  readonly exitCode: number;
  readonly counts: ReturnType<SweepMonitor['counts']>;
  readonly failed: ReadonlyArray<{ cell: string; error: string }>;
  readonly resultsDir: string;
}

/** Exit codes of `grn sweep run/resume`. */
export const EXIT = { done: 0, failed: 1, cancelled: 4, interrupted: 130 } as const;

/**
 * Runs a sweep to its end: server (embedded unless given), stores, publish (or resume), local
 * workers, then follows the cells, writing each result as it arrives, until every cell is final.
 * Cancel (from `grn sweep cancel` or the dashboard) purges the queued cells and waits for the
 * running ones to abort. An interrupt (Ctrl-C) stops this process and its local workers but leaves
 * the sweep's state in the store: `grn sweep resume ID` finishes what is missing.
 */
export async function runSweep(plan: PlannedSweep, options: RunOptions): Promise<RunOutcome> {
  const view = options.view ?? progressView();
  const folder = new ResultsFolder(options.resultsDir);
  await folder.init(plan.specYaml);
  const startedAt = new Date().toISOString();

  let embedded: EmbeddedServer | undefined;
  let nc: NatsConnection;
  let workerCreds: string | undefined;
  if (options.server) {
    nc = await connectNats(options.server, options.auth ?? {}, `grn orchestrator ${plan.id}`);
  } else {
    embedded = await startEmbeddedServer({ dir: join(options.resultsDir, '.nats') });
    view.line(`nats-server ${embedded.url} (JetStream store ${join(options.resultsDir, '.nats')})`);
    nc = await connectNats(embedded.url, { creds: embedded.orchestratorCreds }, `grn orchestrator ${plan.id}`);
    workerCreds = embedded.workerCreds;
  }
  const serverUrl = options.server ?? embedded!.url;
  let workers: LocalWorker[] = [];
  let monitor: SweepMonitor | undefined;
  try {
    const stores = await ensureStores(nc);
    const existing = await readSweep(stores, plan.id);
    const publish = async () => {
      if (options.resume && existing) {
        if (existing.record.status !== 'running') await setSweepStatus(stores, plan.id, 'running');
        if (embedded) {
          // Every worker of an embedded sweep died with its orchestrator, so cells they held are
          // not coming back before ack_wait runs out: a fresh consumer hands them out at once.
          await stores.jsm.consumers.delete(TRIALS_STREAM, consumerName(plan.id)).catch(() => undefined);
        }
        await ensureConsumer(stores.jsm, plan.id, plan.maxDeliver);
        // Failed cells get max_deliver fresh attempts when asked (the data folder was fixed, …).
        const retried = options.retryFailed ? await reopenFailed(stores, plan.id, plan.cells.map((c) => c.id)) : [];
        const requeued = await requeueMissing(nc, stores, plan, Date.now());
        view.line(`resuming ${plan.id}: ${requeued} cell(s) re-queued${retried.length ? `, ${retried.length} failed cell(s) retried` : ''}`);
      } else {
        const { created, existing: old } = await publishSweep(nc, stores, plan);
        view.line(`sweep ${plan.id}: ${plan.cells.length} cells (${created} published${old ? `, ${old} already known` : ''}); results in ${options.resultsDir}`);
      }
    };
    const cellIds = plan.cells.map((c) => c.id);
    let cancelling = false;
    monitor = new SweepMonitor(nc, stores, plan.id, cellIds, async (event) => {
      if (event.type === 'result') folder.writeCell(event.cell, event.result);
      if (event.type === 'sweep' && event.record.status === 'cancelled' && !cancelling) {
        cancelling = true;
        await cancelQueued(stores, plan.id, cellIds, monitor!.states);
      }
      view.event(event, monitor!.counts());
      options.onEvent?.(event);
    });
    // Local workers start while we publish (a Node process takes a second or two to come up).
    if (options.localWorkers !== 0) {
      if (!workerCreds && !options.auth?.creds) view.line('local workers need credentials: pass --creds, or --local-workers 0');
      workers = await startLocalWorkers({
        server: serverUrl,
        creds: workerCreds ?? options.auth?.creds ?? '',
        count: options.localWorkers,
        slots: options.slots,
        logDir: join(options.resultsDir, 'logs'),
        nodePrefix: `${hostname().replace(/[^A-Za-z0-9_-]/g, '-').slice(0, 40)}-${plan.id.slice(-6)}`,
      });
      view.line(`${workers.length} local worker(s) started (logs in ${join(options.resultsDir, 'logs')})`);
    }
    // Following and publishing overlap: a watch replays what is already there, so nothing is missed.
    await Promise.all([monitor.start(), publish()]);
    monitor.arm();

    const interrupted = new Promise<'interrupted'>((resolve) => {
      if (options.signal?.aborted) resolve('interrupted');
      options.signal?.addEventListener('abort', () => resolve('interrupted'), { once: true });
    });
    const ended = await Promise.race([monitor.finished.then(() => 'finished' as const), interrupted]);
    const counts = monitor.counts();
    const failed = cellIds
      .filter((id) => monitor!.states.get(id)?.status === 'failed')
      .map((id) => ({ cell: id, error: monitor!.states.get(id)?.error ?? 'unknown error' }));
    const status: RunOutcome['status'] = ended === 'interrupted' ? 'interrupted' : cancelling || counts.cancelled ? 'cancelled' : failed.length ? 'failed' : 'done';
    if (status !== 'interrupted') {
      await setSweepStatus(stores, plan.id, status === 'done' ? 'done' : status);
      // A finished sweep's consumer is no longer needed (its stream messages are all acked).
      await stores.jsm.consumers.delete(TRIALS_STREAM, consumerName(plan.id)).catch(() => undefined);
    }
    await folder.close();
    await folder.writeSummary({
      sweep: plan.id,
      name: plan.name,
      status,
      cells: plan.cells,
      states: monitor.states,
      results: monitor.results,
      nodes: monitor.seenNodes,
      server: serverUrl,
      startedAt,
      endedAt: status === 'interrupted' ? null : new Date().toISOString(),
    });
    // The report (tables, tests, plots, TensorBoard export) of a sweep that ended; a failure to write it is a warning, the results stay.
    if (status !== 'interrupted' && !plan.cells.every((c) => isSyntheticWorkload(c.dataset))) {
      await import('../reports/report.js')
        .then((r) => r.writeReport(options.resultsDir, { baseline: 'sgd' }))
        .then(() => view.line(`report: ${join(options.resultsDir, 'report.md')} and report.html`), (err: Error) => view.line(`warning: no report (${err.message}); the results are in ${options.resultsDir}, retry with grn report`));
    }
    return { status, exitCode: EXIT[status], counts, failed, resultsDir: options.resultsDir };
  } finally {
    monitor?.stop();
    await folder.close().catch(() => undefined);
    view.stop();
    await stopLocalWorkers(workers);
    await nc.drain().catch(() => undefined);
    await embedded?.stop();
  }
}

/**
 * Cancel: nothing queued is handed out any more; queued cells become cancelled (running ones are
 * aborted by their workers, which watch the sweep's status).
 */
async function cancelQueued(stores: Stores, sweep: string, cellIds: readonly string[], states: ReadonlyMap<string, CellState>): Promise<void> {
  await stores.jsm.streams.purge(TRIALS_STREAM, { filter: subjects.trialsOfSweep(sweep) });
  const now = new Date().toISOString();
  const queued = cellIds.filter((cell) => (states.get(cell)?.status ?? 'queued') === 'queued');
  for (let i = 0; i < queued.length; i += 256) {
    await Promise.all(
      queued.slice(i, i + 256).map((cell) =>
        settleCell(stores.cells, cellKey(sweep, cell), (s) => (s.status === 'queued' ? { ...s, status: 'cancelled', updated_at: now } : null)),
      ),
    );
  }
}

