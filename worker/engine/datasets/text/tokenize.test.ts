import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { Tokenizer } from '@huggingface/tokenizers';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { DataFileError, UsageError } from '../../../../shared/errors.js';
import { writeBertVocab } from '../../../../test/helpers/text-fixtures.js';
import { basicWords, bertTokenizerJson, buildVocabulary, findTokenizerFile, loadPretrainedTokenizer, type TextTokenizer } from './tokenize.js';

let dir: string;
before(async () => (dir = await mkdtemp(join(tmpdir(), 'grn-tokenize-'))));
after(() => rm(dir, { recursive: true, force: true }));

function encode(t: TextTokenizer, text: string, maxLength: number): number[] {
  const out = new Int32Array(maxLength + 2).fill(-7);
  t.encodeInto(text, out, 1, maxLength);
  assert.equal(out[0], -7, 'writes nothing before its row');
  assert.equal(out[maxLength + 1], -7, 'writes nothing after its row');
  return Array.from(out.subarray(1, maxLength + 1));
}

test("basic words: BERT's basic tokenizer — lower case, accents stripped, punctuation split, CJK characters apart", () => {
  assert.deepEqual(basicWords()("Héllo, WORLD! It's <br />naïve 3.5 你好"), ['hello', ',', 'world', '!', 'it', "'", 's', '<', 'br', '/', '>', 'naive', '3', '.', '5', '你', '好']);
});

test('vocabulary: from the given (training) texts only, most frequent first, ties by word, words seen once are [UNK]', () => {
  const v = buildVocabulary(['b a c a', 'a b d', 'c b'], 30_000);
  // a: 3, b: 3, c: 2, d: 1 (left out).
  assert.deepEqual(v.words, ['[PAD]', '[UNK]', 'a', 'b', 'c']);
  assert.equal(v.vocabSize, 5);
  assert.equal(v.padId, 0);
  assert.deepEqual(encode(v, 'C a d zebra', 6), [4, 2, 1, 1, 0, 0]);
  assert.deepEqual(encode(v, 'a b c a b c a b', 4), [2, 3, 4, 2], 'cut at maxLength');
  assert.equal(v.info.source, 'training split');
  assert.match(v.info.algorithm, /word-level/);
});

test('vocabulary: vocab_size caps it, [PAD] and [UNK] included; below 3 is a usage error', () => {
  const v = buildVocabulary(['x x x y y z z w w'], 4);
  assert.deepEqual(v.words, ['[PAD]', '[UNK]', 'x', 'w']);
  assert.throws(() => buildVocabulary(['a a'], 2), (e: Error) => e instanceof UsageError && /vocab_size/.test(e.message));
});

test("vocab.txt: BERT's WordPiece through @huggingface/tokenizers, [CLS] … [SEP] around the text, cut before [SEP], padded with [PAD]", async () => {
  const file = findTokenizerFile(await writeBertVocab(join(dir, 'bert')));
  assert.equal(file.kind, 'vocab.txt');
  const t = loadPretrainedTokenizer(file, 8);
  assert.equal(t.padId, 0);
  assert.equal(t.vocabSize, 28);
  // [CLS]=2 [SEP]=3; election → elect ##ion (21 22); treaty → treat ##y (24 25); zebra unknown.
  assert.deepEqual(encode(t, 'Election, treaty!', 8), [2, 21, 22, 5, 24, 25, 6, 3]);
  assert.deepEqual(encode(t, 'Election, treaty! the goal', 8), [2, 21, 22, 5, 24, 25, 6, 3], 'truncated, [SEP] kept');
  assert.deepEqual(encode(t, 'the zebra', 8), [2, 11, 1, 3, 0, 0, 0, 0]);
  assert.match(t.info.algorithm, /wordpiece/);
});

test('tokenizer.json: the same ids as the vocab.txt it was built from; a folder finds it before vocab.txt', async () => {
  const vocab = await writeBertVocab(join(dir, 'both'));
  const fromVocab = loadPretrainedTokenizer(findTokenizerFile(vocab), 10);
  const json = bertTokenizerJson(await readFile(vocab, 'utf8'), vocab, {});
  await writeFile(join(dir, 'both', 'tokenizer.json'), JSON.stringify(json));
  const file = findTokenizerFile(join(dir, 'both'));
  assert.equal(file.kind, 'tokenizer.json');
  const fromJson = loadPretrainedTokenizer(file, 10);
  for (const text of ['The match, the league!', 'Minister says: "quoted"', 'unknown words only']) assert.deepEqual(encode(fromJson, text, 10), encode(fromVocab, text, 10));
  assert.match(fromJson.info.algorithm, /wordpiece \(tokenizer\.json\)/);
});

test('pretrained tokenizer errors name the file: missing, not a BERT vocabulary, bad JSON, max_length too short', async () => {
  assert.throws(() => findTokenizerFile(join(dir, 'nope')), (e: Error) => e instanceof DataFileError && e.message.includes('nope') && /not found/.test(e.message));
  await writeFile(join(dir, 'plain-vocab.txt'), 'a\nb\n');
  assert.throws(() => loadPretrainedTokenizer(findTokenizerFile(join(dir, 'plain-vocab.txt')), 8), (e: Error) => e instanceof DataFileError && /plain-vocab\.txt: no \[UNK\]/.test(e.message));
  await writeFile(join(dir, 'broken.json'), '{"model":');
  assert.throws(() => loadPretrainedTokenizer(findTokenizerFile(join(dir, 'broken.json')), 8), (e: Error) => e instanceof DataFileError && /broken\.json: not valid JSON/.test(e.message));
  const vocab = await writeBertVocab(join(dir, 'short'));
  assert.throws(() => loadPretrainedTokenizer(findTokenizerFile(vocab), 2), (e: Error) => e instanceof UsageError && /max_length 2/.test(e.message));
});

test('long texts: tokenising a prefix gives exactly the ids of the whole text, word-level and WordPiece', async () => {
  const words = ['Election', 'treaty,', 'the', 'goal!', 'naïve', 'x'.repeat(150), 'Coach"s', 'minister.', 'electionelection'];
  const long = Array.from({ length: 3000 }, (_, i) => words[(i * 7) % words.length]).join(' ');
  const vocab = buildVocabulary([long, long]);
  const vocabFile = await writeBertVocab(join(dir, 'long'));
  const whole = new Tokenizer(bertTokenizerJson(await readFile(vocabFile, 'utf8'), vocabFile, {}), {});
  for (const length of [5, 64, 300]) {
    assert.deepEqual(encode(vocab, long, length), basicWords()(long).slice(0, length).map((w) => vocab.words.indexOf(w)), `word-level, ${length}`);
    const bert = loadPretrainedTokenizer(findTokenizerFile(vocabFile), length);
    const ids = whole.encode(long, { add_special_tokens: false }).ids.slice(0, length - 2);
    assert.deepEqual(encode(bert, long, length), [2, ...ids, 3], `wordpiece, ${length}`);
  }
});
