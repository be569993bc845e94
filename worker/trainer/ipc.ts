import type { TrialResult } from '../../shared/result.js';
import type { TrialConfig } from '../../shared/trial.js';

/**
 * The messages between a node agent and one of its trainer processes (Node IPC, JSON). One trial
 * at a time per trainer; `id` ties replies to the run they belong to.
 */
export type ToTrainer =
  | { type: 'run'; id: number; trial: TrialConfig }
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
  | { type: 'done'; id: number; result: TrialResult }
  | { type: 'failed'; id: number; error: { name: string; message: string } };
