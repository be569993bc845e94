import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createWriteStream } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { createGzip } from 'node:zlib';
import { after, test } from 'node:test';
import { promisify } from 'node:util';
import * as tar from 'tar-stream';
import { unpackResults } from './archive.js';
import { writeReport } from './report.js';
import { writeSyntheticFolder, type SyntheticSpec } from './synthetic.js';

const root = mkdtempSync(join(tmpdir(), 'grn-report-archive-test-'));
after(() => rmSync(root, { recursive: true, force: true }));

const SPEC: SyntheticSpec = { name: 'archived', optimizers: ['sgd', 'adam'], datasets: ['mnist'], seeds: [1, 2, 3], epochs: 2, stepsPerEpoch: 10, telemetryEvery: 2, target: 0.8 };

/** A .tar.gz of `files` (name → text), written with tar-stream as `tar -czf` would. */
async function tarGz(path: string, files: Record<string, string>): Promise<void> {
  const pack = tar.pack();
  for (const [name, text] of Object.entries(files)) pack.entry({ name }, text);
  pack.finalize();
  await pipeline(pack, createGzip(), createWriteStream(path));
}

const run = promisify(execFile);
const grn = join(import.meta.dirname, '..', '..', '..', 'bin', 'grn.js');

test('grn report ARCHIVE.tar.gz: the same report as from the folder, written beside the archive', async () => {
  const folder = join(root, 'archived');
  await writeSyntheticFolder(folder, SPEC);
  await writeReport(folder, { formats: ['md'], png: false });
  // The folder's files under one top folder, as `tar -C results -czf archived.tar.gz archived` writes them.
  const files: Record<string, string> = {};
  const { readdirSync, statSync } = await import('node:fs');
  const walk = (rel: string): void => {
    for (const name of readdirSync(join(folder, rel))) {
      const r = rel ? `${rel}/${name}` : name;
      if (statSync(join(folder, r)).isDirectory()) walk(r);
      else if (r === 'manifest.json' || r === 'spec.yaml' || r.startsWith('cells/')) files[`archived/${r}`] = readFileSync(join(folder, r), 'utf8');
    }
  };
  walk('');
  const archive = join(root, 'study', 'archived.tar.gz');
  await (await import('node:fs/promises')).mkdir(join(root, 'study'));
  await tarGz(archive, files);

  await run(process.execPath, [grn, 'report', archive, '--format', 'md', '--no-png']);
  const fromArchive = readFileSync(join(root, 'study', 'archived', 'report.md'), 'utf8');
  const fromFolder = readFileSync(join(folder, 'report.md'), 'utf8');
  assert.match(fromArchive, /6 of 6 cells have results/);
  assert.equal(fromArchive, fromFolder);
});

test('an archive member that climbs out of the folder, or an archive without a sweep, is refused by name, and nothing is left behind', async () => {
  const climbing = join(root, 'climbing.tar.gz');
  await tarGz(climbing, { 'x/manifest.json': '{}', 'x/../../evil.json': '{}' });
  await assert.rejects(unpackResults(climbing), (err: Error) => /climbing\.tar\.gz: archive member .* leaves the archive's folder|not a sweep's results archive/.test(err.message));
  assert.ok(!existsSync(join(root, '..', 'evil.json')));

  const notSweep = join(root, 'not-a-sweep.tar.gz');
  await tarGz(notSweep, { 'a/readme.txt': 'hello', 'b/other.txt': 'x' });
  await assert.rejects(unpackResults(notSweep), /not-a-sweep\.tar\.gz: not a sweep's results archive/);
});
