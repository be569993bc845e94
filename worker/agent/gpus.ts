import { execFile } from 'node:child_process';
import { cpus } from 'node:os';
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

let lastCpu: { idle: number; total: number } | undefined;

/** CPU busy % since the previous call, from os.cpus() tick counters (null on the first call). */
function cpuBusyPct(): number | null {
  let idle = 0;
  let total = 0;
  for (const c of cpus()) {
    idle += c.times.idle;
    total += c.times.idle + c.times.user + c.times.nice + c.times.sys + c.times.irq;
  }
  const previous = lastCpu;
  lastCpu = { idle, total };
  if (!previous || total === previous.total) return null;
  return Math.round((1 - (idle - previous.idle) / (total - previous.total)) * 1000) / 10;
}

/**
 * Host CPU load and memory. Memory from systeminformation (it reads /proc asynchronously); CPU
 * from os.cpus() deltas, because systeminformation's currentLoad() runs a synchronous exec on
 * Linux, which measurably stalled the agent's event loop once a second.
 */
export async function hostMetrics(): Promise<{ cpu_pct: number | null; ram_used_mb: number | null; ram_total_mb: number | null }> {
  const mem = await si.mem().catch(() => null);
  const mb = (bytes: number) => Math.round(bytes / 1024 / 1024);
  return {
    cpu_pct: cpuBusyPct(),
    ram_used_mb: mem ? mb(mem.active) : null,
    ram_total_mb: mem ? mb(mem.total) : null,
  };
}
