import assert from 'node:assert/strict';
import { execaNode } from 'execa';
import { mkdir, mkdtemp, readFile, rename, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { writeMnistFixture } from '../../test/helpers/mnist-fixture.js';

/**
 * `grn sweep ablate` end to end, as a user runs it: the real CLI starts its embedded nats-server
 * and two local workers, trains the base and two one-switch flips of EnhancedSGD on the tiny MNIST
 * fixture (mlp, cpu backend, 2 seeds), and writes the report, which has the Ablation section.
 */
const GRN = fileURLToPath(new URL('../../../bin/grn.js', import.meta.url));
let dir: string;
before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'grn-ablate-e2e-'));
  // A data root holds one folder per data set.
  await mkdir(join(dir, 'data'));
  await rename(await writeMnistFixture({ train: 64, test: 32 }), join(dir, 'data', 'mnist'));
});
after(async () => {
  await rm(dir, { recursive: true, force: true });
});

test('grn sweep ablate runs the base and the flips on a real nats-server and reports the ablation', { timeout: 180_000 }, async () => {
  const results = join(dir, 'results');
  const run = await execaNode(
    GRN,
    [
      'sweep', 'ablate', 'enhanced-sgd', '--base', 'intended', '--components', 'centering,noise', '--dataset', 'mnist', '--seeds', '1-2',
      '--model', 'mlp', '--backend', 'cpu', '--epochs', '1', '--batch-size', '16', '--data-root', join(dir, 'data'), '--target', 'mnist=0.1',
      '--local-workers', '2', '--results', results, '--id', 'ablate-e2e', '--json',
    ],
    { reject: false, env: { GRN_DATA_ROOT: '' } },
  );
  assert.equal(run.exitCode, 0, run.stderr);
  const outcome = JSON.parse(run.stdout) as { counts: { done: number; total: number } };
  assert.deepEqual([outcome.counts.done, outcome.counts.total], [6, 6]);

  const sweep = join(results, 'ablate-e2e');
  const manifest = JSON.parse(await readFile(join(sweep, 'manifest.json'), 'utf8')) as { cells: Array<{ cell: string; label: string; ablation?: unknown }> };
  assert.deepEqual(manifest.cells.map((c) => c.cell), [
    'enhanced-sgd_intended_base-mnist-s1', 'enhanced-sgd_intended_base-mnist-s2',
    'enhanced-sgd_intended_minus_centering-mnist-s1', 'enhanced-sgd_intended_minus_centering-mnist-s2',
    'enhanced-sgd_intended_minus_noise-mnist-s1', 'enhanced-sgd_intended_minus_noise-mnist-s2',
  ]);
  assert.deepEqual(manifest.cells[2]!.ablation, { base: 'enhanced-sgd[intended]', component: 'centering', kind: 'component', value: false });
  // The flip reached the trainer: the result records the switch as it ran.
  const cell = JSON.parse(await readFile(join(sweep, 'cells', 'enhanced-sgd_intended_minus_centering-mnist-s1.json'), 'utf8'));
  assert.equal(cell.manifest.hyperparameters.centering, false);
  assert.equal(cell.manifest.hyperparameters.noise, true);
  assert.match(await readFile(join(sweep, 'spec.yaml'), 'utf8'), /ablate:\n {2}optimizer: enhanced-sgd\n {2}base: \{ ?controller: intended ?\}\n {2}components: \[centering, noise\]/);

  // The report written when the sweep ended: the Ablation section in every format.
  const md = await readFile(join(sweep, 'report.md'), 'utf8');
  assert.match(md, /\n## Ablation\n/);
  assert.match(md, /- MNIST \(base enhanced-sgd\[intended\]\): flips that significantly lower the final accuracy: none; that significantly raise it: none \(.*no flip could have come out significant/);
  assert.match(md, /\| [12] \| −centering \| component \| 2 \|/);
  assert.match(md, /\| [12] \| −noise \| component \| 2 \|/);
  assert.match(md, /\n## Memory\n/);
  assert.match(await readFile(join(sweep, 'report.html'), 'utf8'), /<h2>Ablation<\/h2>/);
  assert.equal((await readFile(join(sweep, 'report-ablation.csv'), 'utf8')).trim().split('\n').length, 1 + 2);
  assert.match(await readFile(join(sweep, 'report.tex'), 'utf8'), /\\label\{tab:ablation-mnist\}/);
  assert.equal(JSON.parse(await readFile(join(sweep, 'report.json'), 'utf8')).ablation.scopes[0].rows.length, 2);
});
