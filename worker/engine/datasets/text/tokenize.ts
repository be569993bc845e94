import { existsSync, readFileSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import * as tokenizers from '@huggingface/tokenizers';
import { DataFileError, UsageError } from '../../../../shared/errors.js';
import type { TokenizerInfo } from '../data.js';
import { sha256 } from '../files.js';

/**
 * Texts to token ids, two ways:
 *
 * - by default, a word-level vocabulary built from the training split only (test texts never
 *   shape it): BERT's basic tokenizer (clean-up, lower case, accents stripped, CJK characters
 *   apart, split on whitespace and punctuation — Hugging Face's BertNormalizer and
 *   BertPreTokenizer), then the `vocabSize − 2` most frequent words seen at least `MIN_FREQUENCY`
 *   times, after [PAD] = 0 and [UNK] = 1. Words seen once become [UNK] in training too, so [UNK]'s
 *   embedding is trained rather than left at its initial value.
 * - `tokenizer: PATH`: a Hugging Face tokenizer — `tokenizer.json` (any model the library reads:
 *   WordPiece, BPE, Unigram) or BERT's `vocab.txt`, turned into the tokenizer.json that
 *   transformers' BertTokenizerFast builds from it — run by @huggingface/tokenizers. Texts are cut
 *   as transformers' `truncation=True, max_length` does: the text's tokens first, then the
 *   tokenizer's own special tokens around them ([CLS] … [SEP] for BERT).
 *
 * Rows shorter than `maxLength` are padded with `padId` at the end.
 */
export interface TextTokenizer {
  readonly info: TokenizerInfo;
  readonly vocabSize: number;
  readonly padId: number;
  /** Writes the ids of `text` into out[offset, offset + maxLength), padded with padId. */
  encodeInto(text: string, out: Int32Array, offset: number, maxLength: number): void;
}

/**
 * The library's pieces used here. Its .d.ts files re-export with extensionless paths, which
 * TypeScript's NodeNext resolution does not follow, so the types it loses are stated here.
 */
const { Tokenizer } = tokenizers;
type Tokenizer = tokenizers.Tokenizer;
const { BertNormalizer, BertPreTokenizer } = tokenizers as unknown as {
  BertNormalizer: new (config: { type: 'BertNormalizer'; clean_text?: boolean; handle_chinese_chars?: boolean; strip_accents?: boolean; lowercase?: boolean }) => { normalize(text: string): string };
  BertPreTokenizer: new () => { pre_tokenize_text(text: string): string[] };
};

export const DEFAULT_MAX_LENGTH = 128;
/** BERT-base's vocabulary is 30,522 tokens: the same order of size. */
export const DEFAULT_VOCAB_SIZE = 30_000;
/** Words seen fewer times than this in the training split are [UNK]. */
export const MIN_FREQUENCY = 2;
export const PAD = '[PAD]';
export const UNK = '[UNK]';

/** BERT's basic tokenizer as the vocabulary uses it: normalised, lower-cased words and punctuation. */
export function basicWords(): (text: string) => string[] {
  const normalizer = new BertNormalizer({ type: 'BertNormalizer', clean_text: true, handle_chinese_chars: true, lowercase: true });
  const pre = new BertPreTokenizer();
  return (text) => pre.pre_tokenize_text(normalizer.normalize(text));
}

/**
 * The tokens of `text` up to at least its first `maxLength`, tokenising only a prefix where that
 * gives them (a review of 2,000 words needs its first 128). The prefix ends at a space, so it holds
 * whole words only, and BERT's normalisation and pre-tokenisation work character by character and
 * never join across a space: its tokens are the full text's first ones. The prefix doubles until it
 * has `maxLength` tokens or is the whole text.
 */
export function firstTokens<T extends ArrayLike<unknown>>(text: string, maxLength: number, tokenize: (text: string) => T): T {
  for (let chars = maxLength * 8; chars < text.length; chars *= 2) {
    const cut = text.lastIndexOf(' ', chars);
    if (cut <= 0) continue;
    const tokens = tokenize(text.slice(0, cut));
    if (tokens.length >= maxLength) return tokens;
  }
  return tokenize(text);
}

/** Word-level tokenizer with a vocabulary from `texts` (the training split), most frequent first. */
export function buildVocabulary(texts: Iterable<string>, vocabSize = DEFAULT_VOCAB_SIZE, onProgress?: (done: number) => void): TextTokenizer & { readonly words: readonly string[] } {
  if (!Number.isInteger(vocabSize) || vocabSize < 3) throw new UsageError(`vocab_size must be a whole number ≥ 3 ([PAD], [UNK] and one word), got ${vocabSize}`);
  const split = basicWords();
  const counts = new Map<string, number>();
  let done = 0;
  for (const text of texts) {
    for (const word of split(text)) counts.set(word, (counts.get(word) ?? 0) + 1);
    if (++done % 10_000 === 0) onProgress?.(done);
  }
  // Ties broken by the word itself (code-unit order), so the ids are the same on every machine.
  const frequent = [...counts].filter(([, n]) => n >= MIN_FREQUENCY).sort(([a, m], [b, n]) => n - m || (a < b ? -1 : a > b ? 1 : 0));
  const words = [PAD, UNK, ...frequent.slice(0, vocabSize - 2).map(([w]) => w)];
  const ids = new Map(words.map((w, i) => [w, i]));
  return {
    words,
    vocabSize: words.length,
    padId: 0,
    info: {
      algorithm: `word-level: BERT basic tokenizer (lower-cased, accents stripped, split on whitespace and punctuation), the ${words.length - 2} most frequent words seen ≥ ${MIN_FREQUENCY} times (vocab_size ${vocabSize}), [PAD] = 0, [UNK] = 1`,
      source: 'training split',
    },
    encodeInto(text, out, offset, maxLength) {
      const tokens = firstTokens(text, maxLength, split);
      const n = Math.min(tokens.length, maxLength);
      for (let i = 0; i < n; i++) out[offset + i] = ids.get(tokens[i]!) ?? 1;
      out.fill(0, offset + n, offset + maxLength);
    },
  };
}

/** A pretrained tokenizer's file (what the cache key and the result name), found from `tokenizer: PATH`. */
export interface TokenizerFile {
  readonly path: string;
  readonly kind: 'tokenizer.json' | 'vocab.txt';
  /** SHA-256 of the file, and of tokenizer_config.json beside it when there is one. */
  readonly sha256: string;
}

/** `PATH` may be tokenizer.json, vocab.txt, or a folder holding one (tokenizer.json preferred). */
export function findTokenizerFile(path: string): TokenizerFile {
  let isDir: boolean;
  try {
    isDir = statSync(path).isDirectory();
  } catch {
    throw new DataFileError(path, 'tokenizer not found (give tokenizer.json, vocab.txt, or a folder holding one)');
  }
  let file = path;
  if (isDir) {
    const found = ['tokenizer.json', 'vocab.txt'].map((f) => join(path, f)).find((f) => existsSync(f));
    if (!found) throw new DataFileError(path, 'folder holds neither tokenizer.json nor vocab.txt');
    file = found;
  }
  const kind = file.endsWith('.json') ? 'tokenizer.json' : file.endsWith('.txt') ? 'vocab.txt' : undefined;
  if (!kind) throw new DataFileError(file, 'not a tokenizer: expected a tokenizer.json or a vocab.txt');
  const config = configBeside(file);
  const digest = sha256(Buffer.concat([readFileSync(file), ...(config ? [Buffer.from('\0'), readFileSync(config)] : [])]));
  return { path: file, kind, sha256: digest };
}

function configBeside(file: string): string | undefined {
  const config = join(dirname(file), 'tokenizer_config.json');
  return existsSync(config) ? config : undefined;
}

function readJson(file: string): Record<string, unknown> {
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
  } catch (err) {
    throw new DataFileError(file, `not valid JSON (${(err as Error).message})`);
  }
}

/**
 * The tokenizer.json that transformers' BertTokenizerFast (convert_slow_tokenizer.BertConverter)
 * builds from a WordPiece vocab.txt: one token per line, its line number its id.
 */
export function bertTokenizerJson(vocabText: string, file: string, config: Record<string, unknown>): Record<string, unknown> {
  const tokens = vocabText.split('\n').map((t) => t.replace(/\r$/, ''));
  if (tokens.at(-1) === '') tokens.pop();
  const vocab: Record<string, number> = {};
  tokens.forEach((t, i) => {
    if (!(t in vocab)) vocab[t] = i;
  });
  for (const special of ['[UNK]', '[CLS]', '[SEP]']) {
    if (!(special in vocab)) throw new DataFileError(file, `no ${special} token: not a BERT WordPiece vocabulary`);
  }
  const lowercase = config.do_lower_case !== false;
  const specials = ['[PAD]', '[UNK]', '[CLS]', '[SEP]', '[MASK]'].filter((t) => t in vocab);
  return {
    version: '1.0',
    truncation: null,
    padding: null,
    added_tokens: specials.map((content) => ({ id: vocab[content], content, single_word: false, lstrip: false, rstrip: false, normalized: false, special: true })),
    normalizer: {
      type: 'BertNormalizer',
      clean_text: true,
      handle_chinese_chars: config.tokenize_chinese_chars !== false,
      strip_accents: typeof config.strip_accents === 'boolean' ? config.strip_accents : null,
      lowercase,
    },
    pre_tokenizer: { type: 'BertPreTokenizer' },
    post_processor: {
      type: 'TemplateProcessing',
      single: [{ SpecialToken: { id: '[CLS]', type_id: 0 } }, { Sequence: { id: 'A', type_id: 0 } }, { SpecialToken: { id: '[SEP]', type_id: 0 } }],
      pair: [],
      special_tokens: Object.fromEntries(['[CLS]', '[SEP]'].map((t) => [t, { id: t, ids: [vocab[t]], tokens: [t] }])),
    },
    decoder: { type: 'WordPiece', prefix: '##', cleanup: true },
    model: { type: 'WordPiece', unk_token: '[UNK]', continuing_subword_prefix: '##', max_input_chars_per_word: 100, vocab },
  };
}

/** A Hugging Face tokenizer read from its file (see TextTokenizer). */
export function loadPretrainedTokenizer(file: TokenizerFile, maxLength: number): TextTokenizer {
  const configFile = configBeside(file.path);
  const config = configFile ? readJson(configFile) : {};
  let json: Record<string, unknown>;
  if (file.kind === 'vocab.txt') json = bertTokenizerJson(readFileSync(file.path, 'utf8'), file.path, config);
  else json = readJson(file.path);
  let tokenizer: Tokenizer;
  try {
    tokenizer = new Tokenizer(json, config);
  } catch (err) {
    throw new DataFileError(file.path, `cannot build the tokenizer (${(err as Error).message})`);
  }
  // The special tokens the tokenizer adds around a text: what encoding with them adds to without.
  const probe = 'hello world';
  const withSpecial = tokenizer.encode(probe).ids;
  const plain = tokenizer.encode(probe, { add_special_tokens: false }).ids;
  let at = 0;
  while (at + plain.length <= withSpecial.length && !plain.every((id: number, k: number) => withSpecial[at + k] === id)) at++;
  if (at + plain.length > withSpecial.length) at = withSpecial.length;
  const prefix = withSpecial.slice(0, at);
  const suffix = withSpecial.slice(Math.min(at + plain.length, withSpecial.length));
  const room = maxLength - prefix.length - suffix.length;
  if (room < 1) throw new UsageError(`max_length ${maxLength} leaves no room for text between the tokenizer's ${prefix.length + suffix.length} special tokens`);

  const vocab = tokenizer.get_vocab(true);
  let vocabSize = 0;
  for (const id of vocab.values()) vocabSize = Math.max(vocabSize, id + 1);
  const padding = json.padding as { pad_id?: number } | null | undefined;
  let padId = padding?.pad_id ?? tokenizer.token_to_id('[PAD]') ?? tokenizer.token_to_id('<pad>');
  // No padding token (GPT-2 and the like): one id past the vocabulary, an embedding row of its own.
  if (padId === undefined) padId = vocabSize++;
  const model = (json.model as { type?: string } | undefined)?.type ?? 'unknown model';
  // Only a prefix of long texts is tokenised where the pipeline is BERT's (character-local; see firstTokens).
  const local = (json.pre_tokenizer as { type?: string } | null | undefined)?.type === 'BertPreTokenizer';
  const plainIds = (text: string) => tokenizer.encode(text, { add_special_tokens: false }).ids;
  return {
    vocabSize,
    padId,
    info: {
      algorithm: file.kind === 'vocab.txt' ? `wordpiece (BERT vocab.txt${config.do_lower_case === false ? ', cased' : ', lower-cased'}), [CLS] … [SEP]` : `${model.toLowerCase()} (tokenizer.json)`,
      source: file.path,
    },
    encodeInto(text, out, offset, length) {
      const room = length - prefix.length - suffix.length;
      const ids = local ? firstTokens(text, room, plainIds) : plainIds(text);
      const body = Math.min(ids.length, room);
      let k = offset;
      for (const id of prefix) out[k++] = id;
      for (let i = 0; i < body; i++) out[k++] = ids[i]!;
      for (const id of suffix) out[k++] = id;
      out.fill(padId, k, offset + length);
    },
  };
}
