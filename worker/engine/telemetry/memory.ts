import * as tf from '@tensorflow/tfjs-core';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

const MB = 1024 * 1024;
const run = promisify(execFile);

export interface MemorySnapshot {
  /** Device memory: the GPU's used memory from nvidia-smi where there is one, else the bytes
   * TensorFlow.js holds in GPU memory (WebGPU); 0 where tensors live in host memory. */
  vramMb: number;
  /** Resident set size of this process. */
  ramMb: number;
  /** Bytes held by TensorFlow.js tensors (tf.memory().numBytes), wherever they live. */
  tensorMb: number;
}

/**
 * Memory at the end of an epoch. nvidia-smi is asked asynchronously (never blocking the event
 * loop), for the device CUDA_VISIBLE_DEVICES or the trial's device index names.
 */
export async function memorySnapshot(onGpu: boolean, deviceIndex?: number): Promise<MemorySnapshot> {
  const info = tf.memory() as tf.MemoryInfo & { numBytesInGPU?: number };
  let vramMb = onGpu ? (info.numBytesInGPU ?? info.numBytes) / MB : 0;
  if (onGpu) vramMb = (await nvidiaSmiUsedMb(deviceIndex)) ?? vramMb;
  return { vramMb: round(vramMb), ramMb: round(process.memoryUsage().rss / MB), tensorMb: round(info.numBytes / MB) };
}

async function nvidiaSmiUsedMb(deviceIndex?: number): Promise<number | null> {
  const visible = process.env.CUDA_VISIBLE_DEVICES?.split(',')[0]?.trim();
  const index = visible || String(deviceIndex ?? 0);
  try {
    const { stdout } = await run('nvidia-smi', ['--query-gpu=memory.used', '--format=csv,noheader,nounits', '-i', index], { timeout: 5000 });
    const mib = Number(stdout.trim().split('\n')[0]);
    return Number.isFinite(mib) ? mib : null;
  } catch {
    return null;
  }
}

function round(x: number): number {
  return Math.round(x * 100) / 100;
}
