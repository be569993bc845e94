import { constants } from 'node:fs';
import { access, mkdir, stat } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { UsageError } from '../../shared/errors.js';

/**
 * Output paths are checked before any work starts: a training that runs for an hour and then
 * cannot write its result has lost the hour. Each problem is a usage error (exit 2) naming the path.
 */

async function kind(path: string): Promise<'file' | 'dir' | 'other' | null> {
  try {
    const s = await stat(path);
    return s.isDirectory() ? 'dir' : s.isFile() ? 'file' : 'other';
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw new UsageError(`${path}: cannot be used for output (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
  }
}

/** Creates `dir` (and its parents) and checks that files can be written there. */
async function writableDir(dir: string, what: string, flag: string): Promise<void> {
  try {
    await mkdir(dir, { recursive: true });
    await access(dir, constants.W_OK);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const why = code === 'ENOTDIR' || code === 'EEXIST' ? 'a file is in the way' : code === 'EACCES' ? 'permission denied' : (code ?? (err as Error).message);
    throw new UsageError(`${flag} ${dir}: cannot write the ${what} there (${why})`);
  }
}

/** A file to be written (replaced if it exists): not a folder, in a folder that can be written. */
export async function checkOutputFile(path: string, flag: string, what: string): Promise<string> {
  const found = await kind(path);
  if (found === 'dir') throw new UsageError(`${flag} ${path}: is a folder; give a file name for the ${what} (e.g. ${resolve(path, 'result.json')})`);
  if (found === 'other') throw new UsageError(`${flag} ${path}: is not a regular file`);
  await writableDir(dirname(path), what, flag);
  if (found === 'file') {
    await access(path, constants.W_OK).catch(() => {
      throw new UsageError(`${flag} ${path}: exists and cannot be overwritten (permission denied)`);
    });
  }
  return path;
}

/** A folder to write into: created if missing; not a file. */
export async function checkOutputDir(path: string, flag: string, what: string): Promise<string> {
  const found = await kind(path);
  if (found === 'file' || found === 'other') throw new UsageError(`${flag} ${path}: is a file, not a folder; give a folder for the ${what}`);
  await writableDir(path, what, flag);
  return path;
}
