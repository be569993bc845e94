/**
 * The evaluation metrics a trial result can carry, each defined once: the key its per-epoch series
 * has in the result, how people call it, and which way is better. A task names its metrics and
 * its primary one (worker/engine/tasks/catalog.ts); reports, the dashboard and the progress lines
 * show the primary metric of each data set's task and never assume it is accuracy.
 */
export const METRICS = {
  accuracy: { key: 'accuracy', title: 'accuracy', short: 'acc' },
  pixel_accuracy: { key: 'pixel_accuracy', title: 'pixel accuracy', short: 'pix acc' },
  miou: { key: 'miou', title: 'mIoU', short: 'mIoU' },
} as const satisfies Record<string, { key: string; title: string; short: string }>;

export type MetricName = keyof typeof METRICS;
export const METRIC_NAMES = Object.keys(METRICS) as MetricName[];

/** Every metric here is a fraction in [0, 1] where higher is better: shown as a percentage. */
export function formatMetric(value: number | null | undefined, digits = 2): string {
  return typeof value === 'number' && Number.isFinite(value) ? `${(value * 100).toFixed(digits)}%` : '—';
}

export function metricTitle(name: string | undefined): string {
  return (METRICS as Record<string, { title: string }>)[name ?? 'accuracy']?.title ?? name ?? 'accuracy';
}
