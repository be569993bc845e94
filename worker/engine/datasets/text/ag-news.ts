import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { DataFileError } from '../../../../shared/errors.js';
import type { LoadOptions, TextClassificationData } from '../data.js';
import { defaultCacheDir, fetchDataFile, sha256, type RemoteFile } from '../files.js';
import { decompress } from '../idx.js';
import { readCsv } from './csv.js';
import { BadRows, badSamplePolicy, loadTextData, type RawTexts } from './text-data.js';

/**
 * AG_NEWS as torchtext and the original read it (`ag_news_csv`): train.csv (120,000 rows) and
 * test.csv (7,600), no header, every field quoted: class index 1–4, title, description; the text is
 * title + ' ' + description. classes.txt names the classes (World, Sports, Business, Sci/Tech).
 * From a folder (the files plain or .gz, optionally under ag_news_csv/), or downloaded and checked
 * (the SHA-256 of the files whose MD5s torchtext publishes). With only test.csv (the team's copy),
 * `holdout` splits it; the holdout also replaces test.csv when both are there.
 */
const MIRROR = 'https://raw.githubusercontent.com/mhjabreel/CharCnn_Keras/master/data/ag_news_csv';
export const AG_NEWS_FILES: Record<'train' | 'test' | 'classes', RemoteFile> = {
  train: { name: 'train.csv', sha256: '76a0a2d2f92b286371fe4d4044640910a04a803fdd2538e0f3f29a5c6f6b672e', urls: [`${MIRROR}/train.csv`] },
  test: { name: 'test.csv', sha256: '521465c2428ed7f02f8d6db6ffdd4b5447c1c701962353eb2c40d548c3c85699', urls: [`${MIRROR}/test.csv`] },
  classes: { name: 'classes.txt', sha256: '612dbfa932f07a6ed837295a7d5746ce7412e7bb4bc32ba919fdb3cda3a1b9b5', urls: [`${MIRROR}/classes.txt`] },
};
export const AG_NEWS_CLASSES = ['World', 'Sports', 'Business', 'Sci/Tech'];

interface Found {
  readonly path: string;
  readonly bytes: Uint8Array;
}

/** `name` or `name.gz` in the folder or its ag_news_csv/ subfolder. */
async function findLocal(dir: string, name: string): Promise<Found | undefined> {
  for (const base of [dir, join(dir, 'ag_news_csv')]) {
    for (const candidate of [join(base, name), join(base, `${name}.gz`)]) {
      if (existsSync(candidate)) return { path: candidate, bytes: decompress(await readFile(candidate), candidate) };
    }
  }
  return undefined;
}

export async function loadAgNews(options: LoadOptions): Promise<TextClassificationData> {
  const policy = badSamplePolicy(options);
  let train: Found | undefined;
  let test: Found | undefined;
  let classes: Found | undefined;
  if (options.dataDir) {
    [train, test, classes] = [await findLocal(options.dataDir, 'train.csv'), await findLocal(options.dataDir, 'test.csv'), await findLocal(options.dataDir, 'classes.txt')];
    if (!train && !test) throw new DataFileError(join(options.dataDir, 'train.csv'), 'not found, nor test.csv: expected ag_news_csv\'s train.csv and test.csv (plain or .gz)');
  } else {
    const fetch = (f: RemoteFile) => fetchDataFile(f, { cacheDir: options.cacheDir ?? defaultCacheDir(), onProgress: options.onProgress });
    [train, test, classes] = [await fetch(AG_NEWS_FILES.train), await fetch(AG_NEWS_FILES.test), await fetch(AG_NEWS_FILES.classes)];
  }
  const classNames = classes ? parseClasses(classes) : AG_NEWS_CLASSES;
  // With a holdout, the training split is split (or test.csv, when it is the only file).
  const pool = options.holdout !== undefined ? (train ?? test)! : train;
  const sources = [pool, ...(options.holdout === undefined ? [test] : []), classes].filter((f): f is Found => f !== undefined);
  // By name without .gz: the checksums are of the decompressed bytes, so a recompressed copy is the same source.
  const nameOf = (f: Found) => f.path.split('/').pop()!.replace(/\.gz$/, '');
  const digests = Object.fromEntries(sources.map((f) => [nameOf(f), sha256(f.bytes)]));
  const dir = options.dataDir ?? 'ag_news';
  return loadTextData(
    'ag_news',
    {
      loader: 'ag_news',
      sha256: digests,
      settings: { pool: pool ? nameOf(pool) : undefined },
      oneSplit: train
        ? `${join(dir, 'test.csv')} not found: only train.csv is there; give holdout (e.g. holdout: 0.2, --holdout 0.2) to split train.csv into train and test`
        : `${join(dir, 'train.csv')} not found: only test.csv is there; give holdout (e.g. holdout: 0.2, --holdout 0.2) to split test.csv into train and test`,
      read: async () => {
        const bad = new BadRows(policy);
        const trainTexts = pool ? parseAgNews(pool, classNames.length, bad) : undefined;
        const testTexts = options.holdout === undefined && test ? parseAgNews(test, classNames.length, bad) : undefined;
        if (!trainTexts) return { train: { texts: [], labels: [] }, classNames, ...(bad.skipped() ? { skipped: bad.skipped() } : {}) };
        const skipped = bad.skipped();
        return { train: trainTexts, ...(testTexts ? { test: testTexts } : {}), classNames, ...(skipped ? { skipped } : {}) };
      },
    },
    options,
  );
}

function parseClasses(file: Found): string[] {
  const names = Buffer.from(file.bytes).toString('utf8').split(/\r?\n/).map((l) => l.trim()).filter(Boolean);
  if (names.length < 2) throw new DataFileError(file.path, `${names.length} class names: expected one per line (World, Sports, Business, Sci/Tech)`);
  return names;
}

/** Rows `"class","title","description"`, class 1-based. */
export function parseAgNews(file: Found, classes: number, bad: BadRows): RawTexts {
  const table = readCsv(file.bytes, file.path, { header: false, bad });
  const texts: string[] = [];
  const labels: number[] = [];
  for (const { line, fields } of table.rows) {
    const where = `line ${line}`;
    if (fields.length !== 3) {
      bad.report(file.path, where, `${fields.length} fields, expected 3 (class, title, description)`);
      continue;
    }
    const label = Number(fields[0]);
    if (!Number.isInteger(label) || label < 1 || label > classes) {
      bad.report(file.path, where, `class '${fields[0]}' is not a whole number from 1 to ${classes}`);
      continue;
    }
    const text = `${fields[1]} ${fields[2]}`;
    if (text.trim() === '') {
      bad.report(file.path, where, 'empty title and description');
      continue;
    }
    texts.push(text);
    labels.push(label - 1);
  }
  return { texts, labels };
}
