import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import writeFiles from '../orchestrator/sweep/write-files.task.js';

/**
 * Microseconds to write one result file the way the orchestrator does (JSON, write then rename),
 * in a fresh folder under `parent`, on one quiet thread. The no-op benchmark writes one such file
 * per cell, so this says what state the disk was in for a run.
 *
 * Why it is worth printing: on a journal-less ext4 (this VM's root), allocating an inode scans
 * past every free inode of the block group that was deleted in the last 1–6 minutes
 * (`recently_deleted()` in fs/ext4/ialloc.c, checked only without a journal). After an earlier run
 * or a test suite deleted ~10,000 files, creating a file nearby went from 20–50 µs to 100–1,000 µs
 * for about six minutes (sync does not shorten it) — up to the whole CPU budget of a no-op cell.
 */
export function probeFileCreate(parent: string, files = 300): number {
  const dir = join(parent, '.disk-probe');
  mkdirSync(dir, { recursive: true });
  const value = { format: 'probe', loss: [0.5], accuracy: [0.5], manifest: { note: 'x'.repeat(600) } };
  const batch = Array.from({ length: files }, (_, i) => ({ path: join(dir, `p${i}.json`), value }));
  const t0 = performance.now();
  writeFiles(batch);
  return ((performance.now() - t0) * 1000) / files;
}
