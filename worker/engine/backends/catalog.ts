import { Registry } from '../registry.js';
import type { Backend } from './types.js';

export interface BackendMeta {
  readonly name: string;
  readonly description: string;
  readonly load: () => Promise<Backend>;
}

/** Every backend, in `auto` preference order: native TensorFlow, WebGPU, WebAssembly, plain JS. */
export const BACKENDS = new Registry<BackendMeta>('backend', [
  {
    name: 'tensorflow',
    description: "TensorFlow's C library through @tensorflow/tfjs-node (or -gpu): the fast CPU path and the CUDA path",
    load: () => import('./tensorflow.js').then((m) => m.tensorflowBackend),
  },
  {
    name: 'webgpu',
    description: "TensorFlow.js's WebGPU backend on Dawn (npm webgpu): the GPU path without libtensorflow",
    load: () => import('./webgpu.js').then((m) => m.webgpuBackend),
  },
  {
    name: 'wasm',
    description: "TensorFlow.js's WebAssembly backend, with the training kernels it lacks registered by us",
    load: () => import('./wasm.js').then((m) => m.wasmBackend),
  },
  {
    name: 'cpu',
    description: "TensorFlow.js's pure-JavaScript backend: seconds per SimpleCNN step, for tiny tests",
    load: () => import('./cpu.js').then((m) => m.cpuBackend),
  },
]);

/** `auto` or a catalog backend: what a trial or spec may ask for. */
export const BACKEND_CHOICES = ['auto', ...BACKENDS.names] as const;
