import type { TrialResult } from '../../shared/result.js';
import type { TrialConfig } from '../../shared/trial.js';
import type { CheckpointAt } from '../engine/checkpoint/index.js';

/**
 * Bytes between agent and trainer: inline (base64 in the JSON message) while small, else a file
 * in the trainer's scratch folder that the receiver reads and the agent deletes — a 130 MB
 * FCN-ResNet50 checkpoint would otherwise be 175 MB of JSON string on both sides.
 */
export type IpcBlob = { base64: string } | { file: string };

/** Blobs up to this size travel inline. */
export const INLINE_BLOB_BYTES = 1 << 20;

/** The environment variable naming the trainer's scratch folder (the agent makes and removes it). */
export const SCRATCH_ENV = 'GRN_TRAINER_SCRATCH';

/**
 * The messages between a node agent and one of its trainer processes (Node IPC, JSON). One trial
 * at a time per trainer; `id` ties replies to the run they belong to.
 */
export type ToTrainer =
  | { type: 'run'; id: number; trial: TrialConfig; resumeFrom?: IpcBlob }
  | { type: 'abort'; id: number };

export type TelemetryKind = 'step' | 'epoch' | 'message';
export type TelemetryRecord = Record<string, number | string | null>;

export type FromTrainer =
  | { type: 'ready'; pid: number }
  | { type: 'telemetry'; id: number; kind: TelemetryKind; record: TelemetryRecord }
  /** The trial expects to end in about `ms` milliseconds (the agent may line up the next cell). */
  | { type: 'eta'; id: number; ms: number }
  /** A file the trial made (a Grad-CAM PNG), base64; sent before its `done`. */
  | { type: 'artefact'; id: number; name: string; data: string }
  /** A checkpoint of the running trial; sent before its `done`. */
  | { type: 'checkpoint'; id: number; at: CheckpointAt; blob: IpcBlob }
  | { type: 'done'; id: number; result: TrialResult }
  | { type: 'failed'; id: number; error: { name: string; message: string } };
