import { renameSync, rmSync, writeFileSync } from 'node:fs';

export interface FileToWrite {
  readonly path: string;
  readonly value: unknown;
}

/** A file that could not be written, with the system's reason (ENOSPC, ENOTDIR, EACCES, …). */
export interface FailedWrite {
  readonly path: string;
  readonly code: string | null;
  readonly message: string;
}

/**
 * Runs in a piscina worker thread: serialises and writes a batch of JSON files, each
 * write-then-rename so a reader never sees half a file. One file failing does not stop the others:
 * every failure comes back, so none is lost in silence.
 */
export default function writeFiles(files: readonly FileToWrite[]): FailedWrite[] {
  const failed: FailedWrite[] = [];
  for (const f of files) {
    const tmp = `${f.path}.tmp`;
    try {
      writeFileSync(tmp, `${JSON.stringify(f.value, null, 2)}\n`);
      renameSync(tmp, f.path);
    } catch (err) {
      const e = err as NodeJS.ErrnoException;
      failed.push({ path: f.path, code: e.code ?? null, message: e.message });
      rmSync(tmp, { force: true });
    }
  }
  return failed;
}
