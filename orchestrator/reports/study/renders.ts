/**
 * The study's reports as committed under docs/study/, each rendered from its archive of cell
 * results: stated once, for `npm run results-doc -- --render` and for the test that re-renders
 * them and compares (results-doc.test.ts).
 */
export interface StudyRender {
  /** The sweep's results folder as one .tar.gz, under docs/study/. */
  readonly archive: string;
  /** The report's folder, under docs/study/. */
  readonly out: string;
  /** `grn report --baseline`. */
  readonly baseline: string;
  readonly formats: readonly ('md' | 'html' | 'csv' | 'json' | 'tex' | 'tensorboard')[];
  readonly png: boolean;
}

/** The protocol's best-tuned baseline: the best of the four on each task (docs/protocol-science.md). */
export const BEST_BASELINE = 'sgd,adam,adamw,rmsprop';

export const STUDY_RENDERS: readonly StudyRender[] = [
  { archive: 'main.tar.gz', out: 'main', baseline: BEST_BASELINE, formats: ['md', 'json', 'csv', 'tex'], png: true },
  // The same runs against SGD: the JSON the results page's SGD table reads (main/ has the plots and tables).
  { archive: 'main.tar.gz', out: 'main-vs-sgd', baseline: 'sgd', formats: ['json'], png: false },
  { archive: 'ablation.tar.gz', out: 'ablation', baseline: 'sgd', formats: ['md', 'json', 'csv', 'tex'], png: true },
];
