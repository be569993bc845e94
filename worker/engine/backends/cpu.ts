import * as tf from '@tensorflow/tfjs-core';
import { packageVersion } from '../versions.js';
import { registerCpuKernels } from './cpu-kernels.js';
import type { Backend, DeviceReport } from './types.js';

/** The pure-JavaScript reference backend: always available, slow; good for tiny tests. */
export const cpuBackend: Backend = {
  name: 'cpu',
  async probe() {
    return { ok: true, detail: 'pure JavaScript' };
  },
  async activate(): Promise<DeviceReport> {
    await import('@tensorflow/tfjs-backend-cpu');
    if (!(await tf.setBackend('cpu'))) throw new Error('TensorFlow.js refused to start the cpu backend');
    await tf.ready();
    // tfjs's filter gradient, bit for bit, without its per-element buffer calls (cpu-kernels.ts).
    registerCpuKernels();
    return {
      backend: 'cpu',
      device: 'CPU (JavaScript, 1 thread)',
      gpu: false,
      versions: { '@tensorflow/tfjs-backend-cpu': packageVersion('@tensorflow/tfjs-backend-cpu') },
    };
  },
};
