/**
 * A TensorFlow.js compute backend. Each implementation lives in its own file and is listed once in
 * ./index.ts. Backends are loaded lazily (dynamic import) so that a missing optional native package
 * (tfjs-node, webgpu) never breaks the others.
 */
/** A backend of the catalog (catalog.ts), by name. */
export type BackendName = string;

/** Whether a backend can run here, and why not when it cannot. */
export type Availability = { ok: true; detail?: string } | { ok: false; reason: string };

export interface ActivateOptions {
  /**
   * The one device this process trains on, chosen by the launcher. For `tensorflow` the launcher
   * sets CUDA_VISIBLE_DEVICES before the process starts; for `webgpu` it is the adapter index.
   */
  deviceIndex?: number;
}

/** What the backend actually runs on, reported in every result manifest. */
export interface DeviceReport {
  backend: BackendName;
  /** Human-readable device, e.g. "CPU (2 threads)", "NVIDIA H100 80GB HBM3 (Vulkan)". */
  device: string;
  /** True when the device is a GPU (a software rasteriser such as lavapipe is not). */
  gpu: boolean;
  /** Which build of the backend's native package runs, where there are several (tensorflow: tfjs-node or tfjs-node-gpu). */
  build?: string;
  /** Versions of the packages that make up this backend. */
  versions: Record<string, string>;
}

export interface Backend {
  readonly name: BackendName;
  /** Cheap check that does not register anything with TensorFlow.js. */
  probe(): Promise<Availability>;
  /** Loads the backend, makes it TensorFlow.js's active backend and reports the device. */
  activate(options?: ActivateOptions): Promise<DeviceReport>;
}
