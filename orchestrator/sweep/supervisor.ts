import { jetstreamManager } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import { statfs } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import { startEmbeddedServer, type EmbeddedServer } from '../server/embedded.js';
import type { ServerExit } from '../server/process.js';

/**
 * Watches what a sweep's run stands on and says at once when it gives way, instead of letting the
 * run wait in silence: the embedded nats-server process (restarted on the same port and store when
 * it dies), the connection to the server, JetStream answering, and free space where the results
 * and the JetStream store live. A fault it cannot mend ends the run (`fatal`), with what happened
 * and what to do; everything else is a line for the user.
 */

/** A fault that stops the sweep: its state stays in the store, `grn sweep resume` continues it. */
export interface Fatal {
  readonly reason: 'disk-full' | 'server-lost';
  readonly message: string;
}

export interface SupervisorOptions {
  /** The embedded server to keep alive (absent with --server). */
  readonly embedded?: EmbeddedServer;
  readonly nc: NatsConnection;
  /** Folders whose filesystems must not fill: the results folder and the JetStream store. */
  readonly folders: readonly string[];
  readonly line: (text: string) => void;
  /** Milliseconds between probes (default 2000). */
  readonly probeEveryMs?: number;
}

/** Free space under which a filesystem counts as full (JetStream cannot write a block there). */
export const DISK_FULL_BYTES = 1 << 20;
/** Free space under which the user is warned, once. */
export const DISK_LOW_BYTES = 100 << 20;
/** Consecutive unanswered JetStream probes before the user is told. */
const SILENT_PROBES = 3;
const RESTART_ATTEMPTS = 3;

export async function freeBytes(folder: string): Promise<number | null> {
  try {
    const s = await statfs(folder);
    return s.bavail * s.bsize;
  } catch {
    return null; // not there yet, or no statfs here: nothing to say
  }
}

export class Supervisor {
  private stopped = false;
  private timer: NodeJS.Timeout | undefined;
  private resolveFatal!: (fatal: Fatal) => void;
  /** Settles when the run must stop; never rejects. */
  readonly fatal = new Promise<Fatal>((resolve) => (this.resolveFatal = resolve));
  private failedProbes = 0;
  private warnedLow = new Set<string>();
  private embedded: EmbeddedServer | undefined;
  private restarting = false;
  private isFatal = false;
  private readonly jsm;

  constructor(private readonly options: SupervisorOptions) {
    this.embedded = options.embedded;
    // Short request timeouts: a probe that waits the default 5 s would tell the user late.
    this.jsm = jetstreamManager(options.nc, { timeout: Math.min(2000, options.probeEveryMs ?? 2000) });
  }

  /** The embedded server as it is now (a restart replaces it). */
  get server(): EmbeddedServer | undefined {
    return this.embedded;
  }

  start(): void {
    if (this.embedded) this.watchExit(this.embedded);
    void this.watchConnection();
    const every = this.options.probeEveryMs ?? 2000;
    const tick = () => {
      this.timer = setTimeout(() => void this.probe().finally(() => !this.stopped && tick()), every);
    };
    tick();
  }

  /** Ends the run: said once, the first fault wins. */
  fail(fatal: Fatal): void {
    if (this.isFatal) return;
    this.isFatal = true;
    this.options.line(`FATAL: ${fatal.message}`);
    this.resolveFatal(fatal);
  }

  /** A write to the results folder failed with ENOSPC: the disk is full, whatever statfs says. */
  diskFull(path: string): void {
    this.fail({ reason: 'disk-full', message: `disk full: writing ${path} failed (no space left on the device)` });
  }

  /** Stops watching; the caller stops the server itself (so a stop is never mistaken for a crash). */
  stop(): void {
    this.stopped = true;
    clearTimeout(this.timer);
  }

  private watchExit(server: EmbeddedServer): void {
    void server.exited.then((exit) => {
      if (this.stopped || this.embedded !== server) return;
      void this.restart(server, exit);
    });
  }

  /** The embedded server died under us: bring it back on the same port and store, or give up. */
  private async restart(dead: EmbeddedServer, exit: ServerExit): Promise<void> {
    if (this.restarting) return;
    this.restarting = true;
    const how = exit.signal ? `killed by ${exit.signal}` : `exited with code ${exit.code}`;
    const port = Number(new URL(dead.url).port);
    this.options.line(`nats-server (pid ${dead.pid}) ${how}; restarting it on ${dead.url} with the same JetStream store`);
    let lastError = '';
    try {
      for (let attempt = 1; attempt <= RESTART_ATTEMPTS && !this.stopped; attempt++) {
        const full = await this.fullFolder();
        if (full) {
          this.fail(full);
          return;
        }
        try {
          const next = await startEmbeddedServer({ dir: dead.dir, port });
          if (this.stopped) {
            await next.stop();
            return;
          }
          this.embedded = next;
          this.watchExit(next);
          this.options.line(`nats-server restarted (pid ${next.pid}); the orchestrator and workers reconnect to ${next.url}`);
          return;
        } catch (err) {
          lastError = (err as Error).message;
          await sleep(500 * attempt);
        }
      }
      if (!this.stopped) {
        this.fail({ reason: 'server-lost', message: `nats-server could not be restarted after ${RESTART_ATTEMPTS} attempts (${lastError})` });
      }
    } finally {
      this.restarting = false;
    }
  }

  /** Connection changes, as lines: the user learns that a shared server went away, and came back. */
  private async watchConnection(): Promise<void> {
    for await (const s of this.options.nc.status()) {
      if (this.stopped) return;
      if (s.type === 'disconnect') this.options.line(`lost the connection to the NATS server (${s.server}); reconnecting`);
      else if (s.type === 'reconnect') this.options.line(`reconnected to the NATS server (${s.server})`);
    }
  }

  /** A folder on a full filesystem, as the fault it is; null when every one has room. */
  private async fullFolder(): Promise<Fatal | null> {
    for (const folder of this.options.folders) {
      const free = await freeBytes(folder);
      if (free === null) continue;
      if (free < DISK_FULL_BYTES) {
        return { reason: 'disk-full', message: `disk full: ${folder} has ${formatBytes(free)} free; neither results nor the JetStream store can be written` };
      }
      if (free < DISK_LOW_BYTES && !this.warnedLow.has(folder)) {
        this.warnedLow.add(folder);
        this.options.line(`warning: low disk space: ${formatBytes(free)} free for ${folder}`);
      }
    }
    return null;
  }

  private async probe(): Promise<void> {
    if (this.stopped || this.isFatal) return;
    const full = await this.fullFolder();
    if (full) return this.fail(full);
    if (this.restarting || this.options.nc.isClosed()) return;
    try {
      await (await this.jsm).getAccountInfo();
      if (this.failedProbes >= SILENT_PROBES) this.options.line('JetStream answers again');
      this.failedProbes = 0;
    } catch (err) {
      this.failedProbes++;
      // While disconnected the connection lines say it already; a connected but silent JetStream
      // is what would otherwise go unnoticed (a wedged store).
      if (this.failedProbes === SILENT_PROBES && !this.restarting) {
        this.options.line(`warning: JetStream has not answered for ${SILENT_PROBES} probes (${(err as Error).message}); results cannot be stored until it does`);
      }
    }
  }
}

export function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1 << 20) return `${(n / 1024).toFixed(0)} KiB`;
  if (n < 1 << 30) return `${(n / (1 << 20)).toFixed(1)} MiB`;
  return `${(n / (1 << 30)).toFixed(1)} GiB`;
}
