import type { NatsConnection } from '@nats-io/transport-node';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { FINAL_STATUSES, settleCell } from '../../shared/protocol/cell-store.js';
import type { CellState } from '../../shared/protocol/messages.js';
import { connectNats, type NatsAuth } from '../../shared/protocol/connect.js';
import { duringFailover } from '../../shared/protocol/failover.js';
import { cellKey, consumerName, subjects, TRIALS_STREAM } from '../../shared/protocol/names.js';
import { specIdentity } from '../../shared/sweep/identity.js';
import type { TrialConfig } from '../../shared/trial.js';
import type { TuningPlan } from '../../shared/sweep/tuning/index.js';
import { DATASETS } from '../../worker/engine/catalog.js';
import { startEmbeddedServer, type EmbeddedServer } from '../server/embedded.js';
import { sweepClaimTokens } from './claim-token.js';
import { ACK_WAIT_NS, chooseReplicas, ensureAcceptConsumer, ensureConsumer, ensureStores, type Stores } from './infrastructure.js';
import { startLocalWorkers, type LocalWorkers } from './local-workers.js';
import { SweepMonitor, type SweepEvent } from './monitor.js';
import { progressView, type ProgressView } from './progress.js';
import { publishSweep, readSweep, requeueMissing, setSweepStatus } from './publish.js';
import { reopenFailed } from './retry.js';
import { differentSpecError, ResultsFolder, type CellInfo } from './results-folder.js';
import { Supervisor, type Fatal } from './supervisor.js';
import { firstStage, TuningStage } from './tuning-stage.js';

/** A sweep ready to run: the spec's text and its expanded grid. */
export interface PlannedSweep {
  readonly id: string;
  readonly name: string;
  readonly specYaml: string;
  readonly maxDeliver: number;
  /** Every cell; with a tuning stage, its cells (stage `tuning`) and then the grid's. */
  readonly cells: ReadonlyArray<CellInfo & { readonly trial: TrialConfig }>;
  /**
   * A tuning stage (`tune:`): only its cells are published at the start; the grid's are published,
   * with the lr the tuning chose, once it is over (tuning-stage.ts). One sweep id, two stages.
   */
  readonly tuning?: TuningPlan;
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
  /** Copies of the streams, buckets and object store; default: see chooseReplicas (3 on a cluster). */
  readonly replicas?: number;
  /** How long a cancelled sweep waits for its running cells to report before cancelling them itself. */
  readonly cancelGraceMs?: number;
  /** How long a cell may say done with no result handed in before it runs again (default 10 s). */
  readonly lostAfterMs?: number;
}

export interface RunOutcome {
  /** `stopped`: a fault (disk full, the server lost for good) ended the run; the sweep's state is kept. */
  readonly status: 'done' | 'failed' | 'cancelled' | 'stopped' | 'interrupted';
  readonly exitCode: number;
  readonly counts: ReturnType<SweepMonitor['counts']>;
  readonly failed: ReadonlyArray<{ cell: string; error: string }>;
  readonly resultsDir: string;
  /** What stopped the run, when a fault did. */
  readonly fault?: Fatal;
  /** Result files the results folder lacks (their results are on the server: `grn sweep export`). */
  readonly unwritten: number;
}

/**
 * Exit codes of `grn sweep run/resume`. `incomplete`: the run stopped for a fault, or results it
 * collected could not all be written to the results folder; the sweep's state is kept on the
 * server (`grn sweep resume` / `grn sweep export`).
 */
export const EXIT = { done: 0, failed: 1, cancelled: 4, incomplete: 5, interrupted: 130 } as const;

/** A cancelled sweep's running cells normally report within seconds; a dead worker's never do. */
const CANCEL_GRACE_MS = ACK_WAIT_NS / 1e6 + 15_000;

/**
 * Runs a sweep to its end: server (embedded unless given), stores, publish (or resume), local
 * workers, then follows the cells, writing each result as it arrives, until every cell is final.
 * Cancel (from `grn sweep cancel` or the dashboard) purges the queued cells and waits for the
 * running ones to abort. An interrupt (Ctrl-C) stops this process and its local workers but leaves
 * the sweep's state in the store: `grn sweep resume ID` finishes what is missing. The supervisor
 * keeps the embedded server alive and stops the run, with the way back, when the disk fills.
 */
export async function runSweep(plan: PlannedSweep, options: RunOptions): Promise<RunOutcome> {
  const view = options.view ?? progressView();
  let supervisor: Supervisor | undefined;
  let unwrittenSaid = false;
  const folder = new ResultsFolder(options.resultsDir, (failed) => {
    if (failed.code === 'ENOSPC') return supervisor?.diskFull(failed.path);
    if (unwrittenSaid) return;
    unwrittenSaid = true;
    view.line(`error: cannot write ${failed.path} (${failed.message}); results stay on the server — once the folder is fixed: grn sweep export ${plan.id}`);
  });
  await folder.init(plan.specYaml, plan.id, { tuning: plan.tuning !== undefined });

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
  supervisor = new Supervisor({ embedded, nc, folders: [options.resultsDir], line: (text) => view.line(text) });
  supervisor.start();
  let workers: LocalWorkers | undefined;
  let monitor: SweepMonitor | undefined;
  let stage: TuningStage | undefined;
  let cancelTimer: NodeJS.Timeout | undefined;
  try {
    const replicas = chooseReplicas(nc, options.replicas);
    if (replicas > 1) view.line(`JetStream: ${replicas} replicas of every stream${nc.info?.cluster ? ` (cluster ${nc.info.cluster})` : ''}`);
    const stores = await ensureStores(nc, { replicas, onReplicas: (text) => view.line(text) });
    const existing = await readSweep(stores, plan.id);
    if (existing && specIdentity(existing.record.spec_yaml) !== specIdentity(plan.specYaml)) {
      throw differentSpecError(plan.id, `the sweep record on ${serverUrl}`);
    }
    // Resumed sweeps keep when they first started; a new one starts now.
    const startedAt = existing?.record.created_at ?? new Date().toISOString();
    // A tuned sweep starts with its tuning stage; the grid's cells follow it (TuningStage).
    const startCells = firstStage(plan.cells, plan.tuning);
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
        const requeued = await requeueMissing(nc, stores, { ...plan, cells: startCells }, Date.now());
        view.line(`resuming ${plan.id}: ${requeued} cell(s) re-queued${retried.length ? `, ${retried.length} failed cell(s) retried` : ''}`);
      } else {
        const { created, existing: old } = await publishSweep(nc, stores, { ...plan, cells: startCells, plannedCells: plan.cells.length }, (done) => view.line(`publishing ${plan.id}: ${done} of ${startCells.length} cells`));
        const stages = plan.tuning ? ` (tuning stage: ${startCells.length}; the grid's ${plan.cells.length - startCells.length} follow with the lr it chooses)` : '';
        view.line(`sweep ${plan.id}: ${plan.cells.length} cells${stages} (${created} published${old ? `, ${old} already known` : ''}); results in ${options.resultsDir}`);
      }
    };
    const cellIds = plan.cells.map((c) => c.id);
    let cancelling = false;
    await ensureAcceptConsumer(stores.jsm, plan.id);
    const tokens = await sweepClaimTokens(stores, plan.id);
    const byId = new Map(plan.cells.map((c) => [c.id, c]));
    const accept = {
      tokens,
      requeue: (cells: string[]) => requeueMissing(nc, stores, { ...plan, cells: cells.map((id) => byId.get(id)!) }, Date.now()),
    };
    monitor = new SweepMonitor(nc, stores, plan.id, cellIds, async (event) => {
      if (event.type === 'result') {
        folder.writeCell(event.cell, event.result, byId.get(event.cell)?.stage);
        folder.writeArtefacts(event.cell, event.record, stores.artifacts);
      }
      if (event.type === 'sweep' && event.record.status === 'cancelled' && !cancelling) {
        cancelling = true;
        await cancelQueued(stores, plan.id, cellIds, monitor!.states);
        // A running cell whose worker is gone would never report (its message was purged).
        cancelTimer = setTimeout(() => void cancelUnanswered(stores, plan.id, cellIds, monitor!.states), options.cancelGraceMs ?? CANCEL_GRACE_MS);
      }
      view.event(event, monitor!.counts());
      options.onEvent?.(event);
      stage?.check();
    }, { accept, ...(options.lostAfterMs === undefined ? {} : { lostAfterMs: options.lostAfterMs }) });
    if (plan.tuning) {
      stage = new TuningStage({
        sweep: plan.id,
        tuning: plan.tuning,
        cells: plan.cells,
        nc,
        stores,
        states: monitor.states,
        results: monitor.results,
        write: (record) => folder.writeTuning(record),
        derived: (cell) => byId.set(cell.id, cell),
        cancelled: () => cancelling || monitor?.sweep?.status === 'cancelled',
        line: (text) => view.line(text),
      });
    }
    // Local workers start while we publish (a Node process takes a second or two to come up).
    if (options.localWorkers !== 0) {
      if (!workerCreds && !options.auth?.creds) view.line('local workers need credentials: pass --creds, or --local-workers 0');
      workers = await startLocalWorkers(
        {
          server: serverUrl,
          creds: workerCreds ?? options.auth?.creds ?? '',
          count: options.localWorkers,
          slots: options.slots,
          logDir: join(options.resultsDir, 'logs'),
          nodePrefix: `${hostname().replace(/[^A-Za-z0-9_-]/g, '-').slice(0, 40)}-${plan.id.slice(-6)}`,
        },
        (text) => view.line(text),
        (node) => handBackCellsOf(nc, node, monitor!.states),
      );
      view.line(`${workers.count} local worker(s) started (logs in ${join(options.resultsDir, 'logs')})`);
    }
    // Following and publishing overlap: a watch replays what is already there, so nothing is missed.
    await Promise.all([monitor.start(), retryOnTimeout(publish, (n, err) => view.line(`publishing ${plan.id}: ${err.message} (the server restarting?); trying again (${n})`))]);
    monitor.arm();
    stage?.arm();
    if (options.resume) {
      const c = monitor.counts();
      view.line(`${plan.id}: ${c.done} done, ${c.failed} failed, ${c.cancelled} cancelled, ${c.total - c.done - c.failed - c.cancelled} to run`);
    }

    const interrupted = new Promise<'interrupted'>((resolve) => {
      if (options.signal?.aborted) resolve('interrupted');
      options.signal?.addEventListener('abort', () => resolve('interrupted'), { once: true });
    });
    const ended = await Promise.race([monitor.finished.then(() => 'finished' as const), interrupted, supervisor.fatal]);
    stage?.stop();
    const fault = typeof ended === 'object' ? ended : undefined;
    const counts = monitor.counts();
    const failed = monitor.failures(cellIds);
    const status: RunOutcome['status'] = fault ? 'stopped' : ended === 'interrupted' ? 'interrupted' : cancelling || counts.cancelled ? 'cancelled' : failed.length ? 'failed' : 'done';
    const over = status !== 'interrupted' && status !== 'stopped';
    if (over) {
      // Retried while a cluster elects a new leader (a server lost as the last cell finished).
      await duringFailover(() => setSweepStatus(stores, plan.id, status === 'done' ? 'done' : status));
      // A finished sweep's consumer is no longer needed (its stream messages are all acked).
      await stores.jsm.consumers.delete(TRIALS_STREAM, consumerName(plan.id)).catch(() => undefined);
    }
    await folder.close();
    await folder
      .writeSummary({
        sweep: plan.id,
        name: plan.name,
        status,
        cells: plan.cells,
        states: monitor.states,
        results: monitor.results,
        nodes: monitor.seenNodes,
        server: serverUrl,
        startedAt,
        endedAt: over ? new Date().toISOString() : null,
      })
      .catch((err: NodeJS.ErrnoException) => {
        if (err.code === 'ENOSPC') supervisor?.diskFull(join(options.resultsDir, 'manifest.json'));
        view.line(`error: cannot write the sweep's manifest in ${options.resultsDir} (${err.message}); once the folder is fixed: grn sweep export ${plan.id}`);
      });
    const unwritten = folder.unwritten.size;
    if (unwritten) view.line(`${unwritten} result file(s) could not be written to ${folder.cellsDir}; their results are on the server: grn sweep export ${plan.id}`);
    // The report (tables, tests, plots, TensorBoard export) of a sweep that ended; a failure to write it is a warning, the results stay.
    if (over && !unwritten && !plan.cells.every((c) => DATASETS.find(c.dataset)?.task === 'synthetic')) {
      await import('../reports/report.js')
        .then((r) => r.writeReport(options.resultsDir, { baseline: 'sgd' }))
        .then(() => view.line(`report: ${join(options.resultsDir, 'report.md')} and report.html`), (err: Error) => view.line(`warning: no report (${err.message}); the results are in ${options.resultsDir}, retry with grn report`));
    }
    const exitCode = status === 'stopped' || (unwritten && (status === 'done' || status === 'failed')) ? EXIT.incomplete : EXIT[status];
    return { status, exitCode, counts, failed, resultsDir: options.resultsDir, unwritten, ...(fault ? { fault } : {}) };
  } finally {
    clearTimeout(cancelTimer);
    stage?.stop();
    monitor?.stop();
    supervisor.stop();
    await folder.close().catch(() => undefined);
    view.stop();
    await workers?.stop();
    // Every step of the way out is bounded: a wedged server (a full disk) must not hold us here.
    await Promise.race([nc.drain().catch(() => undefined), sleep(5000)]);
    if (!nc.isClosed()) await nc.close().catch(() => undefined);
    await supervisor.server?.stop();
  }
}

/**
 * Runs `step` again when a request of it timed out (the embedded server killed and being restarted
 * by the supervisor: found by the chaos suite, where `grn sweep resume` died with an uncaught
 * TimeoutError from the consumer's creation). Only for idempotent steps: publishing and resuming
 * are (create-if-absent records, de-duplicated messages, compare-and-set moves).
 */
async function retryOnTimeout<T>(step: () => Promise<T>, say: (attempt: number, err: Error) => void, attempts = 5): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await step();
    } catch (err) {
      if (attempt >= attempts || (err as Error).name !== 'TimeoutError') throw err;
      say(attempt, err as Error);
    }
  }
}

/**
 * Cancel: nothing queued is handed out any more; queued cells become cancelled (running ones are
 * aborted by their workers, which watch the sweep's status).
 */
async function cancelQueued(stores: Stores, sweep: string, cellIds: readonly string[], states: ReadonlyMap<string, CellState>): Promise<void> {
  await stores.jsm.streams.purge(TRIALS_STREAM, { filter: subjects.trialsOfSweep(sweep) });
  await cancelCells(stores, sweep, cellIds.filter((cell) => (states.get(cell)?.status ?? 'queued') === 'queued'), (s) => s.status === 'queued', 'cancelled');
}

/** After the grace: cells that are still not final (their worker vanished) are cancelled here. */
async function cancelUnanswered(stores: Stores, sweep: string, cellIds: readonly string[], states: ReadonlyMap<string, CellState>): Promise<void> {
  const open = cellIds.filter((cell) => !FINAL_STATUSES.has(states.get(cell)?.status ?? 'queued'));
  await cancelCells(stores, sweep, open, (s) => !FINAL_STATUSES.has(s.status), 'cancelled (its worker did not answer the cancel)');
}

async function cancelCells(stores: Stores, sweep: string, cells: readonly string[], applies: (s: CellState) => boolean, note: string): Promise<void> {
  const now = new Date().toISOString();
  for (let i = 0; i < cells.length; i += 256) {
    await Promise.all(
      cells.slice(i, i + 256).map((cell) =>
        settleCell(stores.cells, cellKey(sweep, cell), (s) => (applies(s) ? { ...s, status: 'cancelled', error: note === 'cancelled' ? s.error : note, updated_at: now } : null)),
      ),
    );
  }
}

/**
 * A local worker died (kill -9, OOM): the cells it held are handed back now instead of after the
 * ack wait — each running cell's delivery is nak'ed on the subject its claim recorded, and the
 * server redelivers it to a live worker. A delivery that was already settled ignores the nak.
 */
async function handBackCellsOf(nc: NatsConnection, node: string, states: ReadonlyMap<string, CellState>): Promise<string[]> {
  const held = [...states.values()].filter((s) => s.status === 'running' && s.node === node && s.delivery);
  for (const s of held) nc.publish(s.delivery!, '-NAK');
  await nc.flush();
  return held.map((s) => s.cell);
}
