import { Piscina } from 'piscina';
import type { FailedWrite, FileToWrite } from './write-files.task.js';
import { entryPoints } from '../../shared/entry-points.js';

const TASK = entryPoints.writeFilesTask.href;

/**
 * Writes result files on a piscina worker thread, in batches. Creating a file costs ~0.2 ms of
 * kernel time on an ext4 VM; at thousands of results a second that alone saturated the
 * orchestrator's event loop, which also has to keep up with the NATS watches. Every file that
 * could not be written is reported to `onFailure` as soon as its batch returns (the caller says so
 * at once, and knows which results the folder lacks); `close()` waits for every write.
 */
export class BackgroundFileWriter {
  // Started on the first write, so a sweep's start does not wait for a thread to boot.
  private pool: Piscina<readonly FileToWrite[], FailedWrite[]> | undefined;
  private batch: FileToWrite[] = [];
  private timer: NodeJS.Timeout | undefined;
  private readonly inFlight = new Set<Promise<unknown>>();

  constructor(private readonly onFailure: (failed: FailedWrite) => void) {}

  write(path: string, value: unknown): void {
    this.batch.push({ path, value });
    if (this.batch.length >= 256) this.flush();
    else this.timer ??= setTimeout(() => this.flush(), 20);
  }

  private flush(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    if (!this.batch.length) return;
    this.pool ??= new Piscina<readonly FileToWrite[], FailedWrite[]>({ filename: TASK, minThreads: 1, maxThreads: 1, idleTimeout: 1000 });
    const files = this.batch;
    this.batch = [];
    const task = this.pool.run(files).then(
      (failed) => failed.forEach((f) => this.onFailure(f)),
      // The thread itself failed (it cannot start, out of memory): every file of the batch is unwritten.
      (err: Error) => files.forEach((f) => this.onFailure({ path: f.path, code: null, message: err.message })),
    );
    this.inFlight.add(task);
    void task.finally(() => this.inFlight.delete(task));
  }

  private closed = false;

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.flush();
    await Promise.all([...this.inFlight]);
    await this.pool?.destroy();
  }
}
