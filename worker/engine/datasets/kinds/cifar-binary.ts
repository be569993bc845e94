import { readFile, stat } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { DataFileError, UsageError } from '../../../../shared/errors.js';
import { archiveKind, listEntries } from '../archive.js';
import type { ImageClassificationData, ImageSplit, LoadOptions, PixelNormalization } from '../data.js';
import { defaultCacheDir, fetchRawFile, sha256, type RemoteFile } from '../files.js';
import { checkFraction, holdoutSplit } from './holdout.js';
import { channelStatistics } from './statistics.js';

/**
 * CIFAR-10's binary version: cifar-10-batches-bin/ with data_batch_1..5.bin (train), test_batch.bin
 * and batches.meta.txt (class names, one a line). Each record is a label byte and 3072 pixel bytes
 * in planes (1024 R, 1024 G, 1024 B, rows of 32), turned here into HWC. Read straight from the
 * .tar.gz, or from the extracted folder (the folder itself or its parent). Without a data folder
 * the archive is downloaded into the cache and checked against the SHA-256 of its raw bytes.
 */
export const CIFAR10_ARCHIVE: RemoteFile = {
  name: 'cifar-10-binary.tar.gz',
  urls: ['https://www.cs.toronto.edu/~kriz/cifar-10-binary.tar.gz'],
  // SHA-256 of the archive itself (170,052,171 bytes), not of its decompressed tar.
  sha256: 'c4a38c50a1bc5f3a1c5537f2155ab9d68f9f25eb1ed8d9ddda3db29a59bca1dd',
};

export const CIFAR_RECORD_BYTES = 3073;
const PIXELS = 3072;
const CLASSES = 10;
export const CIFAR_FOLDER = 'cifar-10-batches-bin';
export const CIFAR_TRAIN_FILES = ['data_batch_1.bin', 'data_batch_2.bin', 'data_batch_3.bin', 'data_batch_4.bin', 'data_batch_5.bin'];
export const CIFAR_TEST_FILE = 'test_batch.bin';
export const CIFAR_META_FILE = 'batches.meta.txt';
const WANTED = new Set([...CIFAR_TRAIN_FILES, CIFAR_TEST_FILE, CIFAR_META_FILE]);

interface CifarFiles {
  /** By file name: the bytes and the name to report in errors. */
  readonly files: Map<string, { bytes: Uint8Array; path: string }>;
  readonly sha256: Record<string, string>;
}

export async function loadCifarBinary(
  name: string,
  options: LoadOptions,
  extra: { normalization?: PixelNormalization } = {},
): Promise<ImageClassificationData> {
  if (options.holdout !== undefined) checkFraction(options.holdout);
  if (options.size || options.channels) throw new UsageError(`${name}: the CIFAR binary batches are 32x32 RGB; size and channels are not supported`);
  const { files, sha256: digests } = await readCifarFiles(options);
  const get = (file: string) => {
    const found = files.get(file);
    if (!found) throw new DataFileError(file, 'missing');
    return found;
  };
  const meta = get(CIFAR_META_FILE);
  const classNames = Buffer.from(meta.bytes).toString('utf8').split(/\r?\n/).map((l) => l.trim()).filter(Boolean);
  if (classNames.length !== CLASSES) throw new DataFileError(meta.path, `expected ${CLASSES} class names, one a line, found ${classNames.length}`);

  const holdout = options.holdout;
  let train = parseBatches(CIFAR_TRAIN_FILES.map(get), holdout === undefined ? options.trainLimit : undefined);
  let test = parseBatches([get(CIFAR_TEST_FILE)], options.testLimit);
  const shape = [32, 32, 3] as const;
  if (holdout !== undefined) {
    ({ train, test } = holdoutSplit(train, shape, CLASSES, holdout, options.seed));
    train = firstRecords(train, options.trainLimit);
    test = firstRecords(test, options.testLimit);
  }
  const normalization: PixelNormalization = extra.normalization ??
    (options.normalization
      ? { mean: [...options.normalization.mean], std: [...options.normalization.std], arithmetic: 'float32' }
      : { ...channelStatistics(train.pixels, 3), arithmetic: 'float32' });
  return {
    task: 'image-classification',
    name,
    sample: { kind: 'image', shape: [32, 32, 3], classes: CLASSES, classNames, normalization },
    train,
    test,
    sha256: digests,
  };
}

function firstRecords(split: ImageSplit, limit: number | undefined): ImageSplit {
  if (limit === undefined || limit >= split.count) return split;
  return { count: limit, pixels: split.pixels.subarray(0, limit * PIXELS), labels: split.labels.subarray(0, limit) };
}

/** Parses batch files end to end (up to `limit` records, in the canonical order) into one HWC split. */
export function parseBatches(batches: ReadonlyArray<{ bytes: Uint8Array; path: string }>, limit?: number): ImageSplit {
  for (const b of batches) checkLength(b.bytes.length, b.path);
  const total = batches.reduce((n, b) => n + b.bytes.length / CIFAR_RECORD_BYTES, 0);
  const count = limit === undefined ? total : Math.min(limit, total);
  const pixels = new Uint8Array(count * PIXELS);
  const labels = new Uint8Array(count);
  let k = 0;
  for (const { bytes, path } of batches) {
    for (let r = 0; r < bytes.length / CIFAR_RECORD_BYTES && k < count; r++, k++) {
      const at = r * CIFAR_RECORD_BYTES;
      const label = bytes[at]!;
      if (label >= CLASSES) throw new DataFileError(path, `record ${r}: label ${label} is not a class 0-9`);
      labels[k] = label;
      // Planar CHW (R plane, G plane, B plane) to interleaved HWC.
      const out = k * PIXELS;
      for (let p = 0; p < 1024; p++) {
        pixels[out + p * 3] = bytes[at + 1 + p]!;
        pixels[out + p * 3 + 1] = bytes[at + 1 + 1024 + p]!;
        pixels[out + p * 3 + 2] = bytes[at + 1 + 2048 + p]!;
      }
    }
  }
  return { count, pixels, labels };
}

function checkLength(length: number, path: string): void {
  const rest = length % CIFAR_RECORD_BYTES;
  if (length === 0) throw new DataFileError(path, 'empty batch file');
  if (rest !== 0) {
    const record = Math.floor(length / CIFAR_RECORD_BYTES);
    throw new DataFileError(
      path,
      `truncated record: ${length} bytes is not a multiple of ${CIFAR_RECORD_BYTES} (record ${record} is short by ${CIFAR_RECORD_BYTES - rest} bytes)`,
    );
  }
}

/** The batch files from the archive, the extracted folder, or the cache (downloading). */
async function readCifarFiles(options: LoadOptions): Promise<CifarFiles> {
  const dataDir = options.dataDir;
  if (!dataDir) {
    const cacheDir = options.cacheDir ?? defaultCacheDir();
    const { path } = await fetchRawFile(CIFAR10_ARCHIVE, { cacheDir, onProgress: options.onProgress });
    return readArchive(path);
  }
  if ((await archiveKind(dataDir)) !== 'directory') return readArchive(dataDir);
  const folder = (await exists(join(dataDir, CIFAR_TRAIN_FILES[0]!))) ? dataDir : join(dataDir, CIFAR_FOLDER);
  const files: CifarFiles['files'] = new Map();
  const digests: Record<string, string> = {};
  for (const name of WANTED) {
    const path = join(folder, name);
    let bytes: Uint8Array;
    try {
      bytes = await readFile(path);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      throw new DataFileError(path, code === 'ENOENT' ? `file not found (CIFAR-10 binary needs ${[...WANTED].join(', ')})` : `cannot read (${(err as Error).message})`);
    }
    files.set(name, { bytes, path });
    digests[`${CIFAR_FOLDER}/${name}`] = sha256(bytes);
  }
  return { files, sha256: digests };
}

async function readArchive(archive: string): Promise<CifarFiles> {
  const files: CifarFiles['files'] = new Map();
  let digest = '';
  for await (const entry of listEntries(archive, { filter: (p) => WANTED.has(basename(p)), onDigest: (d) => (digest = d) })) {
    files.set(basename(entry.path), { bytes: entry.bytes, path: `${archive}/${entry.path}` });
  }
  for (const name of WANTED) {
    if (!files.has(name)) throw new DataFileError(`${archive}/${CIFAR_FOLDER}/${name}`, 'missing from the archive');
  }
  return { files, sha256: { [basename(archive)]: digest } };
}

async function exists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch {
    return false;
  }
}

/** True when the folder or archive holds the binary batches (looks at the archive's first file only). */
export async function isCifarBinarySource(path: string): Promise<boolean> {
  if ((await archiveKind(path)) === 'directory') {
    return (await exists(join(path, CIFAR_TRAIN_FILES[0]!))) || (await exists(join(path, CIFAR_FOLDER, CIFAR_TRAIN_FILES[0]!)));
  }
  for await (const entry of listEntries(path)) return WANTED.has(basename(entry.path)) || entry.path.split('/').includes(CIFAR_FOLDER);
  return false;
}
