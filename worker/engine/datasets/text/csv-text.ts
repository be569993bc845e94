import { readFile } from 'node:fs/promises';
import { basename } from 'node:path';
import { DataFileError, UsageError } from '../../../../shared/errors.js';
import type { LoadOptions, TextClassificationData } from '../data.js';
import { sha256 } from '../files.js';
import { decompress } from '../idx.js';
import { columnIndex, readCsv } from './csv.js';
import { labelRows, splitFiles, type TextRow } from './labelled.js';
import { BadRows, badSamplePolicy, loadTextData, type RawTextData } from './text-data.js';

/**
 * `kind: csv-text`: a user's texts in CSV files, gzip or plain (.tsv: tab-separated) — one file (a holdout makes the test
 * split), or a folder whose file names say train and test (`train.csv`, `test.csv.gz`). The text
 * column(s) and the label column are named by header name or 0-based index (`header: false`);
 * several text columns are joined with a space (AG_NEWS's title and description).
 */
export const CSV_FILE = /\.(csv|tsv)(\.gz)?$/i;

/** The columns as given, with the defaults of a Hugging Face-style file: `text`, `label`. */
export function textColumns(options: LoadOptions): { text: readonly (string | number)[]; label: string | number } {
  const text = options.textColumn ?? 'text';
  return { text: Array.isArray(text) ? text : [text as string | number], label: options.labelColumn ?? 'label' };
}

export async function loadCsvText(name: string, options: LoadOptions): Promise<TextClassificationData> {
  const path = options.dataDir;
  if (!path) throw new UsageError(`${name}: a csv-text data set needs a CSV file or a folder of them (data_dir)`);
  const files = await splitFiles(path, CSV_FILE, 'CSV (.csv, .csv.gz)');
  const header = options.header ?? true;
  const columns = textColumns(options);
  const policy = badSamplePolicy(options);
  const raws = new Map<string, Uint8Array>();
  const digests: Record<string, string> = {};
  for (const f of [...files.train, ...files.test]) {
    // Checksums of the decompressed bytes, so a recompressed copy is the same source.
    const bytes = decompress(await readFile(f), f);
    raws.set(f, bytes);
    digests[basename(f)] = sha256(bytes);
  }
  if (files.ignored.length) options.onProgress?.(`${name}: left out (neither train nor test in the name): ${files.ignored.join(', ')}`);
  return loadTextData(
    name,
    {
      loader: 'csv-text',
      sha256: digests,
      settings: { header, columns },
      oneSplit: `${path} holds one split (no file with 'test' in its name): give holdout (e.g. holdout: 0.2, --holdout 0.2) to hold out a test split`,
      read: async (): Promise<RawTextData> => {
        const bad = new BadRows(policy);
        const read = (file: string) => {
          const table = readCsv(raws.get(file)!, file, { header, bad, delimiter: /\.tsv(\.gz)?$/i.test(file) ? '\t' : ',' });
          const textAt = columns.text.map((c) => columnIndex(file, table, c, 'text'));
          const labelAt = columnIndex(file, table, columns.label, 'label');
          const width = Math.max(labelAt, ...textAt) + 1;
          const rows: TextRow[] = [];
          for (const r of table.rows) {
            if (r.fields.length < width) {
              bad.report(file, `line ${r.line}`, `${r.fields.length} columns, expected at least ${width}`);
              continue;
            }
            rows.push({ where: `line ${r.line}`, text: textAt.map((i) => r.fields[i]!).join(' '), label: r.fields[labelAt] });
          }
          return { file, rows };
        };
        const data = labelRows(files.train.map(read), files.test.length ? files.test.map(read) : undefined, bad);
        if (data.classNames.length < 2) throw new DataFileError(path, `the training split has ${data.classNames.length} class${data.classNames.length === 1 ? '' : 'es'} (label column ${columns.label}): at least 2 are needed`);
        return data;
      },
    },
    options,
  );
}
