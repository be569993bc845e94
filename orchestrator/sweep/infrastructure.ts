import { AckPolicy, jetstreamManager, RetentionPolicy, StorageType, type JetStreamManager } from '@nats-io/jetstream';
import { Kvm, type KV } from '@nats-io/kv';
import { Objm, type ObjectStore } from '@nats-io/obj';
import type { NatsConnection } from '@nats-io/transport-node';
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

/**
 * Creates (or finds) everything a sweep needs on the server: the work-queue stream of trials, the
 * KV buckets and the Object Store. Idempotent, so every orchestrator start calls it.
 */
export async function ensureStores(nc: NatsConnection): Promise<Stores> {
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
      }),
    ),
    kvm.create(SWEEPS_BUCKET, { history: 1 }),
    kvm.create(CELLS_BUCKET, { history: 1 }),
    kvm.create(RESULTS_BUCKET, { history: 1, maxValueSize: -1 }),
    // Entries of nodes that stop heartbeating expire with the bucket's TTL.
    kvm.create(NODES_BUCKET, { history: 1, ttl: NODE_TTL_S * 1000 }),
    kvm.create(KEYS_BUCKET, { history: 1 }),
    new Objm(nc).create(ARTIFACTS_STORE),
  ]);
  return { jsm, sweeps, cells, results, nodes, keys, artifacts };
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
