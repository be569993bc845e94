import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import si from 'systeminformation';
import { UsageError } from '../../shared/errors.js';

const run = promisify(execFile);

/** One GPU as nvidia-smi reports it; null where the driver does not say (e.g. power on some boards). */
export interface GpuSample {
  readonly index: number;
  readonly name: string;
  readonly utilisation_pct: number | null;
  readonly vram_used_mb: number | null;
  readonly vram_total_mb: number | null;
  readonly temperature_c: number | null;
  readonly power_w: number | null;
}

const QUERY = 'index,name,utilization.gpu,memory.used,memory.total,temperature.gpu,power.draw';

function numberOrNull(text: string | undefined): number | null {
  const value = Number(text?.trim());
  return text === undefined || text.trim() === '' || !Number.isFinite(value) ? null : value;
}

/** Parses `nvidia-smi --query-gpu=QUERY --format=csv,noheader,nounits` ("[N/A]" → null). */
export function parseNvidiaSmi(csv: string): GpuSample[] {
  return csv
    .split('\n')
    .map((line) => line.trim())
    .filter(Boolean)
    .map((line) => {
      const [index, name, util, used, total, temp, power] = line.split(',').map((f) => f.trim());
      return {
        index: Number(index),
        name: name ?? 'GPU',
        utilisation_pct: numberOrNull(util),
        vram_used_mb: numberOrNull(used),
        vram_total_mb: numberOrNull(total),
        temperature_c: numberOrNull(temp),
        power_w: numberOrNull(power),
      };
    })
    .filter((g) => Number.isInteger(g.index));
}

/**
 * The NVIDIA GPUs and their live metrics, or [] without a driver. Asked asynchronously, with a
 * timeout: systeminformation's own GPU probe runs nvidia-smi synchronously (a slow driver call
 * would stall the agent's event loop, and with it every lease heartbeat) and needs lspci.
 */
export async function queryGpus(nvidiaSmi = process.env.GRN_NVIDIA_SMI ?? 'nvidia-smi'): Promise<GpuSample[]> {
  try {
    const { stdout } = await run(nvidiaSmi, [`--query-gpu=${QUERY}`, '--format=csv,noheader,nounits'], { timeout: 5000 });
    return parseNvidiaSmi(stdout);
  } catch {
    return [];
  }
}

/** `--gpus`: `all` (default), `none`, or a comma list of indices that must exist. */
export function selectGpus(gpus: readonly GpuSample[], selection: string): GpuSample[] {
  if (selection === 'all') return [...gpus];
  if (selection === 'none') return [];
  const wanted = selection.split(',').map((s) => s.trim());
  return wanted.map((text) => {
    const index = Number(text);
    const gpu = gpus.find((g) => g.index === index);
    if (!Number.isInteger(index) || !gpu) {
      const have = gpus.length ? gpus.map((g) => g.index).join(', ') : 'none (no NVIDIA driver answered)';
      throw new UsageError(`--gpus ${selection}: no GPU '${text}' on this machine; GPUs here: ${have}`);
    }
    return gpu;
  });
}

/** Host CPU load and memory (systeminformation: these calls are asynchronous and cheap). */
export async function hostMetrics(): Promise<{ cpu_pct: number | null; ram_used_mb: number | null; ram_total_mb: number | null }> {
  const [load, mem] = await Promise.all([si.currentLoad().catch(() => null), si.mem().catch(() => null)]);
  const mb = (bytes: number) => Math.round(bytes / 1024 / 1024);
  return {
    cpu_pct: load ? Math.round(load.currentLoad * 10) / 10 : null,
    ram_used_mb: mem ? mb(mem.active) : null,
    ram_total_mb: mem ? mb(mem.total) : null,
  };
}
