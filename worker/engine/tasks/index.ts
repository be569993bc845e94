import type { LoadedDataset } from '../datasets/data.js';
import { TASKS } from './catalog.js';
import type { TaskRunner } from './types.js';

export type { Batch, BatchSource, Evaluation, TaskRunner } from './types.js';

/** The task runner for a loaded data set (its loss, batches and metrics), typed to it. */
export async function runnerFor<D extends LoadedDataset>(data: D): Promise<TaskRunner<D>> {
  const load = TASKS[data.task].runner;
  if (!load) throw new Error(`task '${data.task}' trains nothing`);
  return (await load()) as unknown as TaskRunner<D>;
}
