import { renameSync, writeFileSync } from 'node:fs';

export interface FileToWrite {
  readonly path: string;
  readonly value: unknown;
}

/**
 * Runs in a piscina worker thread: serialises and writes a batch of JSON files, each
 * write-then-rename so a reader never sees half a file.
 */
export default function writeFiles(files: readonly FileToWrite[]): number {
  for (const f of files) {
    const tmp = `${f.path}.tmp`;
    writeFileSync(tmp, `${JSON.stringify(f.value, null, 2)}\n`);
    renameSync(tmp, f.path);
  }
  return files.length;
}
