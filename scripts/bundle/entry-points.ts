import type { entryPoints as compiledTree } from '../../shared/entry-points.js';

/**
 * shared/entry-points.ts as the worker bundle lays the program out: the build (js-bundle.ts) swaps
 * that module for this one. Every entry point and every chunk they share is one file in the
 * bundle's lib/ folder, so whichever chunk this code lands in, its import.meta.url is in lib/
 * and the files are its siblings. The names are the build's entry names (js-bundle.ts ENTRIES).
 */
const inLib = (file: string) => new URL(`./${file}`, import.meta.url);

export const entryPoints = {
  grn: inLib('grn.js'),
  trainer: inLib('trainer.js'),
  decodeImagesTask: inLib('decode-images.task.js'),
  writeFilesTask: inLib('write-files.task.js'),
  // The report is left out of the bundle (left-out/report.ts): nothing starts this task there.
  reportTask: inLib('report.task.js'),
} as const satisfies Record<keyof typeof compiledTree, URL>;
