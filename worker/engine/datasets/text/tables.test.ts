import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { DataFileError, UsageError } from '../../../../shared/errors.js';
import { writeCsvTextFolder, writeParquetFolder } from '../../../../test/helpers/text-fixtures.js';
import type { LoadOptions } from '../data.js';
import { loadCsvText } from './csv-text.js';
import { loadParquetText } from './parquet-text.js';

let dir: string;
let n = 0;
before(async () => (dir = await mkdtemp(join(tmpdir(), 'grn-tables-'))));
after(() => rm(dir, { recursive: true, force: true }));
const fresh = () => ({ root: join(dir, `src${++n}`), cacheDir: join(dir, `cache${n}`) });
const opts = (dataDir: string, cacheDir: string, extra: Partial<LoadOptions> = {}): LoadOptions => ({ dataDir, cacheDir, seed: 1, maxLength: 8, ...extra });

test('csv-text: train.csv and test.csv.gz by header names; classes are the sorted label values of the training split', async () => {
  const { root, cacheDir } = fresh();
  await writeCsvTextFolder(root, { perClass: 4, gzip: true });
  const data = await loadCsvText('pets', opts(root, cacheDir));
  assert.deepEqual(data.sample.classNames, ['cat', 'dog', 'eel']);
  assert.equal(data.train.count, 12);
  assert.equal(data.test.count, 6);
  assert.deepEqual(Array.from(data.train.labels.subarray(0, 3)), [0, 1, 2]);
  assert.deepEqual(Object.keys(data.sha256).sort(), ['test.csv.gz', 'train.csv']);
});

test('csv-text: without a header, columns by index; several text columns are joined', async () => {
  const { root, cacheDir } = fresh();
  await writeCsvTextFolder(root, { perClass: 2, header: false });
  const byIndex = await loadCsvText('pets', opts(root, cacheDir, { header: false, textColumn: 2, labelColumn: 1 }));
  assert.equal(byIndex.train.count, 6);
  const joined = await loadCsvText('pets', opts(root, cacheDir, { header: false, textColumn: [0, 2], labelColumn: 1 }));
  assert.notDeepEqual(Array.from(joined.train.tokens), Array.from(byIndex.train.tokens), 'the id column is part of the text');
  await assert.rejects(loadCsvText('pets', opts(root, cacheDir, { header: false })), (e: Error) => e instanceof DataFileError && /read without a header/.test(e.message));
});

test('csv-text: a missing column lists the columns; a test label the training split lacks names the line', async () => {
  const { root, cacheDir } = fresh();
  await writeCsvTextFolder(root, { perClass: 2 });
  await assert.rejects(loadCsvText('pets', opts(root, cacheDir, { textColumn: 'body' })), (e: Error) => e instanceof DataFileError && /no text column 'body' \(columns: id, label, text\)/.test(e.message));
  await writeFile(join(root, 'test.csv'), 'id,label,text\n1,cat,"a cat"\n2,yak,"a yak"\n');
  await assert.rejects(loadCsvText('pets', opts(root, cacheDir)), (e: Error) => e instanceof DataFileError && /test\.csv: line 3: label 'yak' is not a class of the training split \(cat, dog, eel\)/.test(e.message));
  const skipped = await loadCsvText('pets', opts(root, cacheDir, { onBadSample: 'skip' }));
  assert.equal(skipped.test.count, 1);
  assert.equal(skipped.skipped?.count, 1);
});

test('csv-text: one file is one split — holdout required, and the error says so; a broken quote is a bad row with its line', async () => {
  const { root, cacheDir } = fresh();
  await writeCsvTextFolder(root, { perClass: 4, extraRows: ['99,cat,"unterminated'] });
  const file = join(root, 'train.csv');
  await assert.rejects(loadCsvText('pets', opts(file, cacheDir, { holdout: 0.25 })), (e: Error) => e instanceof DataFileError && /train\.csv: line \d+/.test(e.message));
  await writeCsvTextFolder(root, { perClass: 4 });
  await assert.rejects(loadCsvText('pets', opts(file, cacheDir)), (e: Error) => e instanceof UsageError && /holdout/.test(e.message));
  const data = await loadCsvText('pets', opts(file, cacheDir, { holdout: 0.25 }));
  assert.equal(data.test.count, 3);
  assert.equal(data.train.count, 9);
});

test('parquet: Hugging Face layout (data/train-…, data/test-…), ClassLabel names from the file metadata', async () => {
  const { root, cacheDir } = fresh();
  await writeParquetFolder(root, { perClass: 4, classNames: ['World', 'Sports', 'Business'] });
  const data = await loadParquetText('hub', opts(root, cacheDir));
  assert.deepEqual(data.sample.classNames, ['World', 'Sports', 'Business']);
  assert.equal(data.train.count, 12);
  assert.equal(data.test.count, 6);
  assert.deepEqual(Array.from(data.test.labels.subarray(0, 3)), [0, 1, 2]);
  assert.deepEqual(Object.keys(data.sha256).sort(), ['test-00000-of-00001.parquet', 'train-00000-of-00001.parquet']);
});

test('parquet: without ClassLabel metadata the sorted values are the classes; a null text is a bad row; a missing column lists the columns', async () => {
  const { root, cacheDir } = fresh();
  await writeParquetFolder(root, { perClass: 2, nullText: true });
  await assert.rejects(loadParquetText('hub', opts(root, cacheDir)), (e: Error) => e instanceof DataFileError && /train-00000-of-00001\.parquet: row 2: no text/.test(e.message));
  const data = await loadParquetText('hub', opts(root, cacheDir, { onBadSample: 'skip' }));
  assert.deepEqual(data.sample.classNames, ['0', '1', '2']);
  assert.equal(data.train.count, 5);
  assert.equal(data.skipped?.count, 1);
  await assert.rejects(loadParquetText('hub', opts(root, cacheDir, { labelColumn: 'topic' })), (e: Error) => e instanceof DataFileError && /no column 'topic' \(columns: text, label\)/.test(e.message));
  await writeFile(join(root, 'data', 'test-00000-of-00001.parquet'), 'not parquet at all');
  await assert.rejects(loadParquetText('hub', opts(root, cacheDir)), (e: Error) => e instanceof DataFileError && /test-00000-of-00001\.parquet: not a Parquet file/.test(e.message));
});
