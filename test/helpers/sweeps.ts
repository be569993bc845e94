import type { ProgressView } from '../../orchestrator/sweep/progress.js';
import type { PlannedSweep, RunOptions } from '../../orchestrator/sweep/run.js';
import { TrialConfigSchema, type TrialConfigInput } from '../../shared/trial.js';

/** A progress view that prints nothing (tests read events and results instead). */
export const quietView: ProgressView = { event: () => undefined, line: () => undefined, stop: () => undefined };

export interface TestCell {
  readonly id: string;
  readonly optimizer?: string;
  readonly seed?: number;
  /** Anything of the trial; defaults: a `sleep` trial of SGD, 1 epoch. */
  readonly trial: Partial<TrialConfigInput>;
}

/** A sweep built in code (no spec file): the cells as given, validated like the real ones. */
export function testPlan(id: string, cells: readonly TestCell[], maxDeliver = 3): PlannedSweep {
  return {
    id,
    name: id,
    specYaml: `name: ${id}\n`,
    maxDeliver,
    cells: cells.map((c, i) => {
      const optimizer = c.optimizer ?? c.trial.optimizer ?? 'sgd';
      const seed = c.seed ?? c.trial.seed ?? i;
      const trial = TrialConfigSchema.parse({ dataset: 'sleep', epochs: 1, ...c.trial, optimizer, seed });
      return { id: c.id, label: optimizer, optimizer, dataset: trial.dataset, seed, trial };
    }),
  };
}

/** Run options for a sweep on a test server, followed by this process (no local workers). */
export function onTestServer(server: { url: string; orchestratorCreds: string }, resultsDir: string, extra: Partial<RunOptions> = {}): RunOptions {
  return { server: server.url, auth: { creds: server.orchestratorCreds }, localWorkers: 0, resultsDir, view: quietView, ...extra };
}

/** Rejects with a message naming `what` once `ms` have passed (a test's wait must be bounded). */
export function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms waiting for ${what}`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
