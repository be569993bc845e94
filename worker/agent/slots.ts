import { cpus } from 'node:os';
import type { GpuSample } from './gpus.js';

/** Where one trainer runs: a GPU it is pinned to, or a CPU slot. */
export interface SlotPlan {
  readonly slot: string;
  readonly kind: 'gpu' | 'cpu';
  readonly device: number | null;
  /** The trainer's environment: CUDA_VISIBLE_DEVICES pins it (and hides GPUs from CPU slots). */
  readonly env: Record<string, string>;
}

/**
 * One slot per selected GPU; with no GPU, `cpuSlots` CPU slots (default 1: a trainer's kernels
 * already use every core, so more slots only help small models — measure with the dispatch
 * benchmark). `cpuSlots` given with GPUs adds CPU slots beside them.
 */
export function planSlots(gpus: readonly GpuSample[], cpuSlots: number | undefined): SlotPlan[] {
  const plans: SlotPlan[] = gpus.map((g) => ({
    slot: `gpu${g.index}`,
    kind: 'gpu',
    device: g.index,
    env: { CUDA_VISIBLE_DEVICES: String(g.index) },
  }));
  const cpuCount = cpuSlots ?? (gpus.length ? 0 : 1);
  for (let i = 0; i < cpuCount; i++) plans.push({ slot: `cpu${i}`, kind: 'cpu', device: null, env: { CUDA_VISIBLE_DEVICES: '' } });
  return plans;
}

/** `--slots auto`: one per two cores (TensorFlow's kernels use several threads each). */
export function autoCpuSlots(): number {
  return Math.max(1, Math.floor(cpus().length / 2));
}
