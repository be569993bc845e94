import type { TelemetryMessage } from '../../../shared/protocol/messages.js';
import { Series } from './series.js';

/** The series a trial's detail panel draws as sparklines, in display order. */
/** `score`: the task's primary metric after each epoch (accuracy; mIoU for segmentation). */
export const SERIES_NAMES = ['loss', 'score', 'lr', 'momentum', 'grad_var', 'entropy'] as const;
export type SeriesName = (typeof SERIES_NAMES)[number];

/** Points kept per series: about 30 s of a trial's ≤ 4 records per second, or 120 epochs. */
export const SERIES_POINTS = 120;

/**
 * Trials whose history is kept besides the selected one. The brief asks for history of the
 * selected trial only; keeping the most recently active few as well means selecting a running
 * trial shows its recent curve at once instead of an empty panel. Bounded, so a fleet of
 * thousands of slots still costs a fixed amount of memory.
 */
export const TRACKED_TRIALS = 32;

type Value = number | string | null;

/** What is known about one running (or recently running) trial from its live telemetry. */
export interface TrialLive {
  node: string;
  slot: string;
  /** Client clock (ms) of the last record. */
  receivedAt: number;
  /** The last step record (loss, lr, …, epoch, batch, batches, samples_per_s). */
  step: Readonly<Record<string, Value>> | null;
  /** The last epoch summary (primary, primaryMetric, trainLoss, …: worker/engine/telemetry/listener.ts epochRecord). */
  epoch: Readonly<Record<string, Value>> | null;
  /** The last status message (data loading, backend choice). */
  message: string | null;
}

/**
 * Live telemetry of a sweep's trials: the latest record of every trial (cheap: one object each)
 * and sparkline history for the selected trial plus the TRACKED_TRIALS most recently active.
 */
export class TrialTelemetry {
  private readonly latest = new Map<string, TrialLive>();
  /** Insertion order = least recently active first (re-inserted on every record). */
  private readonly history = new Map<string, Map<SeriesName, Series>>();
  private selected: string | null = null;

  apply(message: TelemetryMessage, now: number): void {
    const cell = message.cell;
    const live = this.latest.get(cell) ?? { node: message.node, slot: message.slot, receivedAt: now, step: null, epoch: null, message: null };
    live.node = message.node;
    live.slot = message.slot;
    live.receivedAt = now;
    const series = this.seriesFor(cell);
    if (message.kind === 'step') {
      live.step = message.record;
      for (const name of ['loss', 'lr', 'momentum', 'grad_var', 'entropy'] as const) {
        const value = message.record[name];
        if (typeof value === 'number' && Number.isFinite(value)) series.get(name)!.push(value);
      }
    } else if (message.kind === 'epoch') {
      live.epoch = message.record;
      const score = message.record.primary;
      if (typeof score === 'number' && Number.isFinite(score)) series.get('score')!.push(score);
    } else {
      const text = message.record.message;
      live.message = typeof text === 'string' ? text : null;
    }
    this.latest.set(cell, live);
  }

  /** History for `cell`, created if needed; the least recently active unselected trial is dropped. */
  private seriesFor(cell: string): Map<SeriesName, Series> {
    let series = this.history.get(cell);
    if (series) {
      this.history.delete(cell); // re-insert: now the most recently active
    } else {
      series = new Map(SERIES_NAMES.map((n) => [n, new Series(SERIES_POINTS)]));
      while (this.history.size >= TRACKED_TRIALS + 1) {
        const oldest = [...this.history.keys()].find((k) => k !== this.selected);
        if (oldest === undefined) break;
        this.history.delete(oldest);
      }
    }
    this.history.set(cell, series);
    return series;
  }

  select(cell: string | null): void {
    this.selected = cell;
  }

  live(cell: string): TrialLive | undefined {
    return this.latest.get(cell);
  }

  /** Samples per second of a trial, from its last step record. */
  samplesPerSecond(cell: string): number | null {
    const value = this.latest.get(cell)?.step?.samples_per_s;
    return typeof value === 'number' ? value : null;
  }

  series(cell: string): Record<SeriesName, number[]> {
    const series = this.history.get(cell);
    return Object.fromEntries(SERIES_NAMES.map((n) => [n, series?.get(n)?.values() ?? []])) as Record<SeriesName, number[]>;
  }

  trackedCount(): number {
    return this.history.size;
  }
}
