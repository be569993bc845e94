import type * as full from '../../../orchestrator/reports/report.js';
import { LeftOutOfBundleError } from './left-out-error.js';

/**
 * orchestrator/reports/report.ts in the worker bundle. A report needs vega, vega-lite and resvg's
 * native addon (several MB) and a worker never writes one: `grn report`, and the report a sweep
 * writes when it ends, say so here. The results themselves are complete without it.
 */
export const writeReport: typeof full.writeReport = async (dir) => {
  throw new LeftOutOfBundleError('grn report', `the results are complete; write their report with \`grn report ${dir}\` from a checkout of the project (npm ci)`);
};
