import { readdirSync, readFileSync } from 'node:fs';

/**
 * Processes, read from /proc (the chaos suite runs on Linux, like CI). Everything the suite kills
 * is checked here first to be one of the run's own: a process whose command line names the run's
 * folder (orchestrators, workers, nats-server), or a child of one (trainers) — never by name.
 */
export interface ProcInfo {
  readonly pid: number;
  readonly ppid: number;
  /** R, S, T (stopped), Z (zombie), … */
  readonly state: string;
  readonly cmdline: string;
}

export function procInfo(pid: number): ProcInfo | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // pid (comm) state ppid …; comm may hold spaces and parentheses: split after the last ')'.
    const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' ').trim();
    return { pid, ppid: Number(rest[1]), state: rest[0] ?? '?', cmdline };
  } catch {
    return null; // gone
  }
}

/** Alive and not a zombie. */
export function isRunning(pid: number): boolean {
  const info = procInfo(pid);
  return info !== null && info.state !== 'Z' && info.state !== 'X';
}

function allPids(): number[] {
  return readdirSync('/proc')
    .filter((d) => /^\d+$/.test(d))
    .map(Number);
}

/** Every live process of the run: command line names `marker`, or descends from one that does. */
export function processesOf(marker: string): ProcInfo[] {
  const infos = allPids().flatMap((pid) => {
    const info = procInfo(pid);
    return info && info.state !== 'Z' ? [info] : [];
  });
  const ours = new Set(infos.filter((p) => p.cmdline.includes(marker) && p.pid !== process.pid).map((p) => p.pid));
  for (let grew = true; grew; ) {
    grew = false;
    for (const p of infos) {
      if (!ours.has(p.pid) && ours.has(p.ppid)) {
        ours.add(p.pid);
        grew = true;
      }
    }
  }
  return infos.filter((p) => ours.has(p.pid));
}

/** Whether `pid` is a live process of the run (see processesOf), checked just before a signal. */
export function isOurs(pid: number, marker: string): boolean {
  for (let p = procInfo(pid), hops = 0; p && hops < 8; p = procInfo(p.ppid), hops++) {
    if (p.state === 'Z') return false;
    if (p.cmdline.includes(marker)) return true;
  }
  return false;
}

/** Sends `signal` to `pid` if it is one of the run's; whether it was sent. */
export function signalOurs(pid: number, signal: NodeJS.Signals, marker: string): boolean {
  if (!isOurs(pid, marker)) return false;
  try {
    process.kill(pid, signal);
    return true;
  } catch {
    return false;
  }
}

/** SIGKILLs what is left of the run (orphaned workers of a killed orchestrator, …), one pid at a time. */
export function killLeftovers(marker: string): number[] {
  const left = processesOf(marker);
  for (const p of left) {
    try {
      process.kill(p.pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
  return left.map((p) => p.pid);
}
