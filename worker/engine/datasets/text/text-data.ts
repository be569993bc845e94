import { createHash } from 'node:crypto';
import { DataFileError, UsageError } from '../../../../shared/errors.js';
import type { BadSamplePolicy, LoadOptions, SkippedSamples, TextClassificationData, TextSplit } from '../data.js';
import { decodedCacheKey } from '../decoded-cache.js';
import { defaultCacheDir } from '../files.js';
import { checkFraction, holdoutIndices, limitIndices } from '../kinds/holdout.js';
import { buildVocabulary, DEFAULT_MAX_LENGTH, DEFAULT_VOCAB_SIZE, findTokenizerFile, loadPretrainedTokenizer, type TextTokenizer } from './tokenize.js';
import { readTokens, writeTokens } from './token-cache.js';

/**
 * What every text loader shares once its files are parsed: the holdout split, the tokenizer (a
 * vocabulary built from the training split, or a pretrained one), token ids packed into rows, the
 * token cache, and the limits. A loader describes its source (`TextSource`); this does the rest.
 *
 * Order of steps: holdout (seeded, stratified) → vocabulary from the training split → token ids →
 * cache → train/test limits (a seeded subset of the cached rows, so one cache serves every limit).
 * The vocabulary therefore depends on the holdout's seed, and the key says so.
 */

/** Texts of one split with one class index per text. */
export interface RawTexts {
  readonly texts: string[];
  readonly labels: number[];
}

export interface RawTextData {
  readonly train: RawTexts;
  /** Absent when the source has only one split: then a holdout is required. */
  readonly test?: RawTexts;
  readonly classNames: readonly string[];
  readonly skipped?: SkippedSamples;
}

export interface TextSource {
  /** The loader, for the cache key (`ag_news`, `csv-text`, …). */
  readonly loader: string;
  /** SHA-256 of each source file, by name (the result's manifest records them). */
  readonly sha256: Record<string, string>;
  /** Whatever else changes what is read (columns, header …), for the cache key. */
  readonly settings?: Record<string, unknown>;
  /** Reads and parses the files; only called when the cache has no entry. */
  read(): Promise<RawTextData>;
  /** Says what to do when the source has one split and no holdout was given. */
  readonly oneSplit: string;
}

export const MAX_EXAMPLES = 20;

/** Bad rows under on_bad_sample: `fail` throws at the first, `skip` counts them (first 20 named). */
export class BadRows {
  private count = 0;
  private readonly examples: string[] = [];
  constructor(readonly policy: BadSamplePolicy) {}

  /** `where` names the file and row (`train.csv: line 12`). */
  report(file: string, where: string, problem: string): void {
    if (this.policy === 'fail') throw new DataFileError(file, `${where}: ${problem} (on_bad_sample: skip would skip it)`);
    this.count++;
    if (this.examples.length < MAX_EXAMPLES) this.examples.push(`${file}: ${where}: ${problem}`);
  }

  skipped(): SkippedSamples | undefined {
    return this.count ? { count: this.count, examples: [...this.examples] } : undefined;
  }
}

export function badSamplePolicy(options: LoadOptions): BadSamplePolicy {
  const policy = options.onBadSample ?? 'fail';
  if (policy !== 'fail' && policy !== 'skip') throw new UsageError(`on_bad_sample must be 'fail' or 'skip', got ${String(policy)}`);
  return policy;
}

function checkMaxLength(maxLength: number): void {
  if (!Number.isInteger(maxLength) || maxLength < 1 || maxLength > 8192) throw new UsageError(`max_length must be a whole number from 1 to 8192, got ${maxLength}`);
}

export async function loadTextData(name: string, source: TextSource, options: LoadOptions): Promise<TextClassificationData> {
  const maxLength = options.maxLength ?? DEFAULT_MAX_LENGTH;
  checkMaxLength(maxLength);
  if (options.holdout !== undefined) checkFraction(options.holdout);
  const onBadSample = badSamplePolicy(options);
  const vocabSize = options.vocabSize ?? DEFAULT_VOCAB_SIZE;
  const pretrained = options.tokenizer !== undefined ? findTokenizerFile(options.tokenizer) : undefined;
  const cacheDir = options.cacheDir ?? defaultCacheDir();
  const sources = createHash('sha256')
    .update(Object.entries(source.sha256).sort(([a], [b]) => (a < b ? -1 : 1)).map(([n, s]) => `${n}\0${s}\n`).join(''))
    .digest('hex');
  const key = decodedCacheKey(sources, {
    loader: source.loader,
    settings: source.settings,
    maxLength,
    tokenizer: pretrained ? { kind: pretrained.kind, sha256: pretrained.sha256 } : { vocabSize },
    onBadSample,
    holdout: options.holdout,
    seed: options.holdout !== undefined ? options.seed : undefined,
  });

  let data = await readTokens(cacheDir, key, options.onProgress);
  if (data) {
    options.onProgress?.(`${name}: token cache hit (${key.slice(0, 12)}), ${data.train.count + data.test.count} texts`);
  } else {
    data = await tokenise(name, source, options, { maxLength, vocabSize, pretrained });
    try {
      await writeTokens(cacheDir, key, data);
    } catch (err) {
      options.onProgress?.(`${cacheDir}: could not write the token cache (${(err as Error).message})`);
    }
  }
  const limit = (split: TextSplit, n: number | undefined, purpose: string) => {
    const chosen = limitIndices(split.count, n, options.seed, purpose);
    return chosen ? takeRows(split, maxLength, chosen) : split;
  };
  // The key holds the tokenizer's checksum, not its path: a cached entry names where it is now.
  const sample = pretrained ? { ...data.sample, tokenizer: { ...data.sample.tokenizer, source: pretrained.path } } : data.sample;
  return { ...data, name, sample, train: limit(data.train, options.trainLimit, 'train-limit'), test: limit(data.test, options.testLimit, 'test-limit') };
}

async function tokenise(
  name: string,
  source: TextSource,
  options: LoadOptions,
  settings: { maxLength: number; vocabSize: number; pretrained: ReturnType<typeof findTokenizerFile> | undefined },
): Promise<TextClassificationData> {
  const raw = await source.read();
  const classes = raw.classNames.length;
  let train = raw.train;
  let test = raw.test;
  if (options.holdout !== undefined) {
    const { train: a, test: b } = holdoutIndices(train.labels, classes, options.holdout, options.seed);
    [train, test] = [pick(train, a), pick(train, b)];
  } else if (!test) {
    throw new UsageError(`${name}: ${source.oneSplit}`);
  }
  if (train.texts.length === 0) throw new DataFileError(name, 'the training split has no texts');
  const progress = (what: string, total: number) => (done: number) => options.onProgress?.(`${name}: ${what} ${done.toLocaleString('en')}/${total.toLocaleString('en')} texts`);
  const tokenizer: TextTokenizer = settings.pretrained
    ? loadPretrainedTokenizer(settings.pretrained, settings.maxLength)
    : buildVocabulary(train.texts, settings.vocabSize, progress('building the vocabulary from', train.texts.length));
  const pack = (split: RawTexts, label: string): TextSplit => {
    const count = split.texts.length;
    const tokens = new Int32Array(count * settings.maxLength);
    const report = progress(`tokenising ${label}`, count);
    for (let i = 0; i < count; i++) {
      tokenizer.encodeInto(split.texts[i]!, tokens, i * settings.maxLength, settings.maxLength);
      if ((i + 1) % 10_000 === 0) report(i + 1);
    }
    const labels = classes <= 256 ? Uint8Array.from(split.labels) : Uint16Array.from(split.labels);
    return { count, tokens, labels };
  };
  return {
    task: 'text-classification',
    name,
    sample: {
      kind: 'tokens',
      maxLength: settings.maxLength,
      vocabSize: tokenizer.vocabSize,
      padId: tokenizer.padId,
      classes,
      classNames: raw.classNames,
      tokenizer: tokenizer.info,
    },
    train: pack(train, 'train'),
    test: pack(test!, 'test'),
    sha256: source.sha256,
    ...(raw.skipped ? { skipped: raw.skipped } : {}),
  };
}

function pick(split: RawTexts, indices: readonly number[]): RawTexts {
  return { texts: indices.map((i) => split.texts[i]!), labels: indices.map((i) => split.labels[i]!) };
}

/** The rows at `indices` (in that order), copied into a new split. */
export function takeRows(split: TextSplit, maxLength: number, indices: readonly number[]): TextSplit {
  const tokens = new Int32Array(indices.length * maxLength);
  const labels = split.labels instanceof Uint16Array ? new Uint16Array(indices.length) : new Uint8Array(indices.length);
  indices.forEach((j, i) => {
    tokens.set(split.tokens.subarray(j * maxLength, (j + 1) * maxLength), i * maxLength);
    labels[i] = split.labels[j]!;
  });
  return { count: indices.length, tokens, labels };
}

/**
 * Class names from a split's label values: the distinct values sorted (numerically when all are
 * numbers, so `10` follows `9`), and each value's class index.
 */
export function classesFromValues(values: readonly string[]): { classNames: string[]; index: Map<string, number> } {
  const distinct = [...new Set(values)];
  const numeric = distinct.every((v) => v.trim() !== '' && Number.isFinite(Number(v)));
  distinct.sort(numeric ? (a, b) => Number(a) - Number(b) : (a, b) => (a < b ? -1 : a > b ? 1 : 0));
  return { classNames: distinct, index: new Map(distinct.map((v, i) => [v, i])) };
}
