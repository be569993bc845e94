import { parse, CsvError } from 'csv-parse/sync';
import { DataFileError } from '../../../../shared/errors.js';
import { decompress } from '../idx.js';
import type { BadRows } from './text-data.js';

/**
 * CSV files through csv-parse (RFC 4180: quoted fields, doubled quotes, newlines inside quotes, a
 * UTF-8 BOM), gzip or plain told by the bytes. Each row keeps the line it ends on, so problems are
 * named `file: line N`. Rows csv-parse cannot read (a stray quote) go to `bad` like any bad row.
 */
export interface CsvRow {
  /** 1-based line of the source on which the row ends. */
  readonly line: number;
  readonly fields: readonly string[];
}

export interface CsvTable {
  readonly header?: readonly string[];
  readonly rows: readonly CsvRow[];
}

export function readCsv(raw: Uint8Array, file: string, options: { header: boolean; bad: BadRows; delimiter?: string }): CsvTable {
  const bytes = decompress(raw, file);
  const text = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('utf8');
  let records: Array<{ record: string[]; info: { lines: number } }>;
  try {
    records = parse(text, {
      bom: true,
      delimiter: options.delimiter ?? ',',
      info: true,
      relax_column_count: true,
      skip_empty_lines: true,
      skip_records_with_error: options.bad.policy === 'skip',
      on_skip: (err) => {
        if (err) options.bad.report(file, `line ${err.lines}`, err.message.replace(/ at line \d+$/, ''));
        return undefined;
      },
    }) as unknown as Array<{ record: string[]; info: { lines: number } }>;
  } catch (err) {
    if (err instanceof CsvError) {
      throw new DataFileError(file, `line ${(err as CsvError & { lines?: number }).lines ?? '?'}: not valid CSV (${err.message}) (on_bad_sample: skip would skip the row)`);
    }
    throw err;
  }
  const rows = records.map((r) => ({ line: r.info.lines, fields: r.record }));
  if (!options.header) return { rows };
  const [first, ...rest] = rows;
  if (!first) throw new DataFileError(file, 'empty: no header row');
  return { header: first.fields, rows: rest };
}

/**
 * The index of a column named by header name or 0-based index; an error that names the file and the
 * columns there are.
 */
export function columnIndex(file: string, table: CsvTable, column: string | number, role: string): number {
  if (typeof column === 'number') {
    const width = table.header?.length ?? table.rows[0]?.fields.length ?? 0;
    if (!Number.isInteger(column) || column < 0 || column >= width) throw new DataFileError(file, `${role} column ${column} does not exist: rows have ${width} columns (indices 0–${width - 1})`);
    return column;
  }
  if (!table.header) throw new DataFileError(file, `${role} column '${column}' named, but the file is read without a header (header: false): give a 0-based index`);
  const i = table.header.indexOf(column);
  if (i < 0) throw new DataFileError(file, `no ${role} column '${column}' (columns: ${table.header.join(', ')})`);
  return i;
}
