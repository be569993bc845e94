import type * as full from '../../../orchestrator/dashboard/run.js';
import { LeftOutOfBundleError } from './left-out-error.js';

/**
 * orchestrator/dashboard/run.tsx in the worker bundle: the terminal dashboard is Ink and React,
 * which a worker does not need. Watching a sweep from a worker node works without it
 * (`grn sweep status ID --server …`, `grn nodes --server …`).
 */
export const runDashboard: typeof full.runDashboard = async () => {
  throw new LeftOutOfBundleError(
    'grn dashboard',
    'run it from a checkout of the project (npm ci), e.g. `grn dashboard --server nats://HOST:4222 --creds viewer.nk`; from here, `grn sweep status ID --server …` and `grn nodes --server …` show a sweep and its workers',
  );
};
