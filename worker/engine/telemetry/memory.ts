import * as tf from '@tensorflow/tfjs-core';

const MB = 1024 * 1024;

/**
 * Memory at the end of an epoch: device memory held by tensors (on GPU backends; 0 where tensors
 * live in host memory, which RSS already counts) and the process's resident set size.
 */
export function memorySnapshot(onGpu: boolean): { vramMb: number; ramMb: number } {
  const info = tf.memory() as tf.MemoryInfo & { numBytesInGPU?: number };
  const deviceBytes = onGpu ? (info.numBytesInGPU ?? info.numBytes) : 0;
  return { vramMb: round(deviceBytes / MB), ramMb: round(process.memoryUsage().rss / MB) };
}

function round(x: number): number {
  return Math.round(x * 100) / 100;
}
