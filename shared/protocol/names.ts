/**
 * Every name on the wire, defined once: the JetStream stream and its per-sweep consumers, the KV
 * buckets, the Object Store, and the core-NATS subjects for live telemetry. Documented in
 * docs/protocol.md; the server config generator derives its permissions from these.
 */

/** Work-queue stream holding one message per cell still to run: `grn.trials.<sweep>.<cell>`. */
export const TRIALS_STREAM = 'GRN_TRIALS';
export const TRIALS_PREFIX = 'grn.trials';

/** KV buckets. */
export const SWEEPS_BUCKET = 'grn-sweeps'; // key <sweep>: SweepRecord (spec, status)
export const CELLS_BUCKET = 'grn-cells'; // key <sweep>.<cell>: CellState, moved with compare-and-set
export const RESULTS_BUCKET = 'grn-results'; // key <sweep>.<cell>: ResultRecord, created once
export const NODES_BUCKET = 'grn-nodes'; // key <node>: NodeRecord, bucket TTL = heartbeat expiry

/**
 * Where workers hand in results: `grn.submit.<node>.<sweep>.<cell>`. The server's permissions let a
 * node publish only under its own id, so the subject proves who sent a result; the orchestrator
 * checks it against the cell's claim and is the only writer of `grn-results` (acceptor.ts).
 */
export const SUBMISSIONS_STREAM = 'GRN_SUBMISSIONS';
export const SUBMIT_PREFIX = 'grn.submit';

/** Orchestrator-only bucket (no worker or viewer may read it): key <sweep> → the sweep's claim-token key. */
export const KEYS_BUCKET = 'grn-keys';

/**
 * Each worker connection's reply-subject prefix, `_GRN_INBOX.<node>`: the server lets a node
 * subscribe only to its own, so no worker can read the deliveries (and claim tokens) or the
 * replies meant for another.
 */
export const INBOX_PREFIX = '_GRN_INBOX';
export function workerInboxPrefix(node: string): string {
  return `${INBOX_PREFIX}.${node}`;
}

/** Object Store for whole trial results (per-step telemetry makes them too large for KV). */
export const ARTIFACTS_STORE = 'grn-artifacts';

/** A cell's latest mid-trial checkpoint in the Object Store (worker/agent/checkpoints.ts). */
export function checkpointObject(sweep: string, cell: string): string {
  return `checkpoints/${sweep}/${cell}.ckpt`;
}

/** Live telemetry, core NATS (fire and forget). */
export const TELEMETRY_PREFIX = 'grn.telemetry';
export const GPU_PREFIX = 'grn.gpu';
export const NODE_METRICS_PREFIX = 'grn.node';

/** Seconds a node's registry entry lives without a heartbeat. */
export const NODE_TTL_S = 15;
/** Seconds between heartbeats (well inside the TTL). */
export const HEARTBEAT_S = 3;

/** The trial consumers' ack wait (the lease a worker keeps with `working()` every third of it). */
export const DEFAULT_ACK_WAIT_MS = 30_000;

/**
 * The ack wait in force: 30 s, or `GRN_ACK_WAIT_MS` (an integer ≥ 1000) where set. The orchestrator
 * creates consumers with it and workers send `working()` every third of it, so both sides must see
 * the same value: local workers inherit the orchestrator's environment. The chaos suite
 * (orchestrator/chaos/) shortens it so a stopped worker's lease lapses within seconds.
 */
export function ackWaitMs(env: NodeJS.ProcessEnv = process.env): number {
  const raw = env.GRN_ACK_WAIT_MS;
  if (raw === undefined || raw === '') return DEFAULT_ACK_WAIT_MS;
  const ms = Number(raw);
  if (!Number.isInteger(ms) || ms < 1000) throw new Error(`GRN_ACK_WAIT_MS=${raw}: expected an integer number of milliseconds, at least 1000`);
  return ms;
}

/** A sweep, cell or node id: one subject token, also a valid KV key part and file name. */
export const ID_PATTERN = /^[A-Za-z0-9_-]{1,100}$/;

export function assertId(kind: string, id: string): string {
  if (!ID_PATTERN.test(id)) throw new Error(`${kind} id '${id}' must match ${ID_PATTERN} (letters, digits, '-', '_')`);
  return id;
}

export const subjects = {
  trial: (sweep: string, cell: string) => `${TRIALS_PREFIX}.${sweep}.${cell}`,
  trialsOfSweep: (sweep: string) => `${TRIALS_PREFIX}.${sweep}.*`,
  allTrials: `${TRIALS_PREFIX}.>`,
  telemetry: (sweep: string, cell: string) => `${TELEMETRY_PREFIX}.${sweep}.${cell}`,
  telemetryOfSweep: (sweep: string) => `${TELEMETRY_PREFIX}.${sweep}.>`,
  gpu: (node: string, gpu: number | string) => `${GPU_PREFIX}.${node}.${gpu}`,
  nodeMetrics: (node: string) => `${NODE_METRICS_PREFIX}.${node}`,
  submit: (node: string, sweep: string, cell: string) => `${SUBMIT_PREFIX}.${node}.${sweep}.${cell}`,
  submissionsOfSweep: (sweep: string) => `${SUBMIT_PREFIX}.*.${sweep}.*`,
  allSubmissions: `${SUBMIT_PREFIX}.>`,
  /** Where JetStream announces a message that used up max_deliver. */
  maxDeliveriesAdvisory: (consumer: string) => `$JS.EVENT.ADVISORY.CONSUMER.MAX_DELIVERIES.${TRIALS_STREAM}.${consumer}`,
} as const;

/** `grn.trials.<sweep>.<cell>` → its parts (null for any other subject): the inverse of subjects.trial. */
export function parseTrialSubject(subject: string): { sweep: string; cell: string } | null {
  const parts = subject.split('.');
  return parts.length === 4 && `${parts[0]}.${parts[1]}` === TRIALS_PREFIX ? { sweep: parts[2]!, cell: parts[3]! } : null;
}

/** `grn.submit.<node>.<sweep>.<cell>` → its parts (null for any other subject). */
export function parseSubmitSubject(subject: string): { node: string; sweep: string; cell: string } | null {
  const parts = subject.split('.');
  return parts.length === 5 && `${parts[0]}.${parts[1]}` === SUBMIT_PREFIX ? { node: parts[2]!, sweep: parts[3]!, cell: parts[4]! } : null;
}

/** The orchestrator's durable consumer of one sweep's submissions. */
export function acceptorName(sweep: string): string {
  return `accept-${sweep}`;
}

/** The durable pull consumer all workers share for one sweep (filter `grn.trials.<sweep>.*`). */
export function consumerName(sweep: string): string {
  return `sweep-${sweep}`;
}

export function cellKey(sweep: string, cell: string): string {
  return `${sweep}.${cell}`;
}
