import { createHash, randomBytes } from 'node:crypto';
import { mkdir, open, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { ImageClassificationData, ImageSplit, MaskSplit, SegmentationData } from './data.js';

/**
 * Decoded images on disk, so a data set of 60,000 JPEGs is decoded once per machine and then read
 * back as raw bytes (a few hundred MB/s) on every later trial. `<cacheDir>/decoded/<key>.bin` holds
 * train pixels, train labels, test pixels, test labels end to end; `<key>.json` describes them and
 * is written last, so a header exists only for a complete .bin. Anything that does not check out
 * (bad JSON, other version, short .bin) is reported and ignored: the caller decodes again.
 */
export const DECODED_FORMAT_VERSION = 1;

/** The cache key: SHA-256 over the format version, the source's SHA-256 and the decode options. */
export function decodedCacheKey(sourceSha256: string, options: Record<string, unknown>): string {
  return createHash('sha256')
    .update(`grn-decoded-v${DECODED_FORMAT_VERSION}\n${sourceSha256}\n${stableJson(options)}`)
    .digest('hex');
}

function stableJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(stableJson).join(',')}]`;
  if (value && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>).filter(([, v]) => v !== undefined);
    return `{${entries.sort(([a], [b]) => (a < b ? -1 : 1)).map(([k, v]) => `${JSON.stringify(k)}:${stableJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value ?? null);
}

interface SplitHeader {
  readonly count: number;
  readonly pixelsOffset: number;
  readonly pixelsLength: number;
  readonly labelsOffset: number;
  readonly labelsLength: number;
  readonly labelBytes: 1 | 2;
}

/** What the cache holds: classification images with labels, or segmentation images with masks (stored where labels go). */
type Decoded = ImageClassificationData | SegmentationData;

interface Header {
  readonly version: number;
  readonly name: string;
  readonly sample: Decoded['sample'];
  readonly train: SplitHeader;
  readonly test: SplitHeader;
  readonly sha256: Record<string, string>;
  readonly skipped?: ImageClassificationData['skipped'];
  readonly binBytes: number;
}

export function decodedPaths(cacheDir: string, key: string): { bin: string; json: string } {
  const dir = join(cacheDir, 'decoded');
  return { bin: join(dir, `${key}.bin`), json: join(dir, `${key}.json`) };
}

/** Writes atomically: both files go to temporary names first and are renamed, the header last. */
export async function writeDecoded(cacheDir: string, key: string, data: Decoded): Promise<void> {
  const paths = decodedPaths(cacheDir, key);
  await mkdir(join(cacheDir, 'decoded'), { recursive: true });
  const parts: Uint8Array[] = [];
  let offset = 0;
  const place = (bytes: Uint8Array): { offset: number; length: number } => {
    // 8-byte alignment, so the labels can be viewed as Uint16 in place.
    const pad = (8 - (offset % 8)) % 8;
    if (pad) parts.push(new Uint8Array(pad));
    offset += pad;
    const at = offset;
    parts.push(bytes);
    offset += bytes.length;
    return { offset: at, length: bytes.length };
  };
  const split = (s: ImageSplit | MaskSplit): SplitHeader => {
    const pixels = place(s.pixels);
    const values = 'masks' in s ? s.masks : s.labels;
    const labelBytes = values instanceof Uint16Array ? 2 : 1;
    const labels = place(new Uint8Array(values.buffer, values.byteOffset, values.byteLength));
    return { count: s.count, pixelsOffset: pixels.offset, pixelsLength: pixels.length, labelsOffset: labels.offset, labelsLength: labels.length, labelBytes };
  };
  const train = split(data.train);
  const test = split(data.test);
  const header: Header = { version: DECODED_FORMAT_VERSION, name: data.name, sample: data.sample, train, test, sha256: data.sha256, skipped: data.skipped, binBytes: offset };
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
export async function readDecoded(cacheDir: string, key: string, onProgress?: (message: string) => void): Promise<ImageClassificationData | null> {
  const data = await readAny(cacheDir, key, onProgress);
  return data?.task === 'image-classification' ? data : null;
}

/** The cached segmentation data (images and masks), or null as readDecoded. */
export async function readDecodedSegmentation(cacheDir: string, key: string, onProgress?: (message: string) => void): Promise<SegmentationData | null> {
  const data = await readAny(cacheDir, key, onProgress);
  return data?.task === 'segmentation' ? data : null;
}

async function readAny(cacheDir: string, key: string, onProgress?: (message: string) => void): Promise<Decoded | null> {
  const paths = decodedPaths(cacheDir, key);
  let text: string;
  try {
    text = await readFile(paths.json, 'utf8');
  } catch {
    return null;
  }
  const ignore = (reason: string) => {
    onProgress?.(`${paths.bin}: decoded cache ignored (${reason}), decoding again`);
    return null;
  };
  let header: Header;
  try {
    header = JSON.parse(text) as Header;
  } catch (err) {
    return ignore(`unreadable header: ${(err as Error).message}`);
  }
  if (header.version !== DECODED_FORMAT_VERSION) return ignore(`format version ${header.version}, expected ${DECODED_FORMAT_VERSION}`);
  let size: number;
  try {
    size = (await stat(paths.bin)).size;
  } catch {
    return ignore('data file missing');
  }
  if (size !== header.binBytes) return ignore(`data file holds ${size} bytes, header says ${header.binBytes}`);
  const file = await readFile(paths.bin);
  // A plain Uint8Array view (not a Buffer), as the loaders produce: equal data compares equal.
  const bytes = new Uint8Array(file.buffer, file.byteOffset, file.byteLength);
  if (bytes.length !== header.binBytes) return ignore(`data file holds ${bytes.length} bytes, header says ${header.binBytes}`);
  const masks = header.sample.kind === 'image-mask';
  const split = (h: SplitHeader): ImageSplit | MaskSplit | null => {
    const [hh, ww, cc] = header.sample.shape;
    const perSample = masks ? hh * ww : 1;
    if (h.pixelsLength !== h.count * hh * ww * cc || h.labelsLength !== h.count * h.labelBytes * perSample) return null;
    if (h.pixelsOffset + h.pixelsLength > bytes.length || h.labelsOffset + h.labelsLength > bytes.length) return null;
    const pixels = bytes.subarray(h.pixelsOffset, h.pixelsOffset + h.pixelsLength);
    const raw = bytes.subarray(h.labelsOffset, h.labelsOffset + h.labelsLength);
    if (masks) return { count: h.count, pixels, masks: raw };
    const labels = h.labelBytes === 2 ? new Uint16Array(raw.slice().buffer) : raw;
    for (const l of labels) if (l >= header.sample.classes) return null;
    return { count: h.count, pixels, labels };
  };
  const train = split(header.train);
  const test = split(header.test);
  if (!train || !test) return ignore('header and data disagree');
  const common = { name: header.name, sha256: header.sha256, ...(header.skipped ? { skipped: header.skipped } : {}) };
  return header.sample.kind === 'image-mask'
    ? { task: 'segmentation', ...common, sample: header.sample, train: train as MaskSplit, test: test as MaskSplit }
    : { task: 'image-classification', ...common, sample: header.sample, train: train as ImageSplit, test: test as ImageSplit };
}

/** Removes a cache entry (both files); missing files are fine. */
export async function removeDecoded(cacheDir: string, key: string): Promise<void> {
  const paths = decodedPaths(cacheDir, key);
  await rm(paths.json, { force: true });
  await rm(paths.bin, { force: true });
}
