import { join } from 'node:path';
import { BinLayout, cacheHeader, fromCacheHeader, readCacheEntry, writeCacheEntry, type CacheHeader } from '../cache-files.js';
import type { TextClassificationData, TextSplit } from '../data.js';

/**
 * Token ids on disk, as decoded-cache.ts keeps decoded images: `<cacheDir>/tokens/<key>.bin` holds
 * train tokens, train labels, test tokens, test labels end to end (little-endian int32 tokens, each
 * part 8-byte aligned); `<key>.json` describes them and is written last, so a header exists only for
 * a complete .bin. Anything that does not check out is reported and ignored: the caller tokenises
 * again. The key (decodedCacheKey) covers the sources' checksums and every tokenizer setting.
 */
export const TOKENS_FORMAT_VERSION = 1;

interface SplitHeader {
  readonly count: number;
  readonly tokensOffset: number;
  readonly labelsOffset: number;
  readonly labelBytes: 1 | 2;
}

type Header = CacheHeader<TextClassificationData['sample'], SplitHeader>;

export function tokenPaths(cacheDir: string, key: string): { bin: string; json: string } {
  const dir = join(cacheDir, 'tokens');
  return { bin: join(dir, `${key}.bin`), json: join(dir, `${key}.json`) };
}

/** Writes atomically (cache-files.ts): the .bin, then the header. */
export async function writeTokens(cacheDir: string, key: string, data: TextClassificationData): Promise<void> {
  const layout = new BinLayout();
  const split = (s: TextSplit): SplitHeader => ({
    count: s.count,
    tokensOffset: layout.add(s.tokens),
    labelsOffset: layout.add(s.labels),
    labelBytes: s.labels instanceof Uint16Array ? 2 : 1,
  });
  await writeCacheEntry(tokenPaths(cacheDir, key), layout, cacheHeader(TOKENS_FORMAT_VERSION, data, layout, split));
}

/** The cached data, or null when there is none or it does not check out (said through onProgress). */
export async function readTokens(cacheDir: string, key: string, onProgress?: (message: string) => void): Promise<TextClassificationData | null> {
  const paths = tokenPaths(cacheDir, key);
  const ignore = (reason: string) => {
    onProgress?.(`${paths.bin}: token cache ignored (${reason}), tokenising again`);
    return null;
  };
  const entry = await readCacheEntry<Header>(paths, TOKENS_FORMAT_VERSION, ignore);
  if (!entry) return null;
  const { header } = entry;
  const { buffer } = entry.bytes;
  const { maxLength, classes, vocabSize } = header.sample;
  const split = (h: SplitHeader): TextSplit | null => {
    const tokenBytes = h.count * maxLength * 4;
    if (h.tokensOffset % 4 || h.labelsOffset % 2 || h.tokensOffset + tokenBytes > buffer.byteLength || h.labelsOffset + h.count * h.labelBytes > buffer.byteLength) return null;
    const tokens = new Int32Array(buffer, h.tokensOffset, h.count * maxLength);
    const labels = h.labelBytes === 2 ? new Uint16Array(buffer, h.labelsOffset, h.count) : new Uint8Array(buffer, h.labelsOffset, h.count);
    for (const l of labels) if (l >= classes) return null;
    for (const t of tokens) if (t < 0 || t >= vocabSize) return null;
    return { count: h.count, tokens, labels };
  };
  const train = split(header.train);
  const test = split(header.test);
  if (!train || !test) return ignore('header and data disagree');
  return fromCacheHeader('text-classification', header, train, test);
}
