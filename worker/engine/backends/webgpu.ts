/**
 * TensorFlow.js's WebGPU backend on Dawn's native Node binding (the optional npm package `webgpu`).
 *
 * Why the workarounds:
 *  - Node has no `navigator.gpu`. @tensorflow/tfjs-backend-webgpu registers its backend factory at
 *    import time only if `navigator.gpu` exists, and uses the WebGPU globals (GPUBufferUsage, ...),
 *    so both are installed from Dawn before that package is imported (never at module load here:
 *    both packages are loaded lazily, and `webgpu` may be absent).
 *  - Pinning: WebGPU's requestAdapter cannot name an adapter, but dawn.node takes an `adapter=NAME`
 *    flag in create() (the first adapter whose name contains NAME) and, when nothing matches,
 *    rejects with the list of adapters it found. That list is our enumeration: deviceIndex indexes
 *    it, and the adapter is pinned by its name. Dawn cannot tell identical GPUs apart by name, so an
 *    index that is not the first adapter of its name is refused rather than silently sharing GPU 0.
 *  - The backend reports the adapter tfjs actually got: navigator.gpu.requestAdapter is wrapped to
 *    capture what the stock tfjs factory receives.
 *  - Synchronous reads (dataSync/arraySync) of GPU tensors need OffscreenCanvas, absent in Node:
 *    they fail; the error is rewritten to say "use await tensor.data()".
 *  - Without a GPU, Dawn can run on Mesa's lavapipe (Vulkan on the CPU, ≥ 23; `npm run
 *    setup:webgpu`). That is a software adapter: it is reported with `gpu: false`.
 */
import * as tf from '@tensorflow/tfjs-core';
import { packageVersion } from '../versions.js';
import type { ActivateOptions, Availability, Backend, DeviceReport } from './types.js';

// Minimal structural types for the parts of WebGPU/Dawn used here, so that this file compiles
// whether or not the optional `webgpu` package (and its @webgpu/types) is installed.
interface AdapterInfoLike {
  vendor?: string;
  architecture?: string;
  device?: string;
  description?: string;
  isFallbackAdapter?: boolean;
}
interface AdapterLike {
  info?: AdapterInfoLike;
  isFallbackAdapter?: boolean;
}
interface AdapterOptions {
  powerPreference?: 'low-power' | 'high-performance';
  forceFallbackAdapter?: boolean;
}
interface GpuLike {
  requestAdapter(options?: AdapterOptions): Promise<AdapterLike | null>;
}
interface DawnModule {
  create(flags: string[]): GpuLike;
  globals: object;
}

/** An adapter as dawn.node enumerates it (for the default backend: Vulkan on Linux). */
export interface WebGpuAdapterEntry {
  index: number;
  /** Dawn's backend for it, e.g. "vulkan". */
  backend: string;
  /** The driver's device name, e.g. "NVIDIA H100 80GB HBM3", "llvmpipe (LLVM 15.0.6, 256 bits)". */
  name: string;
}

const DAWN = 'webgpu';
const TFJS_WEBGPU = '@tensorflow/tfjs-backend-webgpu';
const NO_ADAPTER =
  'no WebGPU adapter: install Mesa\'s Vulkan driver (lavapipe ≥ 23) with `npm run setup:webgpu`, or run on a machine with a GPU';
/** Matches no device name, so dawn.node answers with the list of adapters. */
const LIST_SENTINEL = 'adapter=\u0001grn-list-adapters\u0001';
/** What the tfjs factory asks for (unless WEBGPU_USE_LOW_POWER_GPU), so indexes mean the same. */
const LIST_OPTIONS: AdapterOptions = { powerPreference: 'high-performance' };
const SOFTWARE = /llvmpipe|lavapipe|softpipe|swiftshader|software|basic render|\bwarp\b/i;

let dawnModule: DawnModule | undefined;
/** The stock tfjs factory, kept so that the backend can be registered again after removeBackend. */
let tfjsFactory: (() => tf.KernelBackend | Promise<tf.KernelBackend>) | undefined;
let active: { deviceIndex: number; report: DeviceReport } | undefined;

async function loadDawn(): Promise<DawnModule> {
  if (dawnModule) return dawnModule;
  const specifier = DAWN; // not a literal: the package is optional and may be absent at build time
  try {
    dawnModule = (await import(specifier)) as DawnModule;
  } catch (err) {
    throw new Error(
      `the optional npm package '${DAWN}' (Dawn) cannot be loaded: ${(err as Error).message.split('\n')[0]}; ` +
        'install it with npm install (it is an optionalDependency)',
    );
  }
  return dawnModule;
}

/**
 * The adapters dawn.node can use, in its order (the order deviceIndex refers to). Creates a
 * throwaway GPU instance; registers nothing with TensorFlow.js.
 */
export async function listWebGpuAdapters(): Promise<WebGpuAdapterEntry[]> {
  const dawn = await loadDawn();
  let answer: AdapterLike | null;
  try {
    answer = await dawn.create([LIST_SENTINEL]).requestAdapter(LIST_OPTIONS);
  } catch (err) {
    const text = err instanceof Error ? err.message : String(err);
    const entries: WebGpuAdapterEntry[] = [];
    for (const match of text.matchAll(/^ \* backend: '([^']*)', name: '(.*)'$/gm)) {
      entries.push({ index: entries.length, backend: match[1]!, name: match[2]! });
    }
    if (entries.length === 0 && !/Available adapters/.test(text)) throw new Error(`dawn.node: ${text}`);
    return entries;
  }
  // Resolved: null when Dawn found no adapter at all; an adapter only if the sentinel matched.
  return answer ? [{ index: 0, backend: 'unknown', name: answer.info?.device ?? 'unknown adapter' }] : [];
}

function isSoftware(adapter: AdapterLike, name: string): boolean {
  const info = adapter.info ?? {};
  if (info.isFallbackAdapter === true || adapter.isFallbackAdapter === true) return true;
  return SOFTWARE.test([name, info.architecture, info.device, info.description].filter(Boolean).join(' '));
}

/** Sets navigator.gpu on Node 20 (no navigator) as on Node ≥ 21 (navigator without gpu). */
function setNavigatorGpu(gpu: GpuLike): void {
  const g = globalThis as { navigator?: object };
  if (g.navigator && typeof g.navigator === 'object') {
    Object.defineProperty(g.navigator, 'gpu', { value: gpu, configurable: true, writable: true, enumerable: true });
  } else {
    Object.defineProperty(globalThis, 'navigator', { value: { gpu }, configurable: true, writable: true });
  }
}

/**
 * tfjs-backend-webgpu reads GPU data synchronously (dataSync, arraySync) through OffscreenCanvas,
 * which Node lacks: it fails with "OffscreenCanvas is not defined". Say what to do instead.
 */
function explainSyncReads(backend: tf.KernelBackend): void {
  const readSync = backend.readSync.bind(backend);
  backend.readSync = (dataId: object) => {
    try {
      return readSync(dataId);
    } catch (err) {
      if (err instanceof ReferenceError && err.message.includes('OffscreenCanvas')) {
        throw new Error('the webgpu backend cannot read GPU data synchronously under Node (dataSync/arraySync); use await tensor.data()');
      }
      throw err;
    }
  };
}

function describeAdapters(adapters: WebGpuAdapterEntry[]): string {
  return adapters.map((a) => `${a.index}: ${a.name} (${a.backend})`).join('; ');
}

export const webgpuBackend: Backend = {
  name: 'webgpu',
  async probe(): Promise<Availability> {
    let adapters: WebGpuAdapterEntry[];
    try {
      adapters = await listWebGpuAdapters();
    } catch (err) {
      return { ok: false, reason: (err as Error).message };
    }
    if (adapters.length === 0) return { ok: false, reason: NO_ADAPTER };
    return { ok: true, detail: `adapters: ${describeAdapters(adapters)}` };
  },

  async activate(options: ActivateOptions = {}): Promise<DeviceReport> {
    const deviceIndex = options.deviceIndex ?? 0;
    if (active && active.deviceIndex === deviceIndex && tf.getBackend() === 'webgpu') return active.report;

    const dawn = await loadDawn();
    Object.assign(globalThis, dawn.globals); // GPUBufferUsage, GPUMapMode, ... used by tfjs-backend-webgpu

    const adapters = await listWebGpuAdapters();
    if (adapters.length === 0) throw new Error(NO_ADAPTER);
    const entry = adapters[deviceIndex];
    if (!Number.isInteger(deviceIndex) || !entry) {
      throw new Error(`WebGPU adapter index ${deviceIndex} does not exist; adapters: ${describeAdapters(adapters)}`);
    }
    const shadowedBy = adapters.slice(0, deviceIndex).find((a) => a.name.includes(entry.name));
    if (shadowedBy) {
      throw new Error(
        `cannot pin WebGPU adapter ${deviceIndex} ('${entry.name}'): dawn.node selects adapters by name and ` +
          `adapter ${shadowedBy.index} ('${shadowedBy.name}') matches it first. Give each process its own GPU ` +
          'another way (e.g. the container runtime) and use adapter 0',
      );
    }

    // Pin the adapter, and capture the one the tfjs factory actually receives.
    const gpu = dawn.create([`adapter=${entry.name}`]);
    const requestAdapter = gpu.requestAdapter.bind(gpu);
    let chosen: AdapterLike | null = null;
    Object.defineProperty(gpu, 'requestAdapter', {
      configurable: true,
      value: async (adapterOptions?: AdapterOptions) => (chosen = await requestAdapter(adapterOptions)),
    });

    // A backend started on another adapter (or by an earlier activation) is dropped first; its
    // factory is the stock tfjs one, kept for re-registration. (findBackendFactory, unlike
    // findBackend, does not start the backend.)
    const existing = tf.findBackendFactory('webgpu');
    if (existing) {
      tfjsFactory ??= existing;
      tf.removeBackend('webgpu');
    }
    active = undefined;
    setNavigatorGpu(gpu); // before the import below: tfjs registers its factory only if it is set
    if (!tfjsFactory) {
      await import('@tensorflow/tfjs-backend-webgpu'); // a literal, so that the worker bundle includes it
      tfjsFactory = tf.findBackendFactory('webgpu') ?? undefined;
      if (!tfjsFactory) {
        throw new Error(`${TFJS_WEBGPU} did not register its backend (was it imported before navigator.gpu was set?)`);
      }
    }
    if (!tf.findBackendFactory('webgpu')) tf.registerBackend('webgpu', tfjsFactory, 3);

    if (!(await tf.setBackend('webgpu'))) {
      throw new Error(
        chosen
          ? `TensorFlow.js could not start the webgpu backend on '${entry.name}' (see the warning above)`
          : `Dawn gave no adapter named '${entry.name}'`,
      );
    }
    await tf.ready();
    explainSyncReads(tf.backend());
    const adapter = chosen as AdapterLike | null;
    if (!adapter) throw new Error('the webgpu backend started without requesting an adapter through navigator.gpu');

    const info = adapter.info ?? {};
    const software = isSoftware(adapter, entry.name);
    const backendName = entry.backend === 'vulkan' ? 'Vulkan' : entry.backend;
    const details = [
      software ? `${backendName}, software adapter` : backendName,
      [info.vendor, info.architecture].filter((s) => s).join(' '),
      info.description,
    ]
      .filter((s) => s)
      .join('; ');
    const report: DeviceReport = {
      backend: 'webgpu',
      device: `${entry.name} (${details})`,
      gpu: !software,
      versions: {
        [TFJS_WEBGPU]: packageVersion(TFJS_WEBGPU),
        [DAWN]: packageVersion(DAWN),
      },
    };
    active = { deviceIndex, report };
    return report;
  },
};
