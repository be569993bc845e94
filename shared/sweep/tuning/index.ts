/**
 * A sweep's tuning stage (`tune:`): the spec block (spec.ts), its checks (checks.ts), the first
 * stage's cells (plan.ts), the winner rule and the second stage's trials (choose.ts), and
 * tuning.json (record.ts).
 */
export { TuneSchema, TUNE_EPOCHS, TUNE_METRICS, type TuneSpec } from './spec.js';
export { countTuningCells, lrPoints, planTuning, tuningSeeds, type TuningPlan, type TuningPoint, type TuningRow } from './plan.js';
export { chooseLearningRates, tunedCells, WINNER_RULE, type TuningOutcome } from './choose.js';
export { TUNING_FORMAT, TuningRecordSchema, type TuningRecord, type TuningRowRecord } from './record.js';
