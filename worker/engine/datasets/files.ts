import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { DataFileError } from '../../../shared/errors.js';
import { decompress } from './idx.js';

/** A data set file as published: its name, where to fetch it, and the SHA-256 of its decompressed bytes. */
export interface RemoteFile {
  readonly name: string;
  readonly sha256: string;
  /** Mirrors tried in order. */
  readonly urls: readonly string[];
}

/** Default cache: $GRN_CACHE_DIR, else $XDG_CACHE_HOME/grn/datasets, else ~/.cache/grn/datasets. */
export function defaultCacheDir(): string {
  if (process.env.GRN_CACHE_DIR) return process.env.GRN_CACHE_DIR;
  const base = process.env.XDG_CACHE_HOME ?? join(homedir(), '.cache');
  return join(base, 'grn', 'datasets');
}

export function sha256(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/**
 * Reads one file of a data set and returns its decompressed bytes with their SHA-256.
 * From `dataDir`, the file may be stored gzipped (`name`) or raw (`name` without `.gz`); nothing is
 * downloaded. Without it, the cache is used and filled from the mirrors, checking the checksum
 * before the file is kept. Checksums are over decompressed bytes, so recompressed copies match.
 */
export async function fetchDataFile(
  file: RemoteFile,
  options: { dataDir?: string; cacheDir: string; onProgress?: (message: string) => void },
): Promise<{ bytes: Uint8Array; sha256: string; path: string }> {
  if (options.dataDir) {
    const candidates = [join(options.dataDir, file.name), join(options.dataDir, file.name.replace(/\.gz$/, ''))];
    for (const path of candidates) {
      const raw = await readIfExists(path);
      if (raw) {
        const bytes = decompress(raw, path);
        return { bytes, sha256: sha256(bytes), path };
      }
    }
    throw new DataFileError(candidates[0]!, `file not found (also looked for ${candidates[1]})`);
  }
  return fromCacheOrDownload(file, options, decompress);
}

/**
 * The cache's copy of `file` if its checksum (over `checked(raw)`) matches, else a fresh download
 * checked the same way before it is kept (written to `.part`, then renamed).
 */
async function fromCacheOrDownload(
  file: RemoteFile,
  options: { cacheDir: string; onProgress?: (message: string) => void },
  checked: (raw: Uint8Array, path: string) => Uint8Array,
): Promise<{ bytes: Uint8Array; sha256: string; path: string }> {
  const cached = join(options.cacheDir, file.name);
  const raw = await readIfExists(cached);
  if (raw) {
    const bytes = checked(raw, cached);
    const digest = sha256(bytes);
    if (digest === file.sha256) return { bytes, sha256: digest, path: cached };
    options.onProgress?.(`${cached}: checksum mismatch, downloading again`);
  }
  const downloaded = await download(file, options.onProgress);
  const bytes = checked(downloaded, file.name);
  const digest = sha256(bytes);
  if (digest !== file.sha256) {
    throw new DataFileError(file.name, `downloaded file has SHA-256 ${digest}, expected ${file.sha256}`);
  }
  await mkdir(options.cacheDir, { recursive: true });
  const partial = `${cached}.part`;
  await writeFile(partial, downloaded);
  await rename(partial, cached);
  return { bytes, sha256: digest, path: cached };
}

async function download(file: RemoteFile, onProgress?: (message: string) => void): Promise<Uint8Array> {
  const errors: string[] = [];
  for (const url of file.urls) {
    try {
      onProgress?.(`downloading ${url}`);
      const response = await fetch(url, { signal: AbortSignal.timeout(120_000) });
      if (!response.ok) throw new Error(`HTTP ${response.status}`);
      return new Uint8Array(await response.arrayBuffer());
    } catch (err) {
      errors.push(`${url}: ${(err as Error).message}`);
    }
  }
  throw new DataFileError(
    file.name,
    `could not download (${errors.join('; ')}); put the file in a folder and pass --data-dir DIR`,
  );
}

async function readIfExists(path: string): Promise<Uint8Array | null> {
  try {
    return await readFile(path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw new DataFileError(path, `cannot read (${(err as Error).message})`);
  }
}

/**
 * The local folder of a data set, if there is one: an explicit `dataDir`, else
 * `$GRN_DATA_ROOT/<dataset>` when that folder exists (a data root holds one folder per data set,
 * as sweep specs' `data_root` does). Undefined means: use the cache and download.
 */
export function localDataDir(dataset: string, dataDir?: string): string | undefined {
  if (dataDir) return dataDir;
  const root = process.env.GRN_DATA_ROOT;
  if (root && existsSync(join(root, dataset))) return join(root, dataset);
  return undefined;
}

/**
 * Like Promise.all, but when several fail the error reported is the first in list order, not the
 * first to happen: the same bad folder always gives the same message.
 */
export async function firstErrorInOrder<T extends readonly unknown[]>(promises: { [K in keyof T]: Promise<T[K]> }): Promise<T> {
  const settled = await Promise.allSettled(promises);
  const failed = settled.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failed) throw failed.reason;
  return settled.map((r) => (r as PromiseFulfilledResult<unknown>).value) as unknown as T;
}

/**
 * For files published with the SHA-256 of their raw bytes (archives read as they are, such as
 * CIFAR's .tar.gz, where `file.sha256` is the archive's own checksum, not of decompressed bytes):
 * the path of a checked copy in the cache, downloaded from the mirrors when missing or wrong. The
 * bytes are not kept in memory; the caller streams the file.
 */
export async function fetchRawFile(
  file: RemoteFile,
  options: { cacheDir: string; onProgress?: (message: string) => void },
): Promise<{ path: string; sha256: string }> {
  const { path, sha256: digest } = await fromCacheOrDownload(file, options, (raw) => raw);
  return { path, sha256: digest };
}
