import { readdir, stat } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { DataFileError } from '../../../../shared/errors.js';
import { BadRows, classesFromValues, type RawTextData, type RawTexts } from './text-data.js';

/**
 * What the table formats (csv-text, parquet) share: which files are the training and test splits,
 * and turning rows of (text, label value) into class indices.
 */

/** One row as read: where it is (`line 12`, `row 12`), its text and its label's value. */
export interface TextRow {
  readonly where: string;
  readonly text: string | null | undefined;
  readonly label: string | null | undefined;
}

export interface SplitFiles {
  readonly train: string[];
  /** Empty when the files name no test split: a holdout makes one. */
  readonly test: string[];
  /** Files that are neither (validation, unsupervised …), left out. */
  readonly ignored: string[];
}

/**
 * The files of `path` that `pattern` matches: `path` itself when it is a file (one split), else every
 * matching file under the folder, by name: `train` in the name → training split, `test` → test
 * split (Hugging Face's `train-00000-of-00001.parquet`, `test.csv.gz`); shards of one split are read
 * in path order. A folder whose files name neither split is one split (a holdout makes the test).
 */
export async function splitFiles(path: string, pattern: RegExp, what: string): Promise<SplitFiles> {
  let info;
  try {
    info = await stat(path);
  } catch {
    throw new DataFileError(path, 'not found');
  }
  if (!info.isDirectory()) return { train: [path], test: [], ignored: [] };
  const all = (await readdir(path, { recursive: true, withFileTypes: true }))
    .filter((e) => e.isFile() && pattern.test(e.name) && !e.name.startsWith('.'))
    .map((e) => join(e.parentPath ?? (e as unknown as { path: string }).path, e.name))
    .sort();
  if (all.length === 0) throw new DataFileError(path, `no ${what} files found in the folder`);
  const train = all.filter((f) => /train/i.test(basename(f)));
  const test = all.filter((f) => !/train/i.test(basename(f)) && /test/i.test(basename(f)));
  if (train.length === 0) {
    if (test.length) throw new DataFileError(path, `only test files (${test.map((f) => basename(f)).join(', ')}): no file with 'train' in its name`);
    return { train: all, test: [], ignored: [] };
  }
  return { train, test, ignored: all.filter((f) => !train.includes(f) && !test.includes(f)) };
}

/**
 * Rows to texts and class indices. Classes are the distinct label values of the training split,
 * sorted (numerically when all are numbers), unless `classNames` are given (a Hugging Face
 * ClassLabel's names, with integer values indexing them). Rows without a text or a label, and test
 * rows whose label the training split does not have, are bad rows.
 */
export function labelRows(
  train: Array<{ file: string; rows: TextRow[] }>,
  test: Array<{ file: string; rows: TextRow[] }> | undefined,
  bad: BadRows,
  classNames?: readonly string[],
): RawTextData {
  const clean = (parts: Array<{ file: string; rows: TextRow[] }>) =>
    parts.flatMap(({ file, rows }) =>
      rows.flatMap((r) => {
        if (r.text === null || r.text === undefined || r.text.trim() === '') {
          bad.report(file, r.where, 'no text (empty or missing)');
          return [];
        }
        if (r.label === null || r.label === undefined || r.label.trim() === '') {
          bad.report(file, r.where, 'no label (empty or missing)');
          return [];
        }
        return [{ file, where: r.where, text: r.text, label: r.label.trim() }];
      }),
    );
  const trainRows = clean(train);
  const testRows = test ? clean(test) : undefined;
  let names: readonly string[];
  let index: Map<string, number>;
  if (classNames) {
    names = classNames;
    index = new Map(classNames.map((_, i) => [String(i), i]));
  } else {
    ({ classNames: names, index } = classesFromValues(trainRows.map((r) => r.label)));
  }
  const known = names.length <= 10 ? names.join(', ') : `${names.slice(0, 10).join(', ')}, … (${names.length})`;
  const toSplit = (rows: typeof trainRows): RawTexts => {
    const texts: string[] = [];
    const labels: number[] = [];
    for (const r of rows) {
      const label = index.get(r.label);
      if (label === undefined) {
        bad.report(r.file, r.where, `label '${r.label}' is not a class of the training split (${known})`);
        continue;
      }
      texts.push(r.text);
      labels.push(label);
    }
    return { texts, labels };
  };
  const trainSplit = toSplit(trainRows);
  const testSplit = testRows ? toSplit(testRows) : undefined;
  const skipped = bad.skipped();
  return { train: trainSplit, ...(testSplit ? { test: testSplit } : {}), classNames: names, ...(skipped ? { skipped } : {}) };
}
