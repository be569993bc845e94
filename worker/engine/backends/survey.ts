import * as tf from '@tensorflow/tfjs-core';
import { measureThroughput } from '../throughput.js';
import { loadBackends, safeProbe } from './index.js';

export interface BackendRow {
  backend: string;
  available: boolean;
  device?: string;
  /** What the availability check found, e.g. webgpu's adapters ("0: NVIDIA H100 80GB HBM3 (vulkan); …"). */
  detail?: string;
  gpu?: boolean;
  /** The backend's native build, where it has several (DeviceReport.build). */
  build?: string;
  samples_per_s?: number;
  /** The batch the probe trained with (the pure-JS backend gets a small one). */
  batch_size?: number;
  reason?: string;
}

/** Every backend: is it available here, on what device, and (with `probe`) its SimpleCNN samples/s. */
export async function surveyBackends(options: { probe: boolean; seconds: number }): Promise<BackendRow[]> {
  const rows: BackendRow[] = [];
  for (const backend of await loadBackends()) {
    const availability = await safeProbe(backend);
    if (!availability.ok) {
      rows.push({ backend: backend.name, available: false, reason: availability.reason });
      continue;
    }
    try {
      const report = await backend.activate();
      const row: BackendRow = { backend: backend.name, available: true, device: report.device, ...(availability.detail ? { detail: availability.detail } : {}), gpu: report.gpu };
      if (report.build) row.build = report.build;
      if (options.probe) {
        // The pure-JS backend takes seconds per SimpleCNN step: probe it on a small batch.
        const batchSize = backend.name === 'cpu' ? 8 : 64;
        const t = await measureThroughput({ seconds: options.seconds, batchSize, warmupSteps: backend.name === 'cpu' ? 0 : 1, minSteps: 1 });
        row.samples_per_s = Math.round(t.samplesPerSecond * 10) / 10;
        row.batch_size = batchSize;
      }
      rows.push(row);
    } catch (err) {
      rows.push({ backend: backend.name, available: false, reason: (err as Error).message });
    } finally {
      if (tf.findBackend(backend.name)) tf.removeBackend(backend.name);
    }
  }
  return rows;
}
