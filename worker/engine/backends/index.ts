import * as tf from '@tensorflow/tfjs-core';
import '../tfjs-setup.js';
import { BackendUnavailableError } from '../../../shared/errors.js';
import { BACKENDS } from './catalog.js';
import type { ActivateOptions, Availability, Backend, BackendName, DeviceReport } from './types.js';

export type { Backend, BackendName, DeviceReport } from './types.js';

/** The implementation of a catalog backend (a usage error naming the known ones otherwise). */
export function backendByName(name: string): Promise<Backend> {
  return BACKENDS.get(name).load();
}

/** Every backend's implementation, in `auto` preference order. */
export function loadBackends(): Promise<Backend[]> {
  return Promise.all(BACKENDS.entries.map((b) => b.load()));
}

/** A backend's availability; a probe that throws counts as unavailable, with its message. */
export async function safeProbe(backend: Backend): Promise<Availability> {
  try {
    return await backend.probe();
  } catch (err) {
    return { ok: false, reason: (err as Error).message };
  }
}

/**
 * Activates the named backend, or for `auto` the fastest one available. WebGPU on a software
 * adapter (lavapipe) is slower than WebAssembly, so `auto` only keeps it when it reports a GPU.
 */
export async function activateBackend(
  choice: BackendName | 'auto' | (string & {}),
  options: ActivateOptions = {},
): Promise<DeviceReport> {
  if (choice !== 'auto') {
    const backend = await backendByName(choice);
    const availability = await safeProbe(backend);
    if (!availability.ok) throw new BackendUnavailableError(`backend '${choice}' is not available: ${availability.reason}`);
    return backend.activate(options);
  }
  const skipped: string[] = [];
  for (const backend of await loadBackends()) {
    const availability = await safeProbe(backend);
    if (!availability.ok) {
      skipped.push(`${backend.name}: ${availability.reason}`);
      continue;
    }
    try {
      const report = await backend.activate(options);
      if (backend.name === 'webgpu' && !report.gpu) {
        skipped.push(`webgpu: adapter '${report.device}' is not a GPU`);
        tf.removeBackend('webgpu');
        continue;
      }
      return report;
    } catch (err) {
      skipped.push(`${backend.name}: ${(err as Error).message}`);
    }
  }
  throw new BackendUnavailableError(`no backend could start:\n  ${skipped.join('\n  ')}`);
}
