import { readdir, readFile, stat } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { DataFileError } from '../../../../shared/errors.js';
import { listEntries, sourceDigest } from '../archive.js';
import type { LoadOptions, TextClassificationData } from '../data.js';
import { defaultCacheDir, fetchRawFile, sha256, type RemoteFile } from '../files.js';
import { decompress } from '../idx.js';
import { columnIndex, readCsv } from './csv.js';
import { BadRows, badSamplePolicy, loadTextData, type RawTextData, type RawTexts } from './text-data.js';

/**
 * IMDB movie reviews (Maas et al. 2011), two classes, neg = 0 and pos = 1 (Hugging Face's `imdb`
 * labels), in either of its common forms:
 *
 * - the aclImdb layout, `train|test/pos|neg/<id>_<rating>.txt` (25,000 + 25,000; `unsup/` and the
 *   other files are ignored), from the folder or straight from aclImdb_v1.tar.gz (downloaded and
 *   checked when no data folder is given);
 * - a CSV `review,sentiment[,split]` (gzip or plain), sentiment `positive|negative` (or pos/neg,
 *   1/0), the split column (`split` or `split_inferred`) saying train or test; without one, a
 *   holdout makes the test split.
 */
export const IMDB_ARCHIVE: RemoteFile = {
  name: 'aclImdb_v1.tar.gz',
  sha256: 'c40f74a18d3b61f90feba1e17730e0d38e8b97c05fde7008942e91923d1658fe',
  urls: ['https://ai.stanford.edu/~amaas/data/sentiment/aclImdb_v1.tar.gz'],
};
export const IMDB_CLASSES = ['neg', 'pos'];
const REVIEW = /^(?:[^/]+\/)?(train|test)\/(pos|neg)\/[^/]+\.txt$/;
const CSV = /\.csv(\.gz)?$/i;
const SENTIMENT: Record<string, number> = { negative: 0, neg: 0, '0': 0, positive: 1, pos: 1, '1': 1 };

type Source = { kind: 'acl'; path: string } | { kind: 'csv'; path: string };

/** What the data folder (or file) holds: a CSV, an aclImdb folder or archive. */
async function findSource(dataDir: string): Promise<Source> {
  let info;
  try {
    info = await stat(dataDir);
  } catch {
    throw new DataFileError(dataDir, 'not found');
  }
  if (!info.isDirectory()) return CSV.test(dataDir) ? { kind: 'csv', path: dataDir } : { kind: 'acl', path: dataDir };
  const names = (await readdir(dataDir)).sort();
  if (names.includes('train') || names.includes('test') || names.includes('aclImdb')) return { kind: 'acl', path: names.includes('aclImdb') ? join(dataDir, 'aclImdb') : dataDir };
  const archive = names.find((n) => /^aclImdb.*\.tar(\.gz)?$|\.tgz$/.test(n));
  if (archive) return { kind: 'acl', path: join(dataDir, archive) };
  const csv = names.filter((n) => CSV.test(n));
  if (csv.length === 1) return { kind: 'csv', path: join(dataDir, csv[0]!) };
  throw new DataFileError(
    dataDir,
    csv.length > 1
      ? `several CSV files (${csv.join(', ')}): point data_dir at one`
      : 'no IMDB data: expected aclImdb/ (train|test/pos|neg/*.txt), aclImdb_v1.tar.gz, or a CSV review,sentiment[,split]',
  );
}

export async function loadImdb(options: LoadOptions): Promise<TextClassificationData> {
  const policy = badSamplePolicy(options);
  const source: Source = options.dataDir
    ? await findSource(options.dataDir)
    : { kind: 'acl', path: (await fetchRawFile(IMDB_ARCHIVE, { cacheDir: options.cacheDir ?? defaultCacheDir(), onProgress: options.onProgress })).path };
  if (source.kind === 'csv') {
    const bytes = decompress(await readFile(source.path), source.path);
    return loadTextData(
      'imdb',
      {
        loader: 'imdb-csv',
        sha256: { [basename(source.path).replace(/\.gz$/, '')]: sha256(bytes) },
        oneSplit: `${source.path} has no split column (split or split_inferred): give holdout (e.g. holdout: 0.2, --holdout 0.2) to hold out a test split`,
        read: async () => parseImdbCsv(bytes, source.path, new BadRows(policy)),
      },
      options,
    );
  }
  options.onProgress?.(`imdb: checksumming ${source.path}`);
  const digest = await sourceDigest(source.path);
  return loadTextData(
    'imdb',
    {
      loader: 'imdb-acl',
      sha256: { [digest.name]: digest.sha256 },
      oneSplit: `${source.path} has no test split`,
      read: () => readAclImdb(source.path, new BadRows(policy), options.onProgress),
    },
    options,
  );
}

/** The reviews of an aclImdb folder or archive, each split sorted by (class, path). */
export async function readAclImdb(path: string, bad: BadRows, onProgress?: (message: string) => void): Promise<RawTextData> {
  onProgress?.(`imdb: reading ${path}`);
  const found: Record<'train' | 'test', Array<{ path: string; label: number; text: string }>> = { train: [], test: [] };
  const decoder = new TextDecoder('utf-8', { fatal: true });
  for await (const entry of listEntries(path, { filter: (p) => REVIEW.test(p) })) {
    const [, split, cls] = REVIEW.exec(entry.path)!;
    let text: string;
    try {
      text = decoder.decode(entry.bytes);
    } catch {
      bad.report(`${path}/${entry.path}`, 'review', 'not valid UTF-8');
      continue;
    }
    if (text.trim() === '') {
      bad.report(`${path}/${entry.path}`, 'review', 'empty');
      continue;
    }
    found[split as 'train' | 'test'].push({ path: entry.path, label: cls === 'pos' ? 1 : 0, text });
  }
  for (const split of ['train', 'test'] as const) {
    if (found[split].length === 0) throw new DataFileError(`${path}/${split}`, 'no reviews: expected train|test/pos|neg/*.txt (the aclImdb layout)');
  }
  const toTexts = (rows: (typeof found)['train']): RawTexts => {
    rows.sort((a, b) => a.label - b.label || (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
    return { texts: rows.map((r) => r.text), labels: rows.map((r) => r.label) };
  };
  const skipped = bad.skipped();
  return { train: toTexts(found.train), test: toTexts(found.test), classNames: IMDB_CLASSES, ...(skipped ? { skipped } : {}) };
}

/** `review,sentiment[,split]` with a header; rows in file order. */
export function parseImdbCsv(bytes: Uint8Array, file: string, bad: BadRows): RawTextData {
  const table = readCsv(bytes, file, { header: true, bad });
  const review = columnIndex(file, table, 'review', 'review');
  const sentiment = columnIndex(file, table, 'sentiment', 'sentiment');
  const splitName = ['split', 'split_inferred'].find((c) => table.header!.includes(c));
  const splitAt = splitName ? table.header!.indexOf(splitName) : -1;
  const splits: Record<'train' | 'test', RawTexts> = { train: { texts: [], labels: [] }, test: { texts: [], labels: [] } };
  for (const { line, fields } of table.rows) {
    const where = `line ${line}`;
    const text = fields[review];
    const label = SENTIMENT[(fields[sentiment] ?? '').trim().toLowerCase()];
    if (text === undefined || text.trim() === '') {
      bad.report(file, where, 'no review text');
      continue;
    }
    if (label === undefined) {
      bad.report(file, where, `sentiment '${fields[sentiment] ?? ''}' is not positive or negative`);
      continue;
    }
    let split: 'train' | 'test' = 'train';
    if (splitAt >= 0) {
      const value = (fields[splitAt] ?? '').trim().toLowerCase();
      if (value !== 'train' && value !== 'test') {
        bad.report(file, where, `${splitName} '${fields[splitAt] ?? ''}' is not train or test`);
        continue;
      }
      split = value;
    }
    splits[split].texts.push(text);
    splits[split].labels.push(label);
  }
  if (splitAt >= 0 && splits.test.texts.length === 0) throw new DataFileError(file, `no row has ${splitName} = test`);
  const skipped = bad.skipped();
  return { train: splits.train, ...(splitAt >= 0 ? { test: splits.test } : {}), classNames: IMDB_CLASSES, ...(skipped ? { skipped } : {}) };
}
