import { readFileSync } from 'node:fs';
import { availableParallelism, cpus, loadavg } from 'node:os';

/**
 * What a benchmark ran on, recorded beside its figures: on a shared VM whose speed swings by
 * ±25 %, a figure without the CPU, its vector units and the load at the time cannot be compared
 * with another run's.
 */
export interface MachineRecord {
  /** /proc/cpuinfo's `model name` (a KVM guest may only say "Intel(R) Xeon(R) Processor"). */
  cpu_model: string;
  /** Of the flags that decide which kernels TensorFlow's oneDNN and PyTorch pick: the present ones. */
  cpu_flags: string[];
  /** Logical CPUs this process may run on (the thread count both frameworks default to). */
  cores: number;
  /** 1-, 5- and 15-minute load averages. */
  load_average_start: [number, number, number];
}

/** avx2 / fma / avx512f / avx512_bf16 / avx512_vnni / amx_*: the instruction sets that change conv and matmul speed. */
const FLAGS_THAT_MATTER = /^(avx2|fma|avx512f|avx512_bf16|avx512_fp16|avx512_vnni|avx_vnni|amx_.*)$/;

/** The CPU's model and relevant flags from /proc/cpuinfo (Linux); os.cpus() elsewhere, flags unknown. */
export function cpuDescription(cpuinfo?: string): { model: string; flags: string[] } {
  let text = cpuinfo;
  if (text === undefined) {
    try {
      text = readFileSync('/proc/cpuinfo', 'utf8');
    } catch {
      return { model: cpus()[0]?.model ?? 'unknown', flags: [] };
    }
  }
  const field = (name: string) => new RegExp(`^${name}\\s*:\\s*(.*)$`, 'm').exec(text!)?.[1]?.trim();
  const flags = (field('flags') ?? '').split(/\s+/).filter((f) => FLAGS_THAT_MATTER.test(f));
  return { model: field('model name') ?? cpus()[0]?.model ?? 'unknown', flags: [...new Set(flags)].sort() };
}

export function loadAverage(): [number, number, number] {
  const [a, b, c] = loadavg();
  const r = (x: number | undefined) => Math.round((x ?? 0) * 100) / 100;
  return [r(a), r(b), r(c)];
}

/** The machine at the start of a benchmark; the caller adds `load_average_end` when it is done. */
export function machineRecord(): MachineRecord {
  const cpu = cpuDescription();
  return { cpu_model: cpu.model, cpu_flags: cpu.flags, cores: availableParallelism(), load_average_start: loadAverage() };
}

/** One header line: `Intel(R) Xeon(R) Processor, 2 cores (avx2 avx512f amx_tile …), load 0.73 2.11 1.80`. */
export function describeMachine(m: MachineRecord, loadEnd?: readonly number[]): string {
  const load = (l: readonly number[]) => l.map((x) => x.toFixed(2)).join(' ');
  return `${m.cpu_model}, ${m.cores} cores (${m.cpu_flags.join(' ') || 'flags unknown'}); load average ${load(m.load_average_start)} at start${loadEnd ? `, ${load(loadEnd)} at end` : ''}`;
}

/** The thread and oneDNN settings a framework reads from its environment: as inherited (null: unset, the framework's default). */
export function threadEnvironment(env: NodeJS.ProcessEnv = process.env): Record<string, string | null> {
  const names = ['TF_ENABLE_ONEDNN_OPTS', 'TF_NUM_INTRAOP_THREADS', 'TF_NUM_INTEROP_THREADS', 'OMP_NUM_THREADS', 'OMP_WAIT_POLICY', 'MKL_NUM_THREADS'];
  return Object.fromEntries(names.map((n) => [n, env[n] ?? null]));
}

/**
 * Whether TensorFlow's oneDNN custom operations are on, from the line TensorFlow itself logs when
 * its library loads (`oneDNN custom operations are on…`): what is in effect, rather than a guess
 * from TF_ENABLE_ONEDNN_OPTS, whose default differs between TensorFlow versions and CPUs.
 */
export function oneDnnFromLog(stderr: string): 'on' | 'off' | 'not logged' {
  const m = /oneDNN custom operations are (on|off)/.exec(stderr);
  return m ? (m[1] as 'on' | 'off') : 'not logged';
}
