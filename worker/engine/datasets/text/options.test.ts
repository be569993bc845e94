import assert from 'node:assert/strict';
import { test } from 'node:test';
import { datasetOptionProblems, describeDataset } from '../catalog.js';

test('text options in the catalog: max_length, tokenizer, vocab_size for every text data set; columns and header for the table formats', () => {
  for (const choice of [{ dataset: 'ag_news' }, { dataset: 'imdb' }, { dataset: 'mine', kind: 'csv-text' }, { dataset: 'hub', kind: 'parquet' }]) {
    const meta = describeDataset(choice);
    assert.equal(meta.task, 'text-classification');
    assert.equal(meta.defaultModel, 'transformer');
    assert.deepEqual(datasetOptionProblems(choice, { max_length: 64, tokenizer: '/models/bert/vocab.txt', vocab_size: 20_000 }), []);
    assert.match(datasetOptionProblems(choice, { max_length: 0 }).join(), /max_length: expected a whole number of tokens from 1 to 8192/);
    assert.match(datasetOptionProblems(choice, { vocab_size: 2 }).join(), /vocab_size: expected a whole number of words, at least 3/);
  }
  assert.deepEqual(describeDataset({ dataset: 'ag_news' }).displayName, 'AG_NEWS');
  assert.deepEqual(describeDataset({ dataset: 'imdb' }).displayName, 'IMDB');
  assert.match(datasetOptionProblems({ dataset: 'imdb' }, { text_column: 'review' }).join(), /unknown option 'text_column' for data set 'imdb'/);
  const csv = { dataset: 'mine', kind: 'csv-text' };
  assert.deepEqual(datasetOptionProblems(csv, { text_column: ['title', 2], label_column: 0, header: false }), []);
  assert.match(datasetOptionProblems(csv, { header: 'no' }).join(), /header: expected true or false/);
  const parquet = { dataset: 'hub', kind: 'parquet' };
  assert.deepEqual(datasetOptionProblems(parquet, { text_column: ['title', 'description'], label_column: 'label' }), []);
  assert.match(datasetOptionProblems(parquet, { label_column: 3 }).join(), /label_column: expected a column name/);
  assert.match(datasetOptionProblems(parquet, { header: true }).join(), /unknown option 'header' for format 'parquet'/);
});
