import { epochRecord, type StepRecord, type TrainingListener } from '../engine/telemetry/listener.js';
import type { TelemetryKind, TelemetryRecord } from './ipc.js';

/** Live records leave a trainer at most this often (the protocol's 4 per second per trial). */
export const TELEMETRY_INTERVAL_MS = 250;

/**
 * A TrainingListener that forwards a trial's telemetry, throttled: the latest step record (with
 * the epoch's progress and throughput folded in) at most every TELEMETRY_INTERVAL_MS, and every
 * epoch summary and status message as it happens. Dropping intermediate steps is deliberate: the
 * whole per-step series travels in the result; the live stream is for watching.
 */
export function telemetryForwarder(
  send: (kind: TelemetryKind, record: TelemetryRecord) => void,
  options: { now?: () => number; batchSize?: number; eta?: (ms: number) => void } = {},
): TrainingListener {
  const now = options.now ?? Date.now;
  let lastSent = -Infinity;
  let lastEta = -Infinity;
  let progress: TelemetryRecord = {};
  const flush = (record: StepRecord) => {
    lastSent = now();
    send('step', { ...record, ...progress });
  };
  return {
    onBatch(p) {
      progress = { epochs: p.epochs, batch: p.batch, batches: p.batches, samples_per_s: Math.round(p.samplesPerSecond) };
      // When the training batches left will be done at this speed (evaluation not included),
      // as often as the step records: the agent lines up the slot's next cell from it.
      if (options.eta && options.batchSize && p.samplesPerSecond > 0 && now() - lastEta >= TELEMETRY_INTERVAL_MS) {
        lastEta = now();
        const batchesLeft = (p.epochs - p.epoch - 1) * p.batches + (p.batches - p.batch);
        options.eta(Math.round(((batchesLeft * options.batchSize) / p.samplesPerSecond) * 1000));
      }
    },
    onStep(record) {
      if (now() - lastSent >= TELEMETRY_INTERVAL_MS) flush(record);
    },
    onEpochEnd(s) {
      send('epoch', epochRecord(s));
    },
    onMessage(message) {
      send('message', { message });
    },
  };
}
