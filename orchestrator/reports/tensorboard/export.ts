import { mkdirSync, readdirSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { STEP_SERIES } from '../../../shared/series.js';
import { EventWriter, type Scalar } from './events.js';

/** Per-step keys of a trial result → TensorBoard tags (grouped into sections by the prefix). */
export const STEP_TAGS: Record<string, string> = Object.fromEntries(STEP_SERIES.map((s) => [s.key, s.tag]));

/** Per-epoch keys → tags; logged at the epoch's last global step so both share one x axis. */
export const EPOCH_TAGS: Record<string, string> = {
  loss: 'epoch/train_loss',
  accuracy: 'epoch/test_accuracy',
  test_loss: 'epoch/test_loss',
  epoch_time: 'epoch/time_s',
  samples_per_s: 'epoch/samples_per_s',
  tensor_memory_mb: 'epoch/tensor_memory_mb',
};

/** `tensorboard/<dataset>/<label>/seed<seed>`: TensorBoard names each run by this relative path. */
export function runDir(root: string, dataset: string, label: string, seed: number): string {
  const safe = (s: string) => s.replace(/[^A-Za-z0-9_.=,+[\]-]/g, '_');
  return join(root, safe(dataset), safe(label), `seed${seed}`);
}

type Json = Record<string, unknown>;

/**
 * Writes one trial's telemetry as a TensorBoard event file in `dir`. Wall times are interpolated
 * from the run's start and its epoch times (the result keeps no per-step clock), so TensorBoard's
 * "relative" axis shows training time. The file name is fixed by the run's start, so writing the
 * report again replaces the file instead of adding a second one that TensorBoard would merge.
 */
export function writeTrialEvents(dir: string, r: Json): string {
  const m = (r.manifest ?? {}) as Json;
  const dataset = (m.dataset ?? {}) as Json;
  const batch = Number(m.batch_size);
  const spe = batch > 0 && Number(dataset.train_samples) > 0 ? Math.ceil(Number(dataset.train_samples) / batch) : 1;
  const started = Date.parse(String(m.started_at ?? '')) / 1000;
  const start = Number.isFinite(started) ? started : 0;
  const epochTime = Array.isArray(r.epoch_time) ? (r.epoch_time as unknown[]).map(Number) : [];
  const before = [0];
  for (const t of epochTime) before.push(before.at(-1)! + (Number.isFinite(t) ? t : 0));
  const wallAt = (step: number) => {
    const e = Math.min(Math.floor(step / spe), Math.max(0, epochTime.length - 1));
    const within = Math.min(1, (step - e * spe + 1) / spe);
    return start + (before[e] ?? 0) + (epochTime[e] ?? 0) * within;
  };

  // Per-step events and per-epoch events merged in step order, written straight into the file's
  // buffer (a report writes hundreds of thousands of them).
  const w = new EventWriter();
  w.add(start, 0, [], 'brain.Event:2');
  const steps = Array.isArray(r.batch_step) ? (r.batch_step as number[]) : [];
  const series = Object.entries(STEP_TAGS).flatMap(([key, tag]) => (Array.isArray(r[key]) ? [[tag, r[key] as unknown[]] as const] : []));
  const epochs = Array.isArray(r.accuracy) ? r.accuracy.length : 0;
  const memory = Array.isArray(r.memory_usage) ? (r.memory_usage as unknown[]) : [];
  let e = 0;
  const scalars: Scalar[] = [];
  const flushEpochsUpTo = (step: number) => {
    for (; e < epochs && (e + 1) * spe - 1 < step; e++) {
      scalars.length = 0;
      for (const [key, tag] of Object.entries(EPOCH_TAGS)) {
        const v = (r[key] as unknown[] | undefined)?.[e];
        if (typeof v === 'number') scalars.push({ tag, value: v });
      }
      const m = memory[e];
      if (Array.isArray(m)) {
        if (typeof m[0] === 'number') scalars.push({ tag: 'epoch/vram_mb', value: m[0] });
        if (typeof m[1] === 'number') scalars.push({ tag: 'epoch/ram_mb', value: m[1] });
      }
      if (scalars.length) w.add(start + before[e + 1]!, (e + 1) * spe - 1, scalars);
    }
  };
  for (let i = 0; i < steps.length; i++) {
    const step = steps[i]!;
    flushEpochsUpTo(step);
    scalars.length = 0;
    for (const [tag, values] of series) {
      const v = values[i];
      if (typeof v === 'number') scalars.push({ tag, value: v });
    }
    if (scalars.length) w.add(wallAt(step), step, scalars);
  }
  flushEpochsUpTo(Infinity);
  const name = `events.out.tfevents.${Math.floor(start)}.grn`;
  // A cell run again has a new start time, hence a new file name: drop the old file, or
  // TensorBoard would merge both into one run. (Cheaper than clearing the whole tree first.)
  try {
    for (const old of readdirSync(dir)) if (old.startsWith('events.out.tfevents.') && old !== name) unlinkSync(join(dir, old));
  } catch {
    mkdirSync(dir, { recursive: true });
  }
  const file = join(dir, name);
  writeFileSync(file, w.bytes());
  return file;
}
