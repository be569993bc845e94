import { availableParallelism } from 'node:os';
import { Piscina } from 'piscina';
import type { DigestBatch, DigestJob } from './report.task.js';
import type { PlotFiles, PlotJob } from './plots/render.js';
import { entryPoints } from '../../shared/entry-points.js';

const TASK = entryPoints.reportTask.href;

/**
 * One worker pool per report, for both kinds of task, so vega is loaded once per thread. As many
 * threads as cores: the main thread mostly waits while they work.
 */
export class ReportPool {
  private readonly pool: Piscina;

  constructor(threads = availableParallelism()) {
    this.pool = new Piscina({ filename: TASK, minThreads: threads, maxThreads: threads, idleTimeout: 1000 });
  }

  digest(jobs: readonly DigestJob[]): Promise<DigestBatch> {
    return this.pool.run(jobs, { name: 'digestCells' }) as Promise<DigestBatch>;
  }

  render(job: PlotJob): Promise<PlotFiles> {
    return this.pool.run(job, { name: 'render' }) as Promise<PlotFiles>;
  }

  async close(): Promise<void> {
    await this.pool.destroy();
  }
}
