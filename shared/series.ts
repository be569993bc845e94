/**
 * The per-step series a trial result may carry, defined once: the key in the result file (the
 * original's names where it had one), the field of the training loop's step record it comes from,
 * its TensorBoard tag, and whether reports plot it. The result schema, the engine that writes the
 * series, the report digests and the TensorBoard export all iterate this list.
 */
export const STEP_SERIES = [
  { key: 'batch_loss', field: 'loss', tag: 'train/batch_loss', plotted: true },
  { key: 'learning_rate', field: 'lr', tag: 'optimizer/learning_rate', plotted: true },
  { key: 'momentum', field: 'momentum', tag: 'optimizer/momentum', plotted: true },
  { key: 'gradient_variance', field: 'grad_var', tag: 'gradient/variance', plotted: true },
  { key: 'raw_gradient_variance', field: 'raw_variance', tag: 'gradient/raw_variance', plotted: false },
  { key: 'entropy', field: 'entropy', tag: 'gradient/entropy', plotted: true },
  { key: 'mix_prob', field: 'mix_prob', tag: 'optimizer/mix_prob', plotted: true },
  { key: 'grad_norm', field: 'grad_norm', tag: 'gradient/norm', plotted: true },
] as const;

export type StepSeriesKey = (typeof STEP_SERIES)[number]['key'];
/** The series reports plot, in this order. */
export const PLOTTED_SERIES = STEP_SERIES.filter((s) => s.plotted).map((s) => s.key);
export type PlottedSeries = (typeof PLOTTED_SERIES)[number];

/**
 * Step-record fields every optimizer's steps have, because the training loop computes them for all
 * (loss and the gradient statistics); an optimizer's catalog entry adds its own (lr, momentum, …).
 */
export const LOOP_FIELDS = ['loss', 'grad_var', 'raw_variance', 'entropy', 'grad_norm'] as const;
