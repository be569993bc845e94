import { createHash } from 'node:crypto';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { BinLayout, cacheHeader, fromCacheHeader, readCacheEntry, writeCacheEntry, type CacheHeader } from './cache-files.js';
import type { ImageClassificationData, ImageSplit, MaskSample, MaskSplit, SegmentationData } from './data.js';

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

type Header = CacheHeader<ImageClassificationData['sample'], SplitHeader>;

export function decodedPaths(cacheDir: string, key: string): { bin: string; json: string } {
  const dir = join(cacheDir, 'decoded');
  return { bin: join(dir, `${key}.bin`), json: join(dir, `${key}.json`) };
}

/** Writes atomically: both files go to temporary names first and are renamed, the header last. */
export async function writeDecoded(cacheDir: string, key: string, data: ImageClassificationData | SegmentationData): Promise<void> {
  const layout = new BinLayout();
  // A segmentation split's masks go where a classification split's labels go (one byte a pixel).
  const split = (s: ImageSplit | MaskSplit): SplitHeader => {
    const values = 'masks' in s ? s.masks : s.labels;
    const pixelsOffset = layout.add(s.pixels);
    const labelBytes = values instanceof Uint16Array ? 2 : 1;
    const labelsOffset = layout.add(values);
    return { count: s.count, pixelsOffset, pixelsLength: s.pixels.length, labelsOffset, labelsLength: values.byteLength, labelBytes };
  };
  const entry = data as { name: string; sample: unknown; train: ImageSplit | MaskSplit; test: ImageSplit | MaskSplit; sha256: Record<string, string>; skipped?: SegmentationData['skipped'] };
  await writeCacheEntry(decodedPaths(cacheDir, key), layout, cacheHeader(DECODED_FORMAT_VERSION, entry, layout, split));
}

/** The cached data, or null when there is none or it does not check out (said through onProgress). */
export async function readDecoded(cacheDir: string, key: string, onProgress?: (message: string) => void): Promise<ImageClassificationData | null> {
  const paths = decodedPaths(cacheDir, key);
  const ignore = (reason: string) => {
    onProgress?.(`${paths.bin}: decoded cache ignored (${reason}), decoding again`);
    return null;
  };
  const entry = await readCacheEntry<Header>(paths, DECODED_FORMAT_VERSION, ignore);
  if (!entry) return null;
  const { header, bytes } = entry;
  const split = (h: SplitHeader): ImageSplit | null => {
    const [hh, ww, cc] = header.sample.shape;
    if (h.pixelsLength !== h.count * hh * ww * cc || h.labelsLength !== h.count * h.labelBytes) return null;
    if (h.pixelsOffset + h.pixelsLength > bytes.length || h.labelsOffset + h.labelsLength > bytes.length) return null;
    const pixels = bytes.subarray(h.pixelsOffset, h.pixelsOffset + h.pixelsLength);
    const raw = bytes.subarray(h.labelsOffset, h.labelsOffset + h.labelsLength);
    const labels = h.labelBytes === 2 ? new Uint16Array(raw.slice().buffer) : raw;
    for (const l of labels) if (l >= header.sample.classes) return null;
    return { count: h.count, pixels, labels };
  };
  const train = split(header.train);
  const test = split(header.test);
  if (!train || !test) return ignore('header and data disagree');
  return fromCacheHeader('image-classification', header, train, test);
}

/** Removes a cache entry (both files); missing files are fine. */
/** The cached segmentation data (images and masks), or null as readDecoded. */
export async function readDecodedSegmentation(cacheDir: string, key: string, onProgress?: (message: string) => void): Promise<SegmentationData | null> {
  const paths = decodedPaths(cacheDir, key);
  const ignore = (reason: string) => {
    onProgress?.(`${paths.bin}: decoded cache ignored (${reason}), decoding again`);
    return null;
  };
  const entry = await readCacheEntry<CacheHeader<MaskSample, SplitHeader>>(paths, DECODED_FORMAT_VERSION, ignore);
  if (!entry) return null;
  const { header, bytes } = entry;
  if (header.sample.kind !== 'image-mask') return ignore('not a segmentation entry');
  const split = (h: SplitHeader): MaskSplit | null => {
    const [hh, ww, cc] = header.sample.shape;
    if (h.pixelsLength !== h.count * hh * ww * cc || h.labelBytes !== 1 || h.labelsLength !== h.count * hh * ww) return null;
    if (h.pixelsOffset + h.pixelsLength > bytes.length || h.labelsOffset + h.labelsLength > bytes.length) return null;
    return { count: h.count, pixels: bytes.subarray(h.pixelsOffset, h.pixelsOffset + h.pixelsLength), masks: bytes.subarray(h.labelsOffset, h.labelsOffset + h.labelsLength) };
  };
  const train = split(header.train);
  const test = split(header.test);
  if (!train || !test) return ignore('header and data disagree');
  return fromCacheHeader('segmentation', header, train, test);
}

export async function removeDecoded(cacheDir: string, key: string): Promise<void> {
  const paths = decodedPaths(cacheDir, key);
  await rm(paths.json, { force: true });
  await rm(paths.bin, { force: true });
}
