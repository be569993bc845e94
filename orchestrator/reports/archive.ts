import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { GrnError } from '../../shared/errors.js';
import { archiveKind, listEntries } from '../../worker/engine/datasets/archive.js';

/**
 * A sweep's results kept as one .tar.gz (docs/study/*.tar.gz: the cells, manifest, spec and
 * tuning record of a run, a tenth of the folder's size in git), unpacked into a temporary folder
 * so that `grn report` reads it as it reads any results folder. The archive holds one sweep: its
 * files at the top, or under one folder (what `tar -C results -czf x.tar.gz SWEEP_ID` writes).
 */
export interface UnpackedResults {
  /** The folder with manifest.json / spec.yaml / cells/. */
  readonly dir: string;
  /** Deletes the temporary folder. */
  cleanup(): Promise<void>;
}

/** Whether `path` is a results archive (a file; gzip or plain tar) rather than a folder. */
export async function isResultsArchive(path: string): Promise<boolean> {
  return existsSync(path) && (await archiveKind(path)) !== 'directory';
}

export async function unpackResults(path: string): Promise<UnpackedResults> {
  const root = await mkdtemp(join(tmpdir(), 'grn-report-archive-'));
  const cleanup = () => rm(root, { recursive: true, force: true });
  try {
    const tops = new Set<string>();
    for await (const entry of listEntries(path)) {
      // listEntries gives normalised relative names; a '..' part would write outside the folder.
      if (entry.path.split('/').includes('..')) throw new GrnError(`${path}: archive member '${entry.path}' leaves the archive's folder`);
      const target = join(root, entry.path);
      await mkdir(dirname(target), { recursive: true });
      await writeFile(target, entry.bytes);
      tops.add(entry.path.split('/')[0]!);
    }
    const holdsSweep = (d: string) => ['manifest.json', 'spec.yaml', 'cells'].some((f) => existsSync(join(d, f)));
    if (holdsSweep(root)) return { dir: root, cleanup };
    const only = tops.size === 1 ? join(root, [...tops][0]!) : null;
    if (only && holdsSweep(only)) return { dir: only, cleanup };
    throw new GrnError(`${path}: not a sweep's results archive (no manifest.json, spec.yaml or cells/ at its top or in its one folder)`);
  } catch (err) {
    await cleanup();
    throw err;
  }
}
