import { z } from 'zod';
import { GrnError } from '../errors.js';
import { TrialConfigSchema } from '../trial.js';
import { ID_PATTERN } from './names.js';

/**
 * Every message and KV value on the wire, one zod schema each. Both sides validate what they read:
 * a worker `term()`s a trial message that fails here, the orchestrator logs and skips a bad entry.
 */
const id = z.string().regex(ID_PATTERN, 'must be letters, digits, - or _');
const isoTime = z.string();

/** A cell to run, published on `grn.trials.<sweep>.<cell>`. */
export const TRIAL_MESSAGE_FORMAT = 'grn.trial/1';
export const TrialMessageSchema = z.object({
  format: z.literal(TRIAL_MESSAGE_FORMAT),
  sweep: id,
  cell: id,
  trial: TrialConfigSchema,
  /**
   * The cell's claim token: an HMAC of the sweep and cell under a key only the orchestrator holds
   * (claim-token.ts). Only the worker the message is delivered to sees it, and a result is accepted
   * only with it, so no worker can hand in a result for a cell it was never given.
   */
  token: z.string().optional(),
});
export type TrialMessage = z.infer<typeof TrialMessageSchema>;

export const SWEEP_STATUSES = ['running', 'paused', 'cancelled', 'done', 'failed'] as const;
export type SweepStatus = (typeof SWEEP_STATUSES)[number];

/** `grn-sweeps/<sweep>`: the spec as run and whether workers should take its cells. */
export const SweepRecordSchema = z.object({
  format: z.literal('grn.sweep/1'),
  id,
  name: z.string(),
  status: z.enum(SWEEP_STATUSES),
  cells: z.number().int().nonnegative(),
  max_deliver: z.number().int().positive(),
  /** The spec file's text as run. */
  spec_yaml: z.string(),
  created_at: isoTime,
  updated_at: isoTime,
});
export type SweepRecord = z.infer<typeof SweepRecordSchema>;

export const CELL_STATUSES = ['queued', 'running', 'done', 'failed', 'cancelled'] as const;
export type CellStatus = (typeof CELL_STATUSES)[number];

/** `grn-cells/<sweep>.<cell>`: where a cell is; every move is a compare-and-set on the revision. */
export const CellStateSchema = z.object({
  sweep: id,
  cell: id,
  status: z.enum(CELL_STATUSES),
  /** Delivery number of the attempt (1-based); 0 while queued the first time. */
  attempt: z.number().int().nonnegative(),
  node: z.string().optional(),
  slot: z.string().optional(),
  /**
   * The running attempt's delivery: the JetStream ack subject of the message its worker holds.
   * The orchestrator naks it there when it knows that worker died (a local worker's exit), so the
   * cell is redelivered at once instead of after the ack wait.
   */
  delivery: z.string().optional(),
  started_at: isoTime.optional(),
  updated_at: isoTime,
  /** The last error of a failed attempt (kept while the cell is retried). */
  error: z.string().optional(),
  /**
   * Final metrics once done, so status views need not fetch the whole result: the task's primary
   * metric (`metric`: accuracy, or miou for segmentation) and the test loss.
   */
  metric: z.string().optional(),
  final_score: z.number().nullable().optional(),
  final_loss: z.number().nullable().optional(),
  /** Set when the done cell's trial diverged: the step of its first non-finite loss or gradient. */
  diverged_at_step: z.number().int().nonnegative().optional(),
});
export type CellState = z.infer<typeof CellStateSchema>;

/** Results up to this size travel inside the ResultRecord; larger ones go to the Object Store. */
export const INLINE_RESULT_BYTES = 64 * 1024;

/** `grn-results/<sweep>.<cell>`: created once (create-if-absent) by the attempt that finished first. */
export const ResultRecordSchema = z.object({
  sweep: id,
  cell: id,
  node: z.string(),
  slot: z.string(),
  attempt: z.number().int().positive(),
  /** Object Store name of the whole trial result JSON, when it was too large to inline. */
  object: z.string().nullable(),
  /** SHA-256 of that object, so the orchestrator can tell it was not replaced after it was handed in. */
  object_sha256: z.string().optional(),
  /** The claim token of the trial message (see TrialMessage.token); the acceptor checks and strips it. */
  token: z.string().optional(),
  /** The whole trial result, when its JSON is at most INLINE_RESULT_BYTES (saves round trips). */
  result: z.unknown().optional(),
  bytes: z.number().int().nonnegative(),
  status: z.string(),
  /** The task's primary metric, whose last value `final_score` is (absent in older records: accuracy). */
  metric: z.string().optional(),
  final_score: z.number().nullable(),
  final_loss: z.number().nullable(),
  /** Files the trial made besides its result (Grad-CAM PNGs), each in the Object Store under `object`. */
  artefacts: z.array(z.object({ name: z.string(), object: z.string(), bytes: z.number().int().nonnegative(), sha256: z.string() })).optional(),
  created_at: isoTime,
});
export type ResultRecord = z.infer<typeof ResultRecordSchema>;

export const SlotSchema = z.object({
  slot: z.string(),
  kind: z.enum(['gpu', 'cpu']),
  /** GPU index on the node (CUDA / adapter index); null for CPU slots. */
  device: z.number().int().nullable(),
  sweep: z.string().nullable(),
  cell: z.string().nullable(),
  trainer_pid: z.number().int().nullable(),
  samples_per_s: z.number().nullable(),
});
export type Slot = z.infer<typeof SlotSchema>;

export const GpuInfoSchema = z.object({
  index: z.number().int().nonnegative(),
  name: z.string(),
  vram_total_mb: z.number().nullable(),
});
export type GpuInfo = z.infer<typeof GpuInfoSchema>;

/** `grn-nodes/<node>`: a worker node, re-put every heartbeat; the bucket's TTL drops dead nodes. */
export const NodeRecordSchema = z.object({
  format: z.literal('grn.node/1'),
  node: id,
  host: z.string(),
  pid: z.number().int(),
  version: z.string(),
  backend: z.string(),
  gpus: z.array(GpuInfoSchema),
  slots: z.array(SlotSchema),
  draining: z.boolean(),
  started_at: isoTime,
  heartbeat_at: isoTime,
  cells_done: z.number().int().nonnegative(),
  cells_failed: z.number().int().nonnegative(),
});
export type NodeRecord = z.infer<typeof NodeRecordSchema>;

/** `grn.telemetry.<sweep>.<cell>`: live records of a running trial, at most 4 per second. */
export const TelemetryMessageSchema = z.object({
  sweep: id,
  cell: id,
  node: z.string(),
  slot: z.string(),
  /** The cell's delivery this run is (a redelivered cell's runs told apart; older workers omit it). */
  attempt: z.number().int().positive().optional(),
  at: isoTime,
  kind: z.enum(['step', 'epoch', 'message']),
  /** A StepRecord, an EpochSummary (plus progress), or `{ message }`. */
  record: z.record(z.string(), z.union([z.number(), z.string(), z.null()])),
});
export type TelemetryMessage = z.infer<typeof TelemetryMessageSchema>;

/** `grn.gpu.<node>.<gpu>`: one GPU's metrics, every second. */
export const GpuMetricsSchema = z.object({
  node: z.string(),
  gpu: z.number().int().nonnegative(),
  name: z.string(),
  utilisation_pct: z.number().nullable(),
  vram_used_mb: z.number().nullable(),
  vram_total_mb: z.number().nullable(),
  temperature_c: z.number().nullable(),
  power_w: z.number().nullable(),
  at: isoTime,
});
export type GpuMetrics = z.infer<typeof GpuMetricsSchema>;

/** `grn.node.<node>`: the host's CPU and memory, every second. */
export const NodeMetricsSchema = z.object({
  node: z.string(),
  cpu_pct: z.number().nullable(),
  ram_used_mb: z.number().nullable(),
  ram_total_mb: z.number().nullable(),
  at: isoTime,
});
export type NodeMetrics = z.infer<typeof NodeMetricsSchema>;

/** JSON ↔ bytes, one place. */
const encoder = new TextEncoder();
const decoder = new TextDecoder();
export function encodeJson(value: unknown): Uint8Array {
  return encoder.encode(JSON.stringify(value));
}
/**
 * A message or stored value that is not what its schema says (not JSON, a field missing or of the
 * wrong type). A GrnError, so a command that meets one prints its one line, not a stack trace.
 */
export class WireFormatError extends GrnError {}

/**
 * The largest message or stored value any decoder reads (the server's max_payload is the same):
 * a result's bulk goes to the Object Store, so anything larger is hostile or a bug, and is refused
 * before it is parsed.
 */
export const MAX_MESSAGE_BYTES = 1 << 20;

export function decodeJson<T>(schema: z.ZodType<T>, bytes: Uint8Array, what: string): T {
  if (bytes.length > MAX_MESSAGE_BYTES) throw new WireFormatError(`${what}: ${bytes.length} bytes, over the ${MAX_MESSAGE_BYTES}-byte limit of a message`);
  let value: unknown;
  try {
    value = JSON.parse(decoder.decode(bytes));
  } catch (err) {
    // V8 quotes the input in its message: hostile bytes (newlines, terminal escapes) must not reach a log line as they are.
    throw new WireFormatError(`${what}: not JSON (${printable((err as Error).message)})`);
  }
  const parsed = schema.safeParse(value);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new WireFormatError(`${what}: ${printable(issue.path.join('.')) || '(root)'}: ${printable(issue.message)}`);
  }
  return parsed.data;
}

/** Text from the wire as one printable line: control characters escaped (`\u001b`), at most `max` characters. */
export function printable(text: string, max = 200): string {
  const escaped = text.replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
  return escaped.length > max ? `${escaped.slice(0, max)}…` : escaped;
}
