import { jetstream, type Consumer, type JsMsg } from '@nats-io/jetstream';
import { Kvm, type KV } from '@nats-io/kv';
import { Objm, type ObjectStore } from '@nats-io/obj';
import type { NatsConnection } from '@nats-io/transport-node';
import { hostname } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import { connectNats, type NatsAuth } from '../../shared/protocol/connect.js';
import { encodeJson, type GpuMetrics, type NodeMetrics, type NodeRecord } from '../../shared/protocol/messages.js';
import {
  ackWaitMs,
  ARTIFACTS_STORE,
  CELLS_BUCKET,
  consumerName,
  HEARTBEAT_S,
  NODES_BUCKET,
  RESULTS_BUCKET,
  subjects,
  SWEEPS_BUCKET,
  TRIALS_STREAM,
  workerInboxPrefix,
} from '../../shared/protocol/names.js';
import { SlotExecutor } from './executor.js';
import { decodeTrial, runCell, type RunnerContext, type SlotHandle } from './cell-runner.js';
import { hostMetrics, queryGpus, selectGpus, type GpuSample } from './gpus.js';
import { planSlots } from './slots.js';
import { LOOKAHEAD_MS, LookaheadLease } from './lookahead.js';
import { SweepWatch } from './sweep-watch.js';
import { TrainerProcess } from './trainer-process.js';

export interface AgentOptions {
  readonly server: string;
  readonly auth: NatsAuth;
  readonly node: string;
  /** `all`, `none` or a comma list of GPU indices. */
  readonly gpus: string;
  /** CPU slots (default: 1 when there is no GPU, else none). */
  readonly cpuSlots?: number;
  /** How long a drain waits for running cells before handing them back. */
  readonly drainTimeoutMs: number;
  readonly log: (line: string) => void;
  /** Backend trainers will use (for the registry; each trial still names its own). */
  readonly backend?: string;
  /** How long before a trial's expected end its slot's next cell is fetched (default LOOKAHEAD_MS). */
  readonly lookaheadMs?: number;
}

/** Fetches in flight at once per worker (see dispatchLoop). */
const MAX_FETCHES = 4;

/** The consumer's ack wait (GRN_ACK_WAIT_MS, default 30 s); `working()` is sent every third of it while a trial runs. */
export const ACK_WAIT_MS = ackWaitMs();

/**
 * The node agent: registers this machine's GPUs (or CPU slots) in the nodes bucket with a
 * heartbeat, keeps one trainer process per slot, pulls cells of running sweeps from their shared
 * durable consumers, runs them (cell-runner.ts keeps the exactly-one-result rules), publishes
 * live GPU and host metrics, and drains on request.
 */
export class WorkerAgent {
  private readonly slots: SlotHandle[] = [];
  private readonly consumers = new Map<string, Consumer>();
  private draining = false;
  private dispatching: Promise<void> = Promise.resolve();
  /** Fetches waiting for messages, and the free slots they asked for (not yet answered). */
  private readonly fetches = new Set<{ stop(): void }>();
  private readonly pulls = new Set<Promise<void>>();
  private asked = 0;
  private wake: (() => void) | undefined;
  /** Per slot: its next cell, fetched ahead (lookahead.ts). */
  private readonly ahead = new Map<SlotHandle, LookaheadLease>();
  private readonly running = new Set<Promise<void>>();
  private timers: NodeJS.Timeout[] = [];
  private readonly startedAt = new Date().toISOString();
  private counts = { done: 0, failed: 0 };
  private turn = 0;
  private watch!: SweepWatch;
  private nodes!: KV;
  private ctx!: RunnerContext;
  /** Settles when the worker is registered and its slots pull cells. */
  ready: Promise<void> = Promise.resolve();

  private constructor(
    private readonly options: AgentOptions,
    private readonly nc: NatsConnection,
    private readonly gpus: GpuSample[],
  ) {}

  static async start(options: AgentOptions): Promise<WorkerAgent> {
    const gpus = selectGpus(await queryGpus(), options.gpus);
    const nc = await connectNats(options.server, options.auth, `grn-worker ${options.node}`, { inboxPrefix: workerInboxPrefix(options.node) });
    const agent = new WorkerAgent(options, nc, gpus);
    // Registration waits for the stores (a worker may join before the first sweep exists), so it
    // runs in the background; `ready` settles once the worker takes cells.
    agent.ready = agent.open();
    agent.ready.catch(() => undefined); // the caller decides how to report it (grn worker exits)
    return agent;
  }

  get node(): string {
    return this.options.node;
  }

  private async open(): Promise<void> {
    const { log } = this.options;
    const kvm = new Kvm(this.nc);
    // The orchestrator creates the stores with the first sweep; a worker may start before that.
    // (Kvm.open does not check that a bucket exists; Objm.open does, and is created last.)
    let stores: { buckets: KV[]; artifacts: ObjectStore } | undefined;
    for (let waited = 0; !stores; waited++) {
      if (this.draining) return;
      try {
        const buckets = await Promise.all([SWEEPS_BUCKET, CELLS_BUCKET, RESULTS_BUCKET, NODES_BUCKET].map((b) => kvm.open(b)));
        stores = { buckets, artifacts: await new Objm(this.nc).open(ARTIFACTS_STORE) };
      } catch (err) {
        if (waited === 0) log(`waiting for the first sweep to create the grn stores on ${this.options.server} (${(err as Error).message})`);
        await sleep(1000);
      }
    }
    const [sweeps, cells, results, nodes] = stores.buckets as [KV, KV, KV, KV];
    const artifacts = stores.artifacts;
    this.nodes = nodes;
    // A fetch waits up to 3 s for cells of one sweep; when another sweep starts (or this one
    // ends) it is cut short so the loop asks the right consumer at once.
    this.watch = new SweepWatch((sweep) => this.cancelSweep(sweep), log, () => this.stopFetches());
    await this.watch.start(sweeps);
    this.ctx = {
      node: this.options.node,
      nc: this.nc,
      js: jetstream(this.nc),
      cells,
      results,
      artifacts,
      sweepStatus: (s) => this.watch.status(s),
      maxDeliver: (s) => this.watch.maxDeliver(s),
      workingEveryMs: ACK_WAIT_MS / 3,
      log,
    };
    for (const plan of planSlots(this.gpus, this.options.cpuSlots)) {
      const executor = new SlotExecutor(new TrainerProcess({ env: plan.env }));
      this.slots.push({ slot: plan.slot, kind: plan.kind, device: plan.device, executor, busy: false, running: null, samplesPerSecond: null });
    }
    await this.heartbeat();
    this.timers.push(setInterval(() => void this.heartbeat().catch((e) => log(`heartbeat failed: ${(e as Error).message}`)), HEARTBEAT_S * 1000));
    this.timers.push(setInterval(() => void this.publishMetrics(), 1000));
    this.dispatching = this.dispatchLoop();
    log(`worker ${this.options.node}: ${this.slots.map((s) => s.slot).join(', ')} on ${this.options.server}`);
  }

  private record(): NodeRecord {
    const now = new Date().toISOString();
    return {
      format: 'grn.node/1',
      node: this.options.node,
      host: hostname(),
      pid: process.pid,
      version: process.env.npm_package_version ?? '0.1.0',
      backend: this.options.backend ?? 'auto',
      gpus: this.gpus.map((g) => ({ index: g.index, name: g.name, vram_total_mb: g.vram_total_mb })),
      slots: this.slots.map((s) => ({
        slot: s.slot,
        kind: s.kind,
        device: s.device,
        sweep: s.running?.sweep ?? null,
        cell: s.running?.cell ?? null,
        trainer_pid: s.executor.trainerPid,
        samples_per_s: s.running ? s.samplesPerSecond : null,
      })),
      draining: this.draining,
      started_at: this.startedAt,
      heartbeat_at: now,
      cells_done: this.counts.done,
      cells_failed: this.counts.failed,
    };
  }

  private lastHeartbeat = 0;

  private async heartbeat(): Promise<void> {
    this.lastHeartbeat = Date.now();
    await this.nodes.put(this.options.node, encodeJson(this.record()));
  }

  /** A slot took or finished a cell: tell the registry soon, at most twice a second. */
  private slotChanged(): void {
    if (Date.now() - this.lastHeartbeat > 500) void this.heartbeat().catch(() => undefined);
  }

  private startedFromLookahead = 0;

  /** Cells that started from a held lookahead the moment their slot freed (no fetch between). */
  get lookaheadStarts(): number {
    return this.startedFromLookahead;
  }

  /** What each slot is doing (tests and the registry use it). */
  slotStates(): Array<{ slot: string; sweep: string | null; cell: string | null; trainerPid: number | null }> {
    return this.slots.map((s) => ({ slot: s.slot, sweep: s.running?.sweep ?? null, cell: s.running?.cell ?? null, trainerPid: s.executor.trainerPid }));
  }

  private async publishMetrics(): Promise<void> {
    const at = new Date().toISOString();
    const node = this.options.node;
    if (this.gpus.length) {
      const wanted = new Set(this.gpus.map((g) => g.index));
      for (const g of await queryGpus()) {
        if (!wanted.has(g.index)) continue;
        const { index, ...readings } = g;
        const metrics: GpuMetrics = { node, gpu: index, ...readings, at };
        this.nc.publish(subjects.gpu(node, index), encodeJson(metrics));
      }
    }
    const host = await hostMetrics();
    const metrics: NodeMetrics = { node, ...host, at };
    if (!this.nc.isClosed()) this.nc.publish(subjects.nodeMetrics(node), encodeJson(metrics));
  }

  private async consumer(sweep: string): Promise<Consumer | null> {
    const cached = this.consumers.get(sweep);
    if (cached) return cached;
    try {
      const consumer = await jetstream(this.nc).consumers.get(TRIALS_STREAM, consumerName(sweep));
      this.consumers.set(sweep, consumer);
      return consumer;
    } catch {
      return null; // the sweep ended and its consumer is gone
    }
  }

  /** A slot that takes a cell now: free, and no lookahead fetch is out for it. */
  private isOpen(slot: SlotHandle): boolean {
    return !slot.busy && !this.ahead.get(slot)?.fetching;
  }

  /**
   * Pulls only for free slots: a fetch asks for as many cells as there are free slots not yet
   * asked for (so a no-op sweep moves in batches, and a long trial never sits buffered on a busy
   * worker while another idles), and each message goes to a free slot the moment it arrives.
   * Up to MAX_FETCHES fetches run at once: when several slots free together (every slot of a
   * wave of equal trials), the second must not wait for the first one's round trip.
   */
  private async dispatchLoop(): Promise<void> {
    while (!this.draining) {
      const wanted = this.slots.filter((s) => this.isOpen(s)).length - this.asked;
      if (wanted <= 0 || this.pulls.size >= MAX_FETCHES) {
        await new Promise<void>((resolve) => (this.wake = resolve));
        continue;
      }
      const next = await this.nextConsumer(true);
      if (!next) continue;
      this.asked += wanted;
      let unanswered = wanted;
      const pull = this.pull(next, wanted, (msg) => {
        if (unanswered > 0) {
          unanswered--;
          this.asked--;
        }
        const slot = this.slots.find((s) => this.isOpen(s));
        if (this.draining || !slot) msg.nak();
        else this.startOn(slot, msg);
      }).finally(() => {
        this.asked -= unanswered;
        this.pulls.delete(pull);
        this.wakeUp();
      });
      this.pulls.add(pull);
      // Slots that free in the same instant join the next fetch instead of one fetch each.
      await new Promise((resolve) => setImmediate(resolve));
    }
    await Promise.all(this.pulls);
    await Promise.all(this.running);
  }

  /**
   * The consumer of the sweep to ask next (sweeps take turns), or null, after a short wait when
   * `wait` is set (for a sweep to start, or its consumer to appear).
   */
  private async nextConsumer(wait: boolean): Promise<{ sweep: string; consumer: Consumer; expires: number } | null> {
    const sweeps = this.watch.active();
    if (!sweeps.length) {
      if (wait) await this.watch.changed(2000);
      return null;
    }
    // Rotate which sweep is asked first, so concurrent sweeps share the fleet.
    const sweep = sweeps[this.turn++ % sweeps.length]!;
    const consumer = await this.consumer(sweep);
    if (!consumer) {
      if (wait) await sleep(100); // the sweep's consumer is being created, or it just ended
      return null;
    }
    return { sweep, consumer, expires: sweeps.length > 1 ? 1000 : 3000 };
  }

  /** One fetch of up to `count` cells, each handed to `take` as it arrives. */
  private async pull(from: { sweep: string; consumer: Consumer; expires: number }, count: number, take: (msg: JsMsg) => void): Promise<void> {
    let batch: Awaited<ReturnType<Consumer['fetch']>> | undefined;
    try {
      batch = await from.consumer.fetch({ max_messages: count, expires: from.expires });
      this.fetches.add(batch);
      if (this.draining) batch.stop();
      for await (const msg of batch) take(msg);
    } catch {
      // Its consumer went away (the sweep ended): forget it; pause only if it still looks active.
      this.consumers.delete(from.sweep);
      if (!this.draining && this.watch.active().includes(from.sweep)) await sleep(250);
    } finally {
      if (batch) this.fetches.delete(batch);
    }
  }

  /** The slot's lookahead lease (made on first use). */
  private leaseOf(slot: SlotHandle): LookaheadLease {
    let lease = this.ahead.get(slot);
    if (!lease) this.ahead.set(slot, (lease = new LookaheadLease(this.ctx.workingEveryMs)));
    return lease;
  }

  /** The running trial said when it expects to end: fetch the slot's next cell shortly before. */
  private expectEnd(slot: SlotHandle, ms: number): void {
    const lease = this.leaseOf(slot);
    lease.expectEnd(ms, this.options.lookaheadMs ?? LOOKAHEAD_MS, () => void this.lookahead(slot, lease));
  }

  private async lookahead(slot: SlotHandle, lease: LookaheadLease): Promise<void> {
    if (!slot.busy || lease.fetching || lease.holding || this.draining) return;
    lease.fetching = true;
    try {
      const next = await this.nextConsumer(false);
      if (!next || !slot.busy) return;
      await this.pull(next, 1, (msg) => {
        if (this.draining) msg.nak();
        else if (!slot.busy) this.startOn(slot, msg);
        else lease.hold(msg, this.preload(slot, msg));
      });
    } finally {
      lease.fetching = false;
      this.wakeUp();
    }
  }

  /** Queues a held cell's trial in the slot's trainer, so it starts the moment the trainer is free. */
  private preload(slot: SlotHandle, msg: JsMsg): number | null {
    try {
      return slot.executor.preload(decodeTrial(msg).trial);
    } catch {
      return null; // runCell will term it and say why
    }
  }

  /** Hands a held cell back (drain): its message to the server, its preload out of the trainer. */
  private handBackHeld(slot: SlotHandle): void {
    this.ahead.get(slot)?.handBack(slot.executor);
  }

  /** A slot freed or a fetch ended: the dispatch loop looks again. */
  private wakeUp(): void {
    const wake = this.wake;
    this.wake = undefined;
    wake?.();
  }

  /** Cuts every waiting fetch short (a sweep started or ended, or the worker drains). */
  private stopFetches(): void {
    for (const batch of this.fetches) batch.stop();
  }

  private startOn(slot: SlotHandle, msg: JsMsg, preload: number | null = null): void {
    slot.busy = true;
    const run = this.runOn(slot, msg, preload);
    this.running.add(run);
    void run.then(() => this.running.delete(run));
  }

  private async runOn(slot: SlotHandle, msg: JsMsg, preload: number | null): Promise<void> {
    let released = false;
    const release = () => {
      if (released) return;
      released = true;
      slot.busy = false;
      if (this.draining) this.handBackHeld(slot);
      const held = this.ahead.get(slot)?.take() ?? null;
      if (held) {
        this.startedFromLookahead++;
        this.startOn(slot, held.msg, held.preload);
      }
      this.wakeUp();
    };
    try {
      const outcome = await runCell(msg, slot, this.ctx, {
        onSlotChange: () => this.slotChanged(),
        onTrainerFree: release,
        onEta: (ms) => this.expectEnd(slot, ms),
      });
      if (outcome === 'done') this.counts.done++;
      else if (outcome === 'failed') this.counts.failed++;
    } catch (err) {
      // NATS trouble mid-cell (server restart): the message is redelivered after ack_wait.
      this.options.log(`cell on ${msg.subject}: ${(err as Error).message}`);
      await sleep(500);
    } finally {
      // A preloaded trial the cell did not run (cancelled, duplicate, claim lost) leaves the trainer.
      if (preload !== null) slot.executor.dropPreloaded(preload);
      release();
    }
  }

  private cancelSweep(sweep: string): void {
    for (const slot of this.slots) {
      if (slot.running?.sweep === sweep) {
        slot.running.cancelled = true;
        slot.executor.abort();
        this.options.log(`${slot.slot}: sweep ${sweep} cancelled; aborting ${slot.running.cell}`);
      }
    }
  }

  /**
   * Stops taking cells, lets running ones finish for up to the drain timeout, then aborts and
   * hands back (nak) what is still running, deregisters and closes. Calling it again hands back
   * at once.
   */
  async drain(): Promise<void> {
    if (this.draining) {
      this.handBackAll();
      return;
    }
    this.draining = true;
    this.options.log(`worker ${this.options.node}: draining (no new cells)`);
    await this.ready.catch(() => undefined);
    if (!this.watch) {
      await this.nc.drain().catch(() => undefined);
      return;
    }
    void this.heartbeat().catch(() => undefined);
    this.watch.stop();
    const timer = setTimeout(() => this.handBackAll(), this.options.drainTimeoutMs);
    this.stopFetches();
    // Cells lined up for busy slots have not started: hand them back at once.
    for (const slot of this.slots) this.handBackHeld(slot);
    this.wakeUp();
    await this.dispatching;
    clearTimeout(timer);
    for (const t of this.timers) clearInterval(t);
    await Promise.all(this.slots.map((s) => s.executor.stop()));
    await this.nodes.delete(this.options.node).catch(() => undefined);
    await this.nc.drain().catch(() => undefined);
    this.options.log(`worker ${this.options.node}: stopped (${this.counts.done} cells done, ${this.counts.failed} failed)`);
  }

  private handBackAll(): void {
    for (const slot of this.slots) {
      if (slot.running) {
        slot.running.handBack = true;
        slot.executor.abort();
      }
    }
  }
}

/** A node id from the host name: one subject token. */
export function defaultNodeId(): string {
  return `${hostname().replace(/[^A-Za-z0-9_-]/g, '-').slice(0, 60)}-${process.pid}`;
}
