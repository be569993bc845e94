import { AckPolicy, jetstreamManager, RetentionPolicy, StorageType, type JetStreamManager } from '@nats-io/jetstream';
import { Kvm, type KV } from '@nats-io/kv';
import { Objm, type ObjectStore } from '@nats-io/obj';
import type { NatsConnection } from '@nats-io/transport-node';
import { GrnError } from '../../shared/errors.js';
import {
  ackWaitMs,
  ARTIFACTS_STORE,
  acceptorName,
  CELLS_BUCKET,
  consumerName,
  KEYS_BUCKET,
  NODE_TTL_S,
  NODES_BUCKET,
  RESULTS_BUCKET,
  subjects,
  SUBMISSIONS_STREAM,
  SWEEPS_BUCKET,
  TRIALS_STREAM,
} from '../../shared/protocol/names.js';

/** How long JetStream remembers a `Nats-Msg-Id` (re-publishes inside it are dropped by the server). */
const DUPLICATE_WINDOW_NS = 10 * 60 * 1e9;
/** The consumers' ack wait: 30 s unless GRN_ACK_WAIT_MS says otherwise (see ackWaitMs). */
export const ACK_WAIT_NS = ackWaitMs() * 1e6;

export interface Stores {
  readonly jsm: JetStreamManager;
  readonly sweeps: KV;
  readonly cells: KV;
  readonly results: KV;
  readonly nodes: KV;
  /** Orchestrator-only: each sweep's claim-token key (claim-token.ts). */
  readonly keys: KV;
  readonly artifacts: ObjectStore;
}

/** A submission is a result record (its bulk in the Object Store): anything near this is not one. */
const MAX_SUBMISSION_BYTES = 256 * 1024;
export interface StoreOptions {
  /**
   * Copies of every stream, bucket and object store (JetStream `num_replicas`); default
   * {@link chooseReplicas}. A new one is created with it.
   */
  replicas?: number;
  /**
   * Existing ones with another replica count are changed to `replicas` (JetStream moves the data;
   * the stream keeps working) and each change is told here. Without it they are left as they are:
   * read-only commands (status, nodes, export) do not reshape the server.
   */
  onReplicas?: (line: string) => void;
}

/** The R3 of JetStream's docs: survives the loss of one server, with writes acked by two. */
export const CLUSTER_REPLICAS = 3;

/**
 * How many copies to keep: `requested` (`grn sweep run --replicas N`), else `$GRN_REPLICAS`, else
 * what the server we are connected to says about itself — a member of a cluster (its INFO names
 * the cluster) gets 3, a standalone server 1 (more cannot be placed there).
 */
export function chooseReplicas(nc: NatsConnection, requested?: number, env: NodeJS.ProcessEnv = process.env): number {
  const fromEnv = env.GRN_REPLICAS?.trim();
  if (requested === undefined && fromEnv) {
    requested = Number(fromEnv);
    if (!Number.isInteger(requested) || requested < 1 || requested > 5) throw new GrnError(`GRN_REPLICAS=${fromEnv}: expected 1 to 5 (JetStream keeps at most 5 copies)`);
  }
  if (requested !== undefined) {
    if (!Number.isInteger(requested) || requested < 1 || requested > 5) throw new GrnError(`replicas ${requested}: expected 1 to 5 (JetStream keeps at most 5 copies)`);
    return requested;
  }
  return nc.info?.cluster ? CLUSTER_REPLICAS : 1;
}

/** Our streams: the trials, and the ones behind the KV buckets and the object store. */
const OURS = /^(GRN_|KV_grn-|OBJ_grn-)/;

/**
 * Creates (or finds) everything a sweep needs on the server: the work-queue stream of trials, the
 * KV buckets and the Object Store, each with `replicas` copies. Idempotent, so every orchestrator
 * start calls it.
 */
export async function ensureStores(nc: NatsConnection, opts: StoreOptions = {}): Promise<Stores> {
  const replicas = opts.replicas ?? chooseReplicas(nc);
  const jsm = await jetstreamManager(nc);
  const kvm = new Kvm(nc);
  // All at once: each is a round trip or two, and they are independent.
  const [, , sweeps, cells, results, nodes, keys, artifacts] = await Promise.all([
    jsm.streams.info(TRIALS_STREAM).catch(() =>
      jsm.streams.add({
        name: TRIALS_STREAM,
        subjects: [subjects.allTrials],
        // Work-queue retention: a message lives until a worker acks (or terms) it.
        retention: RetentionPolicy.Workqueue,
        storage: StorageType.File,
        duplicate_window: DUPLICATE_WINDOW_NS,
        num_replicas: replicas,
      }),
    ),
    // Results handed in by workers, until the orchestrator has judged them (acceptor.ts).
    jsm.streams.info(SUBMISSIONS_STREAM).catch(() =>
      jsm.streams.add({
        name: SUBMISSIONS_STREAM,
        subjects: [subjects.allSubmissions],
        retention: RetentionPolicy.Workqueue,
        storage: StorageType.File,
        max_msg_size: MAX_SUBMISSION_BYTES,
        num_replicas: replicas,
      }),
    ),
    kvm.create(SWEEPS_BUCKET, { history: 1, replicas }),
    kvm.create(CELLS_BUCKET, { history: 1, replicas }),
    kvm.create(RESULTS_BUCKET, { history: 1, maxValueSize: -1, replicas }),
    // Entries of nodes that stop heartbeating expire with the bucket's TTL.
    kvm.create(NODES_BUCKET, { history: 1, ttl: NODE_TTL_S * 1000, replicas }),
    kvm.create(KEYS_BUCKET, { history: 1, replicas }),
    new Objm(nc).create(ARTIFACTS_STORE, { replicas }),
  ]).catch((err: Error) => {
    if (replicas > 1 && /replicas > 1 not supported|insufficient resources|no suitable peers/i.test(err.message)) {
      throw new GrnError(`cannot create the grn streams with ${replicas} replicas (${err.message}): the server is not part of a cluster with ${replicas} JetStream servers up — use fewer (--replicas / GRN_REPLICAS) or start the other members`);
    }
    throw err;
  });
  if (opts.onReplicas) await reconcileReplicas(jsm, replicas, opts.onReplicas);
  return { jsm, sweeps, cells, results, nodes, keys, artifacts };
}

/** Every stream of ours whose replica count differs from `replicas` is updated to it. */
export async function reconcileReplicas(jsm: JetStreamManager, replicas: number, line: (text: string) => void): Promise<void> {
  for await (const info of jsm.streams.list()) {
    const { name, num_replicas: had } = info.config;
    if (!OURS.test(name) || (had || 1) === replicas) continue;
    try {
      await jsm.streams.update(name, { ...info.config, num_replicas: replicas });
      line(`stream ${name}: ${had} replica(s) -> ${replicas}`);
    } catch (err) {
      line(`warning: stream ${name} has ${had} replica(s), not ${replicas}, and could not be changed (${(err as Error).message})`);
    }
  }
}

/** The sweep's one durable pull consumer, shared by every worker. */
export async function ensureConsumer(jsm: JetStreamManager, sweep: string, maxDeliver: number): Promise<void> {
  const name = consumerName(sweep);
  try {
    await jsm.consumers.info(TRIALS_STREAM, name);
  } catch {
    await jsm.consumers.add(TRIALS_STREAM, {
      durable_name: name,
      filter_subject: subjects.trialsOfSweep(sweep),
      ack_policy: AckPolicy.Explicit,
      ack_wait: ACK_WAIT_NS,
      max_deliver: maxDeliver,
      max_ack_pending: 10_000,
      max_waiting: 4096,
    });
  }
}

/** The orchestrator's durable consumer of one sweep's submissions (it survives an orchestrator restart). */
export async function ensureAcceptConsumer(jsm: JetStreamManager, sweep: string): Promise<void> {
  const name = acceptorName(sweep);
  try {
    await jsm.consumers.info(SUBMISSIONS_STREAM, name);
  } catch {
    await jsm.consumers.add(SUBMISSIONS_STREAM, {
      durable_name: name,
      filter_subject: subjects.submissionsOfSweep(sweep),
      ack_policy: AckPolicy.Explicit,
      ack_wait: ACK_WAIT_NS,
      max_ack_pending: 10_000,
    });
  }
}
