import type { KV } from '@nats-io/kv';
import { decodeJson, SweepRecordSchema, type SweepRecord } from '../../shared/protocol/messages.js';

/**
 * The agent's view of the sweeps bucket, kept current by a KV watch: which sweeps hand out cells
 * (status `running`), their max_deliver, and which were cancelled (their running cells abort).
 */
export class SweepWatch {
  private readonly sweeps = new Map<string, SweepRecord>();
  private waiters: Array<() => void> = [];
  private stopWatch: (() => void) | undefined;

  constructor(
    private readonly onCancelled: (sweep: string) => void,
    private readonly log: (line: string) => void,
    /** Which sweeps are active changed (one started, paused, ended): the agent re-plans its fetch. */
    private readonly onActiveChanged: () => void = () => undefined,
  ) {}

  async start(bucket: KV): Promise<void> {
    const watch = await bucket.watch();
    this.stopWatch = () => watch.stop();
    void (async () => {
      for await (const entry of watch) {
        if (entry.operation !== 'PUT') {
          this.sweeps.delete(entry.key);
          continue;
        }
        try {
          const record = decodeJson(SweepRecordSchema, entry.value, `sweep ${entry.key}`);
          const before = this.sweeps.get(entry.key)?.status;
          this.sweeps.set(entry.key, record);
          if (record.status === 'cancelled' && before !== 'cancelled') this.onCancelled(record.id);
          if ((before === 'running') !== (record.status === 'running')) this.onActiveChanged();
        } catch (err) {
          this.log(`ignoring a bad sweep record: ${(err as Error).message}`);
        }
        this.wake();
      }
    })();
  }

  stop(): void {
    this.stopWatch?.();
    this.wake();
  }

  status(sweep: string) {
    return this.sweeps.get(sweep)?.status;
  }

  maxDeliver(sweep: string): number {
    return this.sweeps.get(sweep)?.max_deliver ?? 3;
  }

  /** Sweeps whose cells may be taken now, oldest first. */
  active(): string[] {
    return [...this.sweeps.values()]
      .filter((s) => s.status === 'running')
      .sort((a, b) => a.created_at.localeCompare(b.created_at))
      .map((s) => s.id);
  }

  /** Resolves when the bucket changes (or after `ms`). */
  changed(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      function done() {
        clearTimeout(timer);
        resolve();
      }
      this.waiters.push(done);
    });
  }

  private wake(): void {
    const waiters = this.waiters;
    this.waiters = [];
    for (const w of waiters) w();
  }
}
