/**
 * The files this program runs by path instead of importing them: the `grn` executable (local
 * workers, the dashboard's background sweep), the trainer child process, and the piscina task
 * files of worker threads. Here, in the compiled tree, each sits at its own path under dist/ (the
 * executable in bin/).
 *
 * Why one module: the worker bundle (`npm run bundle`, scripts/bundle/) compiles each of these into
 * its own file in one folder, where the paths above no longer hold, and swaps this module for
 * scripts/bundle/entry-points.ts, which names them there. A path to a file the program starts
 * that is written anywhere else would break only inside the bundle; keeping them all here is what
 * the bundle's build (and its test) rely on.
 */
export const entryPoints = {
  /** `grn` itself: bin/grn.js runs the compiled CLI. */
  grn: new URL('../../bin/grn.js', import.meta.url),
  /** The trainer child process, one per GPU or CPU slot. */
  trainer: new URL('../worker/trainer/main.js', import.meta.url),
  /** Piscina task: decoding JPEG/PNG images. */
  decodeImagesTask: new URL('../worker/engine/datasets/decode/decode-images.task.js', import.meta.url),
  /** Piscina task: writing a sweep's result files. */
  writeFilesTask: new URL('../orchestrator/sweep/write-files.task.js', import.meta.url),
  /** Piscina task: digesting cells and rendering plots for a report. */
  reportTask: new URL('../orchestrator/reports/report.task.js', import.meta.url),
} as const satisfies Record<string, URL>;

export type EntryPointName = keyof typeof entryPoints;
