import { availableParallelism, cpus } from 'node:os';
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
 *
 * Several CPU slots share the cores: each trainer's TensorFlow thread pools get cores / slots
 * threads (at least 1) instead of every core each, which oversubscribes them (two SimpleCNN
 * trainers on 2 cores: 1.06–1.35× the total samples/s with 1 thread each than with 2 each,
 * docs/benchmarks.md). Thread counts set in the agent's own environment are left as they are.
 */
export function planSlots(gpus: readonly GpuSample[], cpuSlots: number | undefined, cores = availableParallelism(), env: NodeJS.ProcessEnv = process.env): SlotPlan[] {
  const plans: SlotPlan[] = gpus.map((g) => ({
    slot: `gpu${g.index}`,
    kind: 'gpu',
    device: g.index,
    env: { CUDA_VISIBLE_DEVICES: String(g.index) },
  }));
  const cpuCount = cpuSlots ?? (gpus.length ? 0 : 1);
  const pools = sharedCoreThreads(cpuCount, cores, env);
  for (let i = 0; i < cpuCount; i++) plans.push({ slot: `cpu${i}`, kind: 'cpu', device: null, env: { CUDA_VISIBLE_DEVICES: '', ...pools } });
  return plans;
}

/** TensorFlow's thread pools, sized by these variables (default: every schedulable CPU). */
const THREAD_POOLS = ['TF_NUM_INTRAOP_THREADS', 'TF_NUM_INTEROP_THREADS'] as const;

/**
 * The environment that gives each of `trainers` CPU trainers on one machine its share of the cores
 * (cores / trainers threads per TensorFlow pool, at least 1): nothing for a single trainer, and
 * nothing for a pool whose size `env` already sets.
 */
export function sharedCoreThreads(trainers: number, cores = availableParallelism(), env: NodeJS.ProcessEnv = process.env): Record<string, string> {
  if (trainers <= 1) return {};
  const threads = String(Math.max(1, Math.floor(cores / trainers)));
  return Object.fromEntries(THREAD_POOLS.filter((name) => env[name] === undefined).map((name) => [name, threads]));
}

/** `--slots auto`: one per two cores (TensorFlow's kernels use several threads each). */
export function autoCpuSlots(): number {
  return Math.max(1, Math.floor(cpus().length / 2));
}
