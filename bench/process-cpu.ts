import { readFileSync } from 'node:fs';

/**
 * CPU seconds (user + system) a process has used so far, from /proc/<pid>/stat; null where there
 * is no procfs (macOS) or the process is gone. The dispatch benchmark reads it around a timed
 * sweep to say which process (orchestrator, workers, nats-server) the time per cell goes to.
 */
export function processCpuSeconds(pid: number | undefined): number | null {
  if (pid === undefined) return null;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name (which may hold spaces) start at state, field 3.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const ticks = Number(fields[11]) + Number(fields[12]); // utime, stime (fields 14, 15)
    return ticks / CLOCK_TICKS;
  } catch {
    return null;
  }
}

/** USER_HZ: 100 on every Linux this runs on (the kernel's ABI constant for /proc times). */
const CLOCK_TICKS = 100;

/** CPU seconds per named process over a span: `take()` then `since(earlier)`. */
export class CpuLedger {
  constructor(private readonly pids: Readonly<Record<string, number | undefined>>) {}

  take(): Record<string, number | null> {
    const out: Record<string, number | null> = {};
    for (const [name, pid] of Object.entries(this.pids)) out[name] = pid === process.pid ? selfCpuSeconds() : processCpuSeconds(pid);
    return out;
  }

  /** Milliseconds of CPU per unit of work (e.g. per cell) for each process since `earlier`. */
  since(earlier: Record<string, number | null>, units: number): Record<string, number | null> {
    const now = this.take();
    const out: Record<string, number | null> = {};
    let total = 0;
    for (const name of Object.keys(now)) {
      const a = earlier[name];
      const b = now[name];
      out[name] = a === null || a === undefined || b === null || b === undefined ? null : round3(((b - a) * 1000) / units);
      total += out[name] ?? 0;
    }
    out.total = round3(total);
    return out;
  }
}

function selfCpuSeconds(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
}

function round3(x: number): number {
  return Math.round(x * 1000) / 1000;
}
