import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { DataFileError, UsageError } from '../../../../shared/errors.js';
import { writeAclImdbArchive, writeAclImdbFolder, writeBertVocab, writeImdbCsv } from '../../../../test/helpers/text-fixtures.js';
import type { LoadOptions } from '../data.js';
import { loadImdb } from './imdb.js';

let dir: string;
let n = 0;
before(async () => (dir = await mkdtemp(join(tmpdir(), 'grn-imdb-'))));
after(() => rm(dir, { recursive: true, force: true }));
const fresh = () => ({ root: join(dir, `src${++n}`), cacheDir: join(dir, `cache${n}`) });
const load = (dataDir: string, cacheDir: string, extra: Partial<LoadOptions> = {}) => loadImdb({ dataDir, cacheDir, seed: 1, maxLength: 16, ...extra });

test('imdb: the aclImdb folder and aclImdb_v1.tar.gz give the same data; unsup/ and the other files are left out', async () => {
  const { root, cacheDir } = fresh();
  await writeAclImdbFolder(join(root, 'folder'), 3);
  const archive = await writeAclImdbArchive(join(root, 'tgz', 'aclImdb_v1.tar.gz'), 3);
  const a = await load(join(root, 'folder'), cacheDir);
  const b = await load(archive, cacheDir);
  const c = await load(join(root, 'tgz'), cacheDir);
  assert.deepEqual(a.sample.classNames, ['neg', 'pos']);
  assert.equal(a.train.count, 6);
  assert.equal(a.test.count, 6);
  assert.deepEqual(Array.from(a.train.labels), [0, 0, 0, 1, 1, 1], 'sorted by class, then path');
  assert.deepEqual(b.train.tokens, a.train.tokens);
  assert.deepEqual(b.test.tokens, a.test.tokens);
  assert.deepEqual(c.test.tokens, a.test.tokens);
  assert.deepEqual(Object.keys(b.sha256), ['aclImdb_v1.tar.gz']);
});

test('imdb: the CSV review,sentiment,split_inferred (gzip), and a pretrained vocab.txt with [CLS] … [SEP]', async () => {
  const { root, cacheDir } = fresh();
  const csv = await writeImdbCsv(join(root, 'imdb.csv.gz'), { perClass: 3 });
  const data = await load(csv, cacheDir);
  assert.equal(data.train.count, 6);
  assert.equal(data.test.count, 6);
  assert.deepEqual(Array.from(data.train.labels), [0, 1, 0, 1, 0, 1], 'file order: negative = 0, positive = 1');
  const bert = await load(root, cacheDir, { tokenizer: await writeBertVocab(join(dir, `vocab${n}`)) });
  assert.equal(bert.train.tokens[0], 2, '[CLS] first');
  assert.ok(bert.train.tokens.subarray(0, 16).includes(3), '[SEP] in the row');
  assert.match(bert.sample.tokenizer.algorithm, /wordpiece/);
});

test('imdb: a CSV without a split column needs holdout (the error says so); bad sentiment names the line', async () => {
  const { root, cacheDir } = fresh();
  const csv = await writeImdbCsv(join(root, 'reviews.csv'), { perClass: 4, split: false });
  await assert.rejects(load(csv, cacheDir), (e: Error) => e instanceof UsageError && /no split column/.test(e.message) && /holdout/.test(e.message));
  const data = await load(csv, cacheDir, { holdout: 0.25 });
  assert.equal(data.test.count, 4);
  assert.equal(data.train.count, 12);
  const bad = await writeImdbCsv(join(root, 'bad', 'reviews.csv'), { perClass: 1, extraRows: ['"fine text",meh,train'] });
  await assert.rejects(load(bad, cacheDir), (e: Error) => e instanceof DataFileError && /reviews\.csv: line 6: sentiment 'meh'/.test(e.message));
  const skipped = await load(bad, cacheDir, { onBadSample: 'skip' });
  assert.equal(skipped.skipped?.count, 1);
});

test('imdb: a folder with no IMDB data says what it expects', async () => {
  const { root, cacheDir } = fresh();
  const { mkdir } = await import('node:fs/promises');
  await mkdir(root, { recursive: true });
  await assert.rejects(load(root, cacheDir), (e: Error) => e instanceof DataFileError && /no IMDB data: expected aclImdb/.test(e.message));
});
