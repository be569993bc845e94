import { randomBytes } from 'node:crypto';
import { mkdir, open, readFile, rename, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
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

interface Header {
  readonly version: number;
  readonly name: string;
  readonly sample: TextClassificationData['sample'];
  readonly train: SplitHeader;
  readonly test: SplitHeader;
  readonly sha256: Record<string, string>;
  readonly skipped?: TextClassificationData['skipped'];
  readonly binBytes: number;
}

export function tokenPaths(cacheDir: string, key: string): { bin: string; json: string } {
  const dir = join(cacheDir, 'tokens');
  return { bin: join(dir, `${key}.bin`), json: join(dir, `${key}.json`) };
}

/** Writes atomically: both files go to temporary names first and are renamed, the header last. */
export async function writeTokens(cacheDir: string, key: string, data: TextClassificationData): Promise<void> {
  const paths = tokenPaths(cacheDir, key);
  await mkdir(join(cacheDir, 'tokens'), { recursive: true });
  const parts: Uint8Array[] = [];
  let offset = 0;
  const place = (array: ArrayBufferView): number => {
    const pad = (8 - (offset % 8)) % 8;
    if (pad) parts.push(new Uint8Array(pad));
    offset += pad;
    const at = offset;
    parts.push(new Uint8Array(array.buffer, array.byteOffset, array.byteLength));
    offset += array.byteLength;
    return at;
  };
  const split = (s: TextSplit): SplitHeader => ({
    count: s.count,
    tokensOffset: place(s.tokens),
    labelsOffset: place(s.labels),
    labelBytes: s.labels instanceof Uint16Array ? 2 : 1,
  });
  const train = split(data.train);
  const test = split(data.test);
  const header: Header = { version: TOKENS_FORMAT_VERSION, name: data.name, sample: data.sample, train, test, sha256: data.sha256, skipped: data.skipped, binBytes: offset };
  const suffix = `.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  const handle = await open(paths.bin + suffix, 'w');
  try {
    for (const part of parts) await handle.write(part);
  } finally {
    await handle.close();
  }
  await writeFile(paths.json + suffix, JSON.stringify(header));
  await rename(paths.bin + suffix, paths.bin);
  await rename(paths.json + suffix, paths.json);
}

/** The cached data, or null when there is none or it does not check out (said through onProgress). */
export async function readTokens(cacheDir: string, key: string, onProgress?: (message: string) => void): Promise<TextClassificationData | null> {
  const paths = tokenPaths(cacheDir, key);
  let text: string;
  try {
    text = await readFile(paths.json, 'utf8');
  } catch {
    return null;
  }
  const ignore = (reason: string) => {
    onProgress?.(`${paths.bin}: token cache ignored (${reason}), tokenising again`);
    return null;
  };
  let header: Header;
  try {
    header = JSON.parse(text) as Header;
  } catch (err) {
    return ignore(`unreadable header: ${(err as Error).message}`);
  }
  if (header.version !== TOKENS_FORMAT_VERSION) return ignore(`format version ${header.version}, expected ${TOKENS_FORMAT_VERSION}`);
  try {
    const size = (await stat(paths.bin)).size;
    if (size !== header.binBytes) return ignore(`data file holds ${size} bytes, header says ${header.binBytes}`);
  } catch {
    return ignore('data file missing');
  }
  const file = await readFile(paths.bin);
  // An ArrayBuffer of its own (aligned at 0), so the parts can be viewed as Int32/Uint16 in place.
  const buffer = file.byteOffset === 0 && file.buffer.byteLength === file.byteLength ? file.buffer : file.buffer.slice(file.byteOffset, file.byteOffset + file.byteLength);
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
  return {
    task: 'text-classification',
    name: header.name,
    sample: header.sample,
    train,
    test,
    sha256: header.sha256,
    ...(header.skipped ? { skipped: header.skipped } : {}),
  };
}
