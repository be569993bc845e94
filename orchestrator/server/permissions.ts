import {
  ARTIFACTS_STORE,
  CELLS_BUCKET,
  GPU_PREFIX,
  KEYS_BUCKET,
  NODE_METRICS_PREFIX,
  NODES_BUCKET,
  RESULTS_BUCKET,
  SUBMISSIONS_STREAM,
  SUBMIT_PREFIX,
  SWEEPS_BUCKET,
  TELEMETRY_PREFIX,
  TRIALS_STREAM,
  workerInboxPrefix,
} from '../../shared/protocol/names.js';

/**
 * Who may do what on the server, derived from the wire names. The orchestrator owns the stream,
 * the buckets and the sweeps; a worker only takes cells, reports on them and announces itself, so
 * a stolen worker key cannot queue work, rewrite a sweep, delete data or impersonate another node.
 *
 * JetStream is reached through request subjects (`$JS.API.…`), KV and Object Store through plain
 * publishes onto their streams' subjects (`$KV.<bucket>.<key>`, `$O.<store>.…`), so permissions on
 * subjects are permissions on operations. The list was found by running each worker operation of
 * the v3 clients against nats-server with nothing else allowed (permissions.test.ts).
 */

export interface Permissions {
  publish: { allow: string[] };
  subscribe: { allow: string[] };
}

/** `'*'`: any node (the loopback embedded server, whose single worker key all local workers share). */
export type NodeScope = string;

const kvStream = (bucket: string) => `KV_${bucket}`;
const objStream = (store: string) => `OBJ_${store}`;
const BUCKETS = [SWEEPS_BUCKET, CELLS_BUCKET, RESULTS_BUCKET, NODES_BUCKET];

export function workerPermissions(node: NodeScope): Permissions {
  const artifacts = objStream(ARTIFACTS_STORE);
  const sweeps = kvStream(SWEEPS_BUCKET);
  const publish = [
    // jetstream(nc) / jetstreamManager(nc) probe the API; Kvm.open / Objm.open read stream info.
    '$JS.API.INFO',
    `$JS.API.STREAM.INFO.${TRIALS_STREAM}`,
    ...BUCKETS.map((b) => `$JS.API.STREAM.INFO.${kvStream(b)}`),
    `$JS.API.STREAM.INFO.${artifacts}`,
    // Take cells: the durable pull consumers the orchestrator made (info, pull), then settle them.
    `$JS.API.CONSUMER.INFO.${TRIALS_STREAM}.*`,
    `$JS.API.CONSUMER.MSG.NEXT.${TRIALS_STREAM}.*`,
    `$JS.ACK.${TRIALS_STREAM}.>`,
    // KV reads (direct get by key, or the stream message API) of every grn bucket.
    ...BUCKETS.flatMap((b) => [`$JS.API.DIRECT.GET.${kvStream(b)}`, `$JS.API.DIRECT.GET.${kvStream(b)}.>`, `$JS.API.STREAM.MSG.GET.${kvStream(b)}`]),
    // KV writes: cell moves anywhere, the registry only under its own node id. Results are not
    // written but handed in, on the node's own submission subject (the server thereby names the
    // sender); the orchestrator alone writes grn-results (acceptor.ts).
    `$KV.${CELLS_BUCKET}.>`,
    `$KV.${NODES_BUCKET}.${node}`,
    `${SUBMIT_PREFIX}.${node}.>`,
    // Watching the sweeps bucket: an ordered push consumer, re-created on gaps, deleted on stop,
    // answering the stream's flow-control requests.
    `$JS.API.CONSUMER.CREATE.${sweeps}`,
    `$JS.API.CONSUMER.CREATE.${sweeps}.>`,
    `$JS.API.CONSUMER.DELETE.${sweeps}.*`,
    `$JS.FC.${sweeps}.>`,
    // Object Store: put chunks and metadata after looking up an existing entry; a put that
    // replaces an object or fails, and delete(), purge the old chunks by subject. Purge can only be
    // scoped to the stream, not the filter — but `$O.<store>.>` with a rollup header can already
    // wipe the store, so this grants nothing new.
    `$O.${ARTIFACTS_STORE}.>`,
    `$JS.API.DIRECT.GET.${artifacts}`,
    `$JS.API.DIRECT.GET.${artifacts}.>`,
    `$JS.API.STREAM.MSG.GET.${artifacts}`,
    `$JS.API.STREAM.PURGE.${artifacts}`,
    // Reading an object back (a checkpoint to resume from, a stored result too large to inline):
    // getBlob streams its chunks through an ordered consumer on the store's stream.
    `$JS.API.CONSUMER.CREATE.${artifacts}`,
    `$JS.API.CONSUMER.CREATE.${artifacts}.>`,
    `$JS.API.CONSUMER.DELETE.${artifacts}.*`,
    `$JS.FC.${artifacts}.>`,
    // Live telemetry: any cell's (a worker runs cells of every sweep), its own GPUs and host.
    `${TELEMETRY_PREFIX}.>`,
    `${GPU_PREFIX}.${node}.>`,
    `${NODE_METRICS_PREFIX}.${node}`,
  ];
  // Replies (JetStream API answers, publish acks), trial deliveries and the sweeps watch all
  // arrive on the node's own inboxes (the agent connects with workerInboxPrefix): a node cannot
  // listen to another's deliveries, whose claim tokens would let it hand in results for their
  // cells. Publishing to inboxes is not granted: a worker answers no requests, and could otherwise
  // forge replies to the orchestrator's.
  return { publish: { allow: publish }, subscribe: { allow: [`${workerInboxPrefix(node)}.>`] } };
}

/**
 * A viewer (`grn dashboard --server … --creds viewer.nk`, `grn sweep status`, `grn nodes`) reads
 * and watches every bucket and the live subjects, and changes nothing: pausing or cancelling with
 * these credentials is refused, which the dashboard shows as read-only.
 */
export function viewerPermissions(): Permissions {
  // Stream info only (its config and counts, no data) for the submissions and keys: ensureStores
  // looks every store up, and a viewer may find but not read them.
  const streams = [TRIALS_STREAM, SUBMISSIONS_STREAM, kvStream(KEYS_BUCKET), ...BUCKETS.map(kvStream), objStream(ARTIFACTS_STORE)];
  const readable = [...BUCKETS.map(kvStream), objStream(ARTIFACTS_STORE)];
  const publish = [
    '$JS.API.INFO',
    ...streams.map((s) => `$JS.API.STREAM.INFO.${s}`),
    `$JS.API.CONSUMER.INFO.${TRIALS_STREAM}.*`,
    // Reads by key, and watches (ordered consumers, created and deleted on each bucket's stream).
    ...readable.flatMap((s) => [
      `$JS.API.DIRECT.GET.${s}`,
      `$JS.API.DIRECT.GET.${s}.>`,
      `$JS.API.STREAM.MSG.GET.${s}`,
      `$JS.API.CONSUMER.CREATE.${s}`,
      `$JS.API.CONSUMER.CREATE.${s}.>`,
      // Listing a bucket's keys asks for its ordered consumer's info (nats.js `keys()`).
      `$JS.API.CONSUMER.INFO.${s}.*`,
      `$JS.API.CONSUMER.DELETE.${s}.*`,
      `$JS.FC.${s}.>`,
    ]),
  ];
  const subscribe = ['_INBOX.>', `${TELEMETRY_PREFIX}.>`, `${GPU_PREFIX}.>`, `${NODE_METRICS_PREFIX}.>`];
  return { publish: { allow: publish }, subscribe: { allow: subscribe } };
}

/** The orchestrator may do everything: it creates the stream, buckets and consumers and reads all. */
export function orchestratorPermissions(): Permissions {
  return { publish: { allow: ['>'] }, subscribe: { allow: ['>'] } };
}
