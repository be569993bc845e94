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

/** Object Store for whole trial results (per-step telemetry makes them too large for KV). */
export const ARTIFACTS_STORE = 'grn-artifacts';

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
  /** Where JetStream announces a message that used up max_deliver. */
  maxDeliveriesAdvisory: (consumer: string) => `$JS.EVENT.ADVISORY.CONSUMER.MAX_DELIVERIES.${TRIALS_STREAM}.${consumer}`,
} as const;

/** `grn.trials.<sweep>.<cell>` → its parts (null for any other subject): the inverse of subjects.trial. */
export function parseTrialSubject(subject: string): { sweep: string; cell: string } | null {
  const parts = subject.split('.');
  return parts.length === 4 && `${parts[0]}.${parts[1]}` === TRIALS_PREFIX ? { sweep: parts[2]!, cell: parts[3]! } : null;
}

/** The durable pull consumer all workers share for one sweep (filter `grn.trials.<sweep>.*`). */
export function consumerName(sweep: string): string {
  return `sweep-${sweep}`;
}

export function cellKey(sweep: string, cell: string): string {
  return `${sweep}.${cell}`;
}
