/**
 * What a report needs from one trial result, small enough to send between threads: a cell file is
 * 10–100 KB of JSON (mostly per-step telemetry), its digest a few KB. Per-step series are averaged
 * into at most MAX_POINTS bins on a grid fixed by the run's planned length, so the seeds of one
 * variant share their bins and can be averaged point by point.
 */

import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { METRIC_NAMES, type MetricName } from '../../shared/metrics.js';
import { PLOTTED_SERIES, type PlottedSeries } from '../../shared/series.js';

/** Per-step series the report plots, in the result's own key names (defined in shared/series.ts). */
export const STEP_SERIES = PLOTTED_SERIES;
export type StepSeries = PlottedSeries;

/** Bins per per-step series: enough for a smooth curve in a 300-pixel-wide panel. */
export const MAX_POINTS = 120;

/** Visited states kept for the Q-table heatmap (most visited first). */
export const Q_STATES = 30;

export interface QTableDigest {
  readonly entries: readonly string[];
  /** Most visited states first, at most Q_STATES. */
  readonly states: readonly string[];
  readonly visits: readonly number[];
  readonly values: ReadonlyArray<readonly number[]>;
  readonly totalStates: number;
  readonly totalVisits: number;
}

export interface CellDigest {
  readonly cell: string;
  readonly status: string;
  readonly optimizer: string;
  readonly backend: string;
  readonly device: string;
  /** Planned epochs (the manifest's), and planned optimizer steps per epoch. */
  readonly plannedEpochs: number;
  readonly stepsPerEpoch: number;
  /** The task's primary metric (accuracy; mIoU for segmentation): what `score` holds. */
  readonly metric: MetricName;
  /** Per epoch, as recorded (NaN where the file has null, e.g. a diverged loss); `score` is the primary metric. */
  readonly score: number[];
  /** The primary metric on the validation split per epoch; null when the run had none. */
  readonly validationScore: number[] | null;
  readonly loss: number[];
  readonly testLoss: number[];
  readonly epochTime: number[];
  readonly samplesPerS: number[];
  readonly vramMb: number[];
  readonly ramMb: number[];
  /** MB held by TensorFlow.js tensors at the end of each epoch. */
  readonly tensorMb: number[];
  /** Whether the run used a GPU (its vramMb is then the device's; else 0). */
  readonly gpu: boolean;
  /** Steps per bin of the per-step series. */
  readonly binWidth: number;
  /** Per series: the mean of each bin (NaN for an empty bin); absent where the result lacks it. */
  readonly steps: Partial<Record<StepSeries, Float64Array>>;
  readonly q: QTableDigest | null;
  readonly gradcam: GradcamDigest | null;
}

/** A result's Grad-CAM images (shared/result.ts `gradcam`), with where their files are. */
export interface GradcamDigest {
  readonly layer: string;
  /** Per explained sample, in order: its test index, true class (null for segmentation), predicted class, and the PNG's absolute path (null: not on disk). */
  readonly images: ReadonlyArray<{ readonly index: number; readonly label: number | null; readonly predicted: number; readonly path: string | null }>;
}

type Json = Record<string, unknown>;

const num = (v: unknown): number => (typeof v === 'number' ? v : Number.NaN);
const numbers = (v: unknown): number[] => (Array.isArray(v) ? v.map(num) : []);

/**
 * Throws with a one-line reason when the object is not a trial result we can read. `resultDir`,
 * the folder of the result file, is what the Grad-CAM folder it names is relative to.
 */
export function digestResult(cell: string, r: Json, resultDir?: string): CellDigest {
  if (r.format !== 'grn.trial-result/1') throw new Error(`not a trial result (format ${JSON.stringify(r.format ?? null)})`);
  const m = (r.manifest ?? {}) as Json;
  const dataset = (m.dataset ?? {}) as Json;
  const batch = num(m.batch_size);
  const trainSamples = num(dataset.train_samples);
  const stepsPerEpoch = batch > 0 && trainSamples > 0 ? Math.ceil(trainSamples / batch) : 1;
  const metric: MetricName = typeof r.primary_metric === 'string' && METRIC_NAMES.includes(r.primary_metric as MetricName) ? (r.primary_metric as MetricName) : 'accuracy';
  const plannedEpochs = Math.max(1, num(m.epochs) || numbers(r[metric]).length || 1);
  const memory = Array.isArray(r.memory_usage) ? (r.memory_usage as unknown[]) : [];

  const totalSteps = plannedEpochs * stepsPerEpoch;
  const binWidth = Math.max(1, Math.ceil(totalSteps / MAX_POINTS));
  const bins = Math.ceil(totalSteps / binWidth);
  const stepIndex = numbers(r.batch_step);
  const steps: Partial<Record<StepSeries, Float64Array>> = {};
  for (const key of STEP_SERIES) {
    const values = r[key];
    if (!Array.isArray(values) || !values.some((v) => typeof v === 'number')) continue;
    steps[key] = binMeans(stepIndex, values, binWidth, bins);
  }
  return {
    cell,
    status: String(r.status ?? 'completed'),
    optimizer: String(m.optimizer ?? 'unknown'),
    backend: String(m.backend ?? 'unknown'),
    device: String(m.device ?? 'unknown'),
    plannedEpochs,
    stepsPerEpoch,
    // The task's primary metric per epoch (accuracy; mIoU for segmentation): what reports rank by.
    metric,
    score: numbers(r[metric]),
    validationScore: r.validation && typeof r.validation === 'object' ? numbers((r.validation as Json)[metric]) : null,
    loss: numbers(r.loss),
    testLoss: numbers(r.test_loss),
    epochTime: numbers(r.epoch_time),
    samplesPerS: numbers(r.samples_per_s),
    vramMb: memory.map((x) => num(Array.isArray(x) ? x[0] : undefined)),
    ramMb: memory.map((x) => num(Array.isArray(x) ? x[1] : undefined)),
    tensorMb: numbers(r.tensor_memory_mb),
    gpu: m.gpu === true,
    binWidth,
    steps,
    q: qTable(r.optimizer_state),
    gradcam: gradcamDigest(r.gradcam, resultDir),
  };
}

function gradcamDigest(v: unknown, resultDir: string | undefined): GradcamDigest | null {
  const g = v as Json | undefined;
  if (!g || !Array.isArray(g.images)) return null;
  const dir = typeof g.dir === 'string' && resultDir !== undefined ? resolve(resultDir, g.dir) : null;
  return {
    layer: String(g.layer ?? 'unknown'),
    images: (g.images as Json[]).map((i) => {
      const path = dir && typeof i.file === 'string' ? resolve(dir, i.file) : null;
      return { index: num(i.index), label: typeof i.label === 'number' ? i.label : null, predicted: num(i.predicted), path: path && existsSync(path) ? path : null };
    }),
  };
}

function binMeans(step: readonly number[], values: readonly unknown[], width: number, bins: number): Float64Array {
  const sum = new Float64Array(bins);
  const count = new Uint32Array(bins);
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (typeof v !== 'number' || !Number.isFinite(v)) continue;
    const b = Math.floor((step[i] ?? i) / width);
    if (b < 0 || b >= bins) continue;
    sum[b]! += v;
    count[b]!++;
  }
  for (let b = 0; b < bins; b++) sum[b] = count[b] ? sum[b]! / count[b]! : Number.NaN;
  return sum;
}

function qTable(state: unknown): QTableDigest | null {
  const controller = (state as Json | undefined)?.controller as Json | undefined;
  const table = controller?.q_table as Record<string, unknown> | undefined;
  if (!table || typeof table !== 'object') return null;
  const visits = (controller!.visits ?? {}) as Record<string, unknown>;
  const all = Object.keys(table).map((s) => [s, num(visits[s]) || 0] as const);
  all.sort((a, b) => b[1] - a[1]);
  const top = all.slice(0, Q_STATES);
  return {
    entries: Array.isArray(controller!.q_entries) ? controller!.q_entries.map(String) : [],
    states: top.map(([s]) => s),
    visits: top.map(([, v]) => v),
    values: top.map(([s]) => numbers(table[s])),
    totalStates: all.length,
    totalVisits: all.reduce((a, [, v]) => a + v, 0),
  };
}
