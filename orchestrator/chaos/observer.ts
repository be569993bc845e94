import { Kvm, type KV } from '@nats-io/kv';
import type { NatsConnection } from '@nats-io/transport-node';
import { connectNats } from '../../shared/protocol/connect.js';
import { CellStateSchema, NodeRecordSchema, ResultRecordSchema, TelemetryMessageSchema, type CellState, type NodeRecord } from '../../shared/protocol/messages.js';
import { CELLS_BUCKET, NODES_BUCKET, RESULTS_BUCKET, subjects } from '../../shared/protocol/names.js';

/** One run of a trial as its live telemetry shows it: a slot, and the steps it reported. */
export interface TelemetryRun {
  readonly node: string;
  readonly slot: string;
  /** The delivery the run belongs to (undefined: telemetry without it, from an older worker). */
  readonly attempt: number | undefined;
  /**
   * The 0-based step it started at: exact, since a trainer sends its first step record at once
   * (0 for a fresh run, the checkpoint's step for a resumed one).
   */
  readonly firstStep: number;
  /** Highest 0-based step seen (telemetry is sampled, at most 4 records a second). */
  maxStep: number;
  lastStep: number;
}

/** A stored result as the server showed it over the run. */
export interface SeenResult {
  /** Every revision of `grn-results/<sweep>.<cell>` seen (more than one: it was replaced). */
  readonly revisions: Set<number>;
  /** The attempts the records seen name (more than one: another attempt's result replaced it). */
  readonly attempts: Set<number>;
  node: string;
  slot: string;
  attempt: number;
}

/**
 * Follows a sweep from outside, with the orchestrator's credentials, the way an operator's tools
 * would: the cells and results buckets, the nodes registry (pids of workers and trainers) and the
 * sweep's live telemetry. It survives server restarts (the client reconnects); after an
 * orchestrator restart (a new embedded server, on a new port) `attach` is called again.
 */
export class SweepObserver {
  readonly cells = new Map<string, CellState>();
  readonly results = new Map<string, SeenResult>();
  readonly nodes = new Map<string, NodeRecord>();
  /** Per cell, each run of its trial seen in telemetry, in order. */
  readonly runs = new Map<string, TelemetryRun[]>();
  private nc: NatsConnection | undefined;
  private waiters: Array<() => void> = [];

  constructor(private readonly sweep: string) {}

  /** Results stored so far (cells with at least one). */
  get resultCount(): number {
    return this.results.size;
  }

  /** Resolves at the next change seen (a cell move, a result, a node heartbeat), or after `ms`. */
  changed(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      function done() {
        clearTimeout(timer);
        resolve();
      }
      this.waiters.push(done);
    });
  }

  private notify(): void {
    const waiters = this.waiters;
    this.waiters = [];
    for (const w of waiters) w();
  }

  /**
   * Connects to the sweep's server and follows it. The buckets may not exist yet (a fresh sweep's
   * orchestrator creates them just after its server is up): retried until `deadline`.
   */
  async attach(server: { url: string; orchestratorCreds: string }, deadline: number): Promise<void> {
    await this.detach();
    const nc = await connectNats(server.url, { creds: server.orchestratorCreds }, `grn chaos ${this.sweep}`);
    this.nc = nc;
    const kvm = new Kvm(nc);
    for (;;) {
      try {
        const [cells, results, nodes] = await Promise.all([CELLS_BUCKET, RESULTS_BUCKET, NODES_BUCKET].map((b) => kvm.open(b)));
        await Promise.all([
          this.follow(cells!, `${this.sweep}.>`, (key, value) => {
            if (!value) return;
            const state = CellStateSchema.safeParse(value.json());
            if (state.success) this.cells.set(state.data.cell, state.data);
          }),
          this.follow(results!, `${this.sweep}.>`, (key, value, revision) => {
            if (!value) return;
            const record = ResultRecordSchema.safeParse(value.json());
            if (!record.success) return;
            const r = record.data;
            const seen = this.results.get(r.cell) ?? { revisions: new Set<number>(), attempts: new Set<number>(), node: r.node, slot: r.slot, attempt: r.attempt };
            seen.revisions.add(revision);
            seen.attempts.add(r.attempt);
            Object.assign(seen, { node: r.node, slot: r.slot, attempt: r.attempt });
            this.results.set(r.cell, seen);
          }),
          this.follow(nodes!, '>', (key, value) => {
            if (!value) {
              this.nodes.delete(key);
              return;
            }
            const node = NodeRecordSchema.safeParse(value.json());
            if (node.success) this.nodes.set(node.data.node, node.data);
          }),
        ]);
        break;
      } catch (err) {
        if (Date.now() > deadline) throw new Error(`chaos: cannot follow sweep ${this.sweep} on ${server.url}: ${(err as Error).message}`);
        await this.changed(200); // the orchestrator has not created the buckets yet
      }
    }
    const telemetry = nc.subscribe(subjects.telemetryOfSweep(this.sweep));
    void (async () => {
      for await (const m of telemetry) {
        const parsed = TelemetryMessageSchema.safeParse(m.json());
        if (parsed.success && parsed.data.kind === 'step' && typeof parsed.data.record.step === 'number') this.onStep(parsed.data.cell, parsed.data.node, parsed.data.slot, parsed.data.attempt, parsed.data.record.step);
      }
    })().catch(() => undefined); // closed with the connection
  }

  /**
   * A step record: runs are told apart by attempt, and by steps starting again (a run's steps only
   * go up; a resumed sweep's deliveries are numbered from 1 again, and telemetry from older
   * workers has no attempt).
   */
  private onStep(cell: string, node: string, slot: string, attempt: number | undefined, step: number): void {
    const runs = this.runs.get(cell) ?? [];
    this.runs.set(cell, runs);
    const run = runs.findLast((r) => r.node === node && r.slot === slot && r.attempt === attempt);
    if (run && step >= run.lastStep) {
      run.lastStep = step;
      run.maxStep = Math.max(run.maxStep, step);
    } else runs.push({ node, slot, attempt, firstStep: step, maxStep: step, lastStep: step });
  }

  private async follow(bucket: KV, key: string, handle: (key: string, value: { json(): unknown } | null, revision: number) => void): Promise<void> {
    const watch = await bucket.watch({ key });
    void (async () => {
      for await (const entry of watch) {
        handle(entry.key, entry.operation === 'PUT' ? entry : null, entry.revision);
        this.notify();
      }
    })().catch(() => undefined); // the watch ended with the connection (or the server's restart)
  }

  async detach(): Promise<void> {
    const nc = this.nc;
    this.nc = undefined;
    if (nc && !nc.isClosed()) await nc.close().catch(() => undefined);
  }
}
