import { randomBytes } from 'node:crypto';
import { mkdir, open, readFile, rename, stat, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { SkippedSamples } from './data.js';

/**
 * The on-disk shape the loaders' caches share (decoded images, token ids): a `.bin` of typed
 * arrays end to end, each 8-byte aligned so it can be viewed in place, and a `.json` header that
 * describes them, written last, so a header exists only for a complete `.bin`.
 */

/** Lays arrays out end to end, each at an 8-byte aligned offset; `add` returns the offset. */
export class BinLayout {
  readonly parts: Uint8Array[] = [];
  bytes = 0;

  add(array: ArrayBufferView): number {
    const pad = (8 - (this.bytes % 8)) % 8;
    if (pad) this.parts.push(new Uint8Array(pad));
    this.bytes += pad;
    const at = this.bytes;
    this.parts.push(new Uint8Array(array.buffer, array.byteOffset, array.byteLength));
    this.bytes += array.byteLength;
    return at;
  }
}

/** Writes atomically: both files go to temporary names first and are renamed, the header last. */
export async function writeCacheEntry(paths: { bin: string; json: string }, layout: BinLayout, header: object): Promise<void> {
  await mkdir(dirname(paths.bin), { recursive: true });
  const suffix = `.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  const handle = await open(paths.bin + suffix, 'w');
  try {
    for (const part of layout.parts) await handle.write(part);
  } finally {
    await handle.close();
  }
  await writeFile(paths.json + suffix, JSON.stringify(header));
  await rename(paths.bin + suffix, paths.bin);
  await rename(paths.json + suffix, paths.json);
}

/**
 * The header and the `.bin`'s bytes of an entry, or null: none there, or one that does not check
 * out (bad JSON, another format version, a `.bin` of another size than the header's `binBytes`),
 * said through `ignore`, after which the caller computes the data again.
 */
export async function readCacheEntry<H extends { version: number; binBytes: number }>(
  paths: { bin: string; json: string },
  version: number,
  ignore: (reason: string) => null,
): Promise<{ header: H; bytes: Uint8Array } | null> {
  let text: string;
  try {
    text = await readFile(paths.json, 'utf8');
  } catch {
    return null;
  }
  let header: H;
  try {
    header = JSON.parse(text) as H;
  } catch (err) {
    return ignore(`unreadable header: ${(err as Error).message}`);
  }
  if (header.version !== version) return ignore(`format version ${header.version}, expected ${version}`);
  try {
    const size = (await stat(paths.bin)).size;
    if (size !== header.binBytes) return ignore(`data file holds ${size} bytes, header says ${header.binBytes}`);
  } catch {
    return ignore('data file missing');
  }
  const file = await readFile(paths.bin);
  if (file.byteLength !== header.binBytes) return ignore(`data file holds ${file.byteLength} bytes, header says ${header.binBytes}`);
  // A plain Uint8Array over a buffer of its own (offset 0), so parts can be viewed as wider types in place.
  const bytes = file.byteOffset === 0 && file.buffer.byteLength === file.byteLength ? new Uint8Array(file.buffer) : new Uint8Array(file);
  return { header, bytes };
}

/** The header both caches write: the data set's description, one header per split, the sources. */
export interface CacheHeader<Sample, Split> {
  readonly version: number;
  readonly name: string;
  readonly sample: Sample;
  readonly train: Split;
  readonly test: Split;
  readonly sha256: Record<string, string>;
  readonly skipped?: SkippedSamples;
  readonly binBytes: number;
}

/** The header of `data` with its splits' headers (in .bin order: train, then test). */
export function cacheHeader<Sample, Split, S>(
  version: number,
  data: { name: string; sample: Sample; train: S; test: S; sha256: Record<string, string>; skipped?: SkippedSamples },
  layout: BinLayout,
  split: (s: S) => Split,
): CacheHeader<Sample, Split> {
  const train = split(data.train);
  const test = split(data.test);
  return { version, name: data.name, sample: data.sample, train, test, sha256: data.sha256, skipped: data.skipped, binBytes: layout.bytes };
}

/** A loaded data set from a header and its splits read back. */
export function fromCacheHeader<T extends string, Sample, S>(task: T, header: CacheHeader<Sample, unknown>, train: S, test: S) {
  return { task, name: header.name, sample: header.sample, train, test, sha256: header.sha256, ...(header.skipped ? { skipped: header.skipped } : {}) };
}
