import { Command } from 'commander';
import { existsSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { GrnError } from '../../shared/errors.js';
import { FORMATS, parseFormats } from '../reports/formats.js';
import { checkOutputDir } from './output-paths.js';

interface ReportFlags {
  baseline: string;
  format?: string;
  results: string;
  out?: string;
  png: boolean;
  json?: boolean;
}

/** RESULTS_DIR as given, else a sweep id under --results. */
export function resolveResultsDir(target: string, resultsRoot: string): string {
  for (const candidate of [target, join(resultsRoot, target)]) {
    if (existsSync(candidate) && statSync(candidate).isDirectory()) return candidate;
  }
  throw new GrnError(`no results folder '${target}' (looked for ${target} and ${join(resultsRoot, target)}); pass a folder written by grn sweep, or a sweep id under --results`);
}

/** `grn report RESULTS_DIR|SWEEP_ID`: tables, tests, plots and telemetry export of a sweep. */
export function reportCommand(): Command {
  return new Command('report')
    .description('aggregate a sweep results folder (also a partial one) into report.md/html/csv/json/tex, plots/ and tensorboard/')
    .argument('<results>', 'results folder (results/<sweep-id>), a sweep id under --results, or a .tar.gz of a results folder')
    .option('--baseline <name>', 'optimizer (or exact variant label) the others are compared with; a comma list: the best of them on each data set', 'sgd')
    .option('--format <list>', `comma-separated outputs among ${FORMATS.join(',')} (default: all)`)
    .option('--results <dir>', 'results root folder, for a sweep id', 'results')
    .option('--out <dir>', 'output folder (default: the results folder itself; for an archive, its path without .tar.gz)')
    .option('--no-png', 'write plots as SVG only (faster)')
    .option('--json', 'print what was written as JSON')
    .action(async (target: string, flags: ReportFlags) => {
      const formats = flags.format === undefined ? undefined : parseFormats(flags.format);
      // An archive (docs/study/main.tar.gz) is unpacked to a temporary folder; the report goes beside it.
      const { isResultsArchive, unpackResults } = await import('../reports/archive.js');
      const isArchive = await isResultsArchive(target);
      const out = flags.out ?? (isArchive ? target.replace(/\.(tar\.gz|tgz|tar)$/i, '') : undefined);
      // Checked before unpacking, so a refused archive leaves no temporary folder behind.
      if (out === target) throw new GrnError(`${target}: name the report's folder with --out (the archive's name does not end in .tar.gz, .tgz or .tar)`);
      const archive = isArchive ? await unpackResults(target) : null;
      const dir = archive?.dir ?? resolveResultsDir(target, flags.results);
      // Loaded only here: the plotting stack is large (and left out of the worker bundle).
      const { writeReport } = await import('../reports/report.js');
      let outcome;
      try {
        if (out) await checkOutputDir(out, '--out', 'report');
        outcome = await writeReport(dir, { baseline: flags.baseline, formats, out, png: flags.png });
      } finally {
        await archive?.cleanup();
      }
      const m = outcome.model;
      if (flags.json) {
        process.stdout.write(`${JSON.stringify({ out: outcome.out, files: outcome.files, plots: outcome.plots, cells: m.cells, missing: m.missing.length, timings: outcome.timings }, null, 2)}\n`);
      }
      const show = (f: string) => (relative(process.cwd(), f).startsWith('..') ? f : relative(process.cwd(), f));
      const shown = outcome.files.filter((f) => /report\.\w+$/.test(f)).map(show);
      process.stderr.write(
        `report of ${m.sweep.id}: ${m.cells.reported} of ${m.cells.planned} cells${m.missing.length ? ` (${m.missing.length} missing or failed, listed in the report)` : ''}, ${outcome.plots} plots\n` +
          shown.map((f) => `  ${f}\n`).join('') +
          (outcome.files.some((f) => f.endsWith('tensorboard')) ? `  ${show(join(outcome.out, 'tensorboard'))}/ (tensorboard --logdir)\n` : ''),
      );
      if (m.cells.reported === 0) process.stderr.write('  no cell has a result yet: the tables are empty\n');
    });
}
