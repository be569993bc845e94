/**
 * The evaluation metrics a trial result can carry, each defined once: the key its per-epoch series
 * has in the result, how people call it, and which way is better. A task names its metrics and
 * its primary one (worker/engine/tasks/catalog.ts); reports, the dashboard and the progress lines
 * show the primary metric of each data set's task and never assume it is accuracy.
 */
export const METRICS = {
  accuracy: { key: 'accuracy', title: 'accuracy', heading: 'Accuracy', short: 'acc' },
  pixel_accuracy: { key: 'pixel_accuracy', title: 'pixel accuracy', heading: 'Pixel accuracy', short: 'pix acc' },
  miou: { key: 'miou', title: 'mIoU', heading: 'mIoU', short: 'mIoU' },
} as const satisfies Record<string, { key: string; title: string; heading: string; short: string }>;

export type MetricName = keyof typeof METRICS;
export const METRIC_NAMES = Object.keys(METRICS) as MetricName[];

/** Every metric here is a fraction in [0, 1] where higher is better: shown as a percentage. */
export function formatMetric(value: number | null | undefined, digits = 2): string {
  return typeof value === 'number' && Number.isFinite(value) ? `${(value * 100).toFixed(digits)}%` : '—';
}

type MetricField = 'title' | 'heading' | 'short';
const metricField = (name: string | undefined, field: MetricField): string => (METRICS as Record<string, Record<MetricField, string>>)[name ?? 'accuracy']?.[field] ?? name ?? 'accuracy';

/** How prose names a metric ("test accuracy", "test mIoU"). */
export const metricTitle = (name: string | undefined): string => metricField(name, 'title');
/** How a table column or axis starts with it ("Accuracy", "mIoU"). */
export const metricHeading = (name: string | undefined): string => metricField(name, 'heading');
/** A narrow column's label ("acc", "mIoU"). */
export const metricShort = (name: string | undefined): string => metricField(name, 'short');
