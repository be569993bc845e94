import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { DataFileError, UsageError } from '../../../../shared/errors.js';
import { fixtureText, writeAgNewsFolder } from '../../../../test/helpers/text-fixtures.js';
import type { LoadOptions } from '../data.js';
import { loadAgNews } from './ag-news.js';
import { buildVocabulary } from './tokenize.js';

let dir: string;
let n = 0;
before(async () => (dir = await mkdtemp(join(tmpdir(), 'grn-agnews-'))));
after(() => rm(dir, { recursive: true, force: true }));
const fresh = () => ({ root: join(dir, `src${++n}`), cacheDir: join(dir, `cache${n}`) });
const load = (dataDir: string, cacheDir: string, extra: Partial<LoadOptions> = {}) => loadAgNews({ dataDir, cacheDir, seed: 1, maxLength: 12, ...extra });

test('ag_news: train.csv and test.csv, classes 1–4 as 0–3 named by classes.txt, text = title + description, vocabulary from train only', async () => {
  const { root, cacheDir } = fresh();
  await writeAgNewsFolder(root, { trainPerClass: 5, testPerClass: 2 });
  const data = await load(root, cacheDir);
  assert.equal(data.name, 'ag_news');
  assert.deepEqual(data.sample.classNames, ['World', 'Sports', 'Business', 'Sci/Tech']);
  assert.equal(data.train.count, 20);
  assert.equal(data.test.count, 8);
  assert.deepEqual(Array.from(data.train.labels.subarray(0, 8)), [0, 1, 2, 3, 0, 1, 2, 3]);
  // The first row's tokens: the vocabulary rebuilt from the training texts encodes its title and description.
  const trainTexts = Array.from({ length: 5 }, (_, i) => [0, 1, 2, 3].map((c) => `${fixtureText(c, i, 3)} ${fixtureText(c, i + 7, 5)}`)).flat();
  const vocab = buildVocabulary(trainTexts);
  const expected = new Int32Array(12);
  vocab.encodeInto(trainTexts[0]!, expected, 0, 12);
  assert.deepEqual(Array.from(data.train.tokens.subarray(0, 12)), Array.from(expected));
  assert.equal(data.sample.vocabSize, vocab.vocabSize);
  assert.deepEqual(Object.keys(data.sha256).sort(), ['classes.txt', 'test.csv', 'train.csv']);
});

test('ag_news: only test.csv needs holdout — the error says so; with holdout 0.25 a stratified split of test.csv', async () => {
  const { root, cacheDir } = fresh();
  await writeAgNewsFolder(root, { onlyTest: true, testPerClass: 8 });
  await assert.rejects(load(root, cacheDir), (e: Error) => e instanceof UsageError && /train\.csv not found/.test(e.message) && /holdout/.test(e.message));
  const data = await load(root, cacheDir, { holdout: 0.25 });
  assert.equal(data.test.count, 8);
  assert.equal(data.train.count, 24);
  for (let c = 0; c < 4; c++) assert.equal(Array.from(data.test.labels).filter((l) => l === c).length, 2, `class ${c} in test`);
  const again = await load(root, join(cacheDir, 'other'), { holdout: 0.25 });
  assert.deepEqual(again.test.tokens, data.test.tokens, 'same seed, same split');
  const other = await load(root, cacheDir, { holdout: 0.25, seed: 2 });
  assert.notDeepEqual(Array.from(other.test.tokens), Array.from(data.test.tokens), 'another seed, another split');
});

test('ag_news: gzipped files read the same; the token cache serves the second load and keys on max_length', async () => {
  const { root, cacheDir } = fresh();
  await writeAgNewsFolder(join(root, 'plain'));
  await writeAgNewsFolder(join(root, 'gz'), { gzip: true });
  const messages: string[] = [];
  const a = await load(join(root, 'plain'), cacheDir);
  const b = await load(join(root, 'gz'), cacheDir, { onProgress: (m) => messages.push(m) });
  assert.ok(messages.some((m) => /token cache hit/.test(m)), 'recompressed copy: same checksums, same cache entry');
  assert.deepEqual(b, a);
  const longer = await load(join(root, 'plain'), cacheDir, { maxLength: 20, onProgress: (m) => messages.push(m) });
  assert.equal(longer.sample.maxLength, 20);
  assert.equal(longer.train.tokens.length, a.train.count * 20);
});

test('ag_news: a bad row fails naming the file and line, or is skipped and counted with on_bad_sample: skip', async () => {
  const { root, cacheDir } = fresh();
  await writeAgNewsFolder(root, { trainPerClass: 2, extraRows: ['"7","Title","Description"', '"2","only two fields"'] });
  await assert.rejects(load(root, cacheDir), (e: Error) => e instanceof DataFileError && /train\.csv: line 9: class '7'/.test(e.message) && /on_bad_sample/.test(e.message));
  const data = await load(root, cacheDir, { onBadSample: 'skip' });
  assert.equal(data.train.count, 8);
  assert.equal(data.skipped?.count, 2);
  assert.match(data.skipped!.examples[1]!, /train\.csv: line 10: 2 fields, expected 3/);
});

test('ag_news: a folder with neither file names both', async () => {
  const { root, cacheDir } = fresh();
  const { mkdir } = await import('node:fs/promises');
  await mkdir(root, { recursive: true });
  await assert.rejects(load(root, cacheDir), (e: Error) => e instanceof DataFileError && /train\.csv: not found, nor test\.csv/.test(e.message));
});
