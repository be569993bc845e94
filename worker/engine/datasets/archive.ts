import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { open, readdir, readFile, stat } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { Transform, pipeline } from 'node:stream';
import { createGunzip } from 'node:zlib';
import * as tar from 'tar-stream';
import { DataFileError } from '../../../shared/errors.js';

/**
 * One uniform source of files for the image loaders: a folder tree, a .tar, or a .tar.gz/.tgz read
 * straight from the archive (streamed through zlib and tar-stream, never extracted to disk), so a
 * team's 60,000-JPEG tarball costs no inode storm and no scratch space.
 */
export type SourceKind = 'directory' | 'tar' | 'tar.gz';

export interface SourceEntry {
  /** Relative to the source's root, '/' separators, no leading './'. */
  readonly path: string;
  readonly bytes: Uint8Array;
}

export interface ListOptions {
  /** Which files to read: the others are skipped without keeping their bytes. */
  readonly filter?: (path: string) => boolean;
  /** Every folder seen (tar directory entries and every file's parents), relative, without trailing '/'. */
  readonly onDirectory?: (path: string) => void;
  /** For archives: the SHA-256 of the archive's own bytes, hashed from the same stream, once it is all read. */
  readonly onDigest?: (sha256: string) => void;
}

/**
 * What a path is. Gzip is told by its magic bytes (1f 8b), not the name, so a .tar that is really
 * gzipped (or the reverse) still reads; anything else that is a file is taken for a tar, and the
 * tar reader says so when it is not one.
 */
export async function archiveKind(path: string): Promise<SourceKind> {
  let info;
  try {
    info = await stat(path);
  } catch (err) {
    throw new DataFileError(path, (err as NodeJS.ErrnoException).code === 'ENOENT' ? 'not found' : `cannot read (${(err as Error).message})`);
  }
  if (info.isDirectory()) return 'directory';
  const handle = await open(path, 'r');
  try {
    const magic = Buffer.alloc(2);
    const { bytesRead } = await handle.read(magic, 0, 2, 0);
    return bytesRead === 2 && magic[0] === 0x1f && magic[1] === 0x8b ? 'tar.gz' : 'tar';
  } finally {
    await handle.close();
  }
}

/** Files beside a data set's archive that say nothing about its contents (checksums, notes). */
const SIDE_FILE = /^(\.|readme|license|sha\d*sums|md5sums)|\.(md|txt|sha256|md5)$/i;
const ARCHIVE_NAME = /\.(tar|tar\.gz|tgz)$/i;

/**
 * The path a loader should read for `path`: the path itself, or — when it is a folder that holds
 * one archive and nothing else but side files (README, checksums) — that archive, so pointing at
 * the folder a download landed in works as well as naming the file.
 */
export async function resolveSource(path: string): Promise<string> {
  if ((await archiveKind(path)) !== 'directory') return path;
  const entries = await readdir(path, { withFileTypes: true });
  const meaningful = entries.filter((e) => !SIDE_FILE.test(e.name));
  const only = meaningful.length === 1 ? meaningful[0]! : undefined;
  return only && only.isFile() && ARCHIVE_NAME.test(only.name) ? join(path, only.name) : path;
}

/** Normalises an archive member's name: '/' separators, no leading './' or '/', no trailing '/'. */
export function normaliseEntryPath(name: string): string {
  let p = name.replace(/\\/g, '/');
  while (p.startsWith('./')) p = p.slice(2);
  p = p.replace(/^\/+/, '').replace(/\/+$/, '').replace(/\/{2,}/g, '/');
  return p === '.' ? '' : p;
}

/** The regular files of a folder tree or tar archive, in the source's order (a folder: sorted by path). */
export async function* listEntries(path: string, options: ListOptions = {}): AsyncGenerator<SourceEntry> {
  const kind = await archiveKind(path);
  if (kind === 'directory') yield* directoryEntries(path, options);
  else yield* tarEntries(path, kind === 'tar.gz', options);
}

/**
 * A name and SHA-256 for a source, for the manifest and the decoded cache's key. An archive: its
 * basename and the SHA-256 of its bytes (streamed). A folder: '<basename>/' and the SHA-256 over the
 * sorted list of lines `relative/path\0<file sha256>\n` of all its regular files, so a copy of the
 * tree anywhere hashes the same and any renamed, added or changed file changes it.
 */
export async function sourceDigest(path: string): Promise<{ name: string; sha256: string }> {
  const kind = await archiveKind(path);
  if (kind !== 'directory') {
    const hash = createHash('sha256');
    await new Promise<void>((resolve, reject) => {
      createReadStream(path)
        .on('data', (chunk) => hash.update(chunk))
        .on('end', () => resolve())
        .on('error', (err) => reject(new DataFileError(path, `cannot read (${err.message})`)));
    });
    return { name: basename(path), sha256: hash.digest('hex') };
  }
  const tree = createHash('sha256');
  for (const rel of await walk(path)) {
    const fileSha = createHash('sha256').update(await readFile(join(path, rel))).digest('hex');
    tree.update(`${rel}\0${fileSha}\n`);
  }
  return { name: `${basename(path)}/`, sha256: tree.digest('hex') };
}

/** All regular files under `root`, relative, sorted by path (byte order of the '/'-joined names). */
async function walk(root: string): Promise<string[]> {
  const out: string[] = [];
  const visit = async (rel: string): Promise<void> => {
    let items;
    try {
      items = await readdir(rel ? join(root, rel) : root, { withFileTypes: true });
    } catch (err) {
      throw new DataFileError(rel ? join(root, rel) : root, `cannot list folder (${(err as Error).message})`);
    }
    for (const item of items) {
      const child = rel ? `${rel}/${item.name}` : item.name;
      if (item.isDirectory()) await visit(child);
      else if (item.isFile()) out.push(child);
    }
  };
  await visit('');
  return out.sort(comparePaths);
}

function comparePaths(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

async function* directoryEntries(root: string, options: ListOptions): AsyncGenerator<SourceEntry> {
  const dirs = new Set<string>();
  const noteDirs = (rel: string) => {
    const parts = rel.split('/');
    for (let i = 1; i < parts.length; i++) dirs.add(parts.slice(0, i).join('/'));
  };
  // Folders are reported before files, so empty folders (no file to imply them) are seen too.
  const visitDirs = async (rel: string): Promise<void> => {
    for (const item of await readdir(rel ? join(root, rel) : root, { withFileTypes: true })) {
      if (!item.isDirectory()) continue;
      const child = rel ? `${rel}/${item.name}` : item.name;
      dirs.add(child);
      await visitDirs(child);
    }
  };
  const files = await walk(root);
  if (options.onDirectory) {
    await visitDirs('');
    for (const f of files) noteDirs(f);
    for (const d of [...dirs].sort(comparePaths)) options.onDirectory(d);
  }
  for (const rel of files) {
    if (options.filter && !options.filter(rel)) continue;
    yield { path: rel, bytes: await readFile(join(root, rel)) };
  }
}

async function* tarEntries(path: string, gzipped: boolean, options: ListOptions): AsyncGenerator<SourceEntry> {
  const hash = createHash('sha256');
  const hasher = new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      hash.update(chunk);
      callback(null, chunk);
    },
  });
  const extract = tar.extract();
  const file = createReadStream(path);
  let pipeError: Error | undefined;
  const streams = gzipped ? [file, hasher, createGunzip(), extract] : [file, hasher, extract];
  // tar-stream's extract is a streamx Writable, which node's pipeline drives like a core stream.
  (pipeline as (...args: unknown[]) => void)(...streams, (err: Error | null | undefined) => {
    if (err) pipeError = err;
  });
  const seenDirs = new Set<string>();
  const noteDir = (dir: string) => {
    if (!dir || seenDirs.has(dir)) return;
    const parent = dir.includes('/') ? dir.slice(0, dir.lastIndexOf('/')) : '';
    noteDir(parent);
    seenDirs.add(dir);
    options.onDirectory?.(dir);
  };
  let entries = 0;
  try {
    for await (const entry of extract) {
      entries++;
      const header = entry.header;
      const name = normaliseEntryPath(header.name);
      if (header.type === 'directory') {
        noteDir(name);
        for await (const _ of entry) void _;
        continue;
      }
      const regular = header.type === 'file' || header.type === 'contiguous-file';
      if (!regular || !name) {
        for await (const _ of entry) void _;
        continue;
      }
      if (name.includes('/')) noteDir(name.slice(0, name.lastIndexOf('/')));
      if (options.filter && !options.filter(name)) {
        for await (const _ of entry) void _;
        continue;
      }
      const chunks: Buffer[] = [];
      for await (const chunk of entry) chunks.push(chunk as Buffer);
      yield { path: name, bytes: chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks) };
    }
  } catch (err) {
    throw tarError(path, gzipped, pipeError ?? (err as Error), entries);
  } finally {
    file.destroy();
  }
  if (pipeError) throw tarError(path, gzipped, pipeError, entries);
  if (entries === 0 && !gzipped) {
    // tar-stream ends quietly on input too short for one header; an empty tar is zero blocks.
    const bytes = await readFile(path);
    if (bytes.length > 0 && !bytes.every((b) => b === 0)) throw new DataFileError(path, 'not a tar archive: no tar header found');
  }
  options.onDigest?.(hash.digest('hex'));
}

/** Says which layer failed: the gzip stream, a header that is not tar, or an archive cut short. */
function tarError(path: string, gzipped: boolean, err: Error, entries: number): DataFileError {
  if (err instanceof DataFileError) return err;
  const code = (err as NodeJS.ErrnoException).code ?? '';
  const message = err.message;
  if (gzipped && (code.startsWith('Z_') || /unexpected end of file|incorrect header check|invalid/i.test(message)) && !/tar header/.test(message)) {
    return new DataFileError(path, `corrupt or truncated gzip stream (${message})`);
  }
  if (/Invalid tar header/i.test(message)) {
    return entries === 0
      ? new DataFileError(path, `not a tar archive: ${message}`)
      : new DataFileError(path, `corrupt tar archive after ${entries} entries: ${message}`);
  }
  if (/Unexpected end of data/i.test(message)) {
    return entries === 0
      ? new DataFileError(path, 'not a tar archive: input ends inside the first header')
      : new DataFileError(path, `truncated tar archive: ends inside entry ${entries}`);
  }
  return new DataFileError(path, `cannot read archive (${message})`);
}
