import { readFile } from 'node:fs/promises';
import { basename } from 'node:path';
import { parquetMetadata, parquetReadObjects, parquetSchema, type FileMetaData } from 'hyparquet';
import { compressors } from 'hyparquet-compressors';
import { DataFileError, UsageError } from '../../../../shared/errors.js';
import type { LoadOptions, TextClassificationData } from '../data.js';
import { sha256 } from '../files.js';
import { textColumns } from './csv-text.js';
import { labelRows, splitFiles, type TextRow } from './labelled.js';
import { BadRows, badSamplePolicy, loadTextData, type RawTextData } from './text-data.js';

/**
 * `kind: parquet`: Parquet files as the Hugging Face Hub serves data sets (`train-00000-of-00001.parquet`,
 * `test-….parquet`, often under `data/` or `plain_text/`), read with hyparquet (every codec through
 * hyparquet-compressors: snappy, gzip, zstd, brotli, lz4). Columns are named (default `text` and
 * `label`); an integer label column whose Hugging Face metadata names the classes (a ClassLabel)
 * keeps those names and indices, other labels are classed by their sorted distinct values.
 */
const PARQUET_FILE = /\.parquet$/i;

interface ParquetFile {
  readonly path: string;
  readonly buffer: ArrayBuffer;
  readonly metadata: FileMetaData;
}

async function openParquet(path: string): Promise<{ file: ParquetFile; sha256: string }> {
  const bytes = await readFile(path);
  const buffer = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
  let metadata: FileMetaData;
  try {
    metadata = parquetMetadata(buffer);
  } catch (err) {
    // A file cut short loses its footer: say so, not only hyparquet's "footer != PAR1".
    const cut = bytes.length >= 4 && bytes.subarray(0, 4).toString('latin1') === 'PAR1';
    throw new DataFileError(path, `not a Parquet file${cut ? ' or cut short (it starts as one, but does not end with the PAR1 footer)' : ''} (${(err as Error).message})`);
  }
  return { file: { path, buffer, metadata }, sha256: sha256(bytes) };
}

function columnNames(file: ParquetFile): string[] {
  return parquetSchema(file.metadata).children.map((c) => c.element.name);
}

/** The class names a Hugging Face ClassLabel feature stores in the file's `huggingface` metadata. */
export function classLabelNames(metadata: FileMetaData, column: string): string[] | undefined {
  const entry = metadata.key_value_metadata?.find((kv) => kv.key === 'huggingface');
  if (!entry?.value) return undefined;
  try {
    const info = JSON.parse(entry.value) as { info?: { features?: Record<string, { _type?: string; names?: string[] }> } };
    const feature = info.info?.features?.[column];
    return feature?._type === 'ClassLabel' && Array.isArray(feature.names) ? feature.names : undefined;
  } catch {
    return undefined;
  }
}

export async function loadParquetText(name: string, options: LoadOptions): Promise<TextClassificationData> {
  const path = options.dataDir;
  if (!path) throw new UsageError(`${name}: a parquet data set needs a .parquet file or a folder of them (data_dir)`);
  const files = await splitFiles(path, PARQUET_FILE, 'Parquet (.parquet)');
  const columns = textColumns(options);
  for (const c of [...columns.text, columns.label]) {
    if (typeof c !== 'string') throw new UsageError(`${name}: Parquet columns are named, not numbered: got ${c}`);
  }
  const policy = badSamplePolicy(options);
  const opened = new Map<string, ParquetFile>();
  const digests: Record<string, string> = {};
  for (const f of [...files.train, ...files.test]) {
    const { file, sha256: digest } = await openParquet(f);
    opened.set(f, file);
    digests[basename(f)] = digest;
  }
  if (files.ignored.length) options.onProgress?.(`${name}: left out (neither train nor test in the name): ${files.ignored.join(', ')}`);
  const wanted = [...new Set([...(columns.text as string[]), columns.label as string])];
  return loadTextData(
    name,
    {
      loader: 'parquet',
      sha256: digests,
      settings: { columns },
      oneSplit: `${path} holds one split (no file with 'test' in its name): give holdout (e.g. holdout: 0.2, --holdout 0.2) to hold out a test split`,
      read: async (): Promise<RawTextData> => {
        const bad = new BadRows(policy);
        const read = async (path: string): Promise<{ file: string; rows: TextRow[] }> => {
          const file = opened.get(path)!;
          const present = columnNames(file);
          for (const c of wanted) if (!present.includes(c)) throw new DataFileError(path, `no column '${c}' (columns: ${present.join(', ')}); name them with text_column and label_column`);
          let records: Array<Record<string, unknown>>;
          try {
            records = await parquetReadObjects({ file: file.buffer, metadata: file.metadata, columns: wanted, compressors });
          } catch (err) {
            throw new DataFileError(path, `cannot read (${(err as Error).message})`);
          }
          const text = (v: unknown) => (v === null || v === undefined ? v : String(v));
          const rows = records.map((r, i) => ({
            where: `row ${i + 1}`,
            text: columns.text.map((c) => r[c as string]).some((v) => v === null || v === undefined) ? null : columns.text.map((c) => String(r[c as string])).join(' '),
            label: text(r[columns.label as string]),
          }));
          return { file: path, rows };
        };
        const train = await Promise.all(files.train.map(read));
        const test = files.test.length ? await Promise.all(files.test.map(read)) : undefined;
        const names = classLabelNames(opened.get(files.train[0]!)!.metadata, columns.label as string);
        const data = labelRows(train, test, bad, names);
        if (data.classNames.length < 2) throw new DataFileError(path, `the training split has ${data.classNames.length} class(es) in column '${columns.label}': at least 2 are needed`);
        return data;
      },
    },
    options,
  );
}
