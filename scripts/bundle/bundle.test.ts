import assert from 'node:assert/strict';
import { execa } from 'execa';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, test } from 'node:test';
import { runSweep } from '../../orchestrator/sweep/run.js';
import { writeMnistFixture } from '../../test/helpers/mnist-fixture.js';
import { startTestServer } from '../../test/helpers/nats-server.js';
import { onTestServer, testPlan, within } from '../../test/helpers/sweeps.js';
import { requiredBackends } from '../../test/helpers/backends.js';
import { backendByName } from '../../worker/engine/backends/index.js';
import { BUNDLE_NAME, buildBundle, SIZE_LIMIT_BYTES, type BundleReport } from './build.js';

/**
 * The worker bundle end to end: `npm run bundle`'s build (at xz -0, four times faster than the
 * release's -6 and larger, so the size bar holds a fortiori), unpacked from its tarball into a
 * fresh folder and run there with an environment whose PATH has no node (and no other program):
 * training, the backends, and a worker taking cells from a real nats-server.
 */
const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
let scratch: string;
let report: BundleReport;
let grn: string;
let mnist: string;
/** The whole environment of every bundle command: nothing from this process, PATH an empty folder. */
let bareEnv: Record<string, string>;

before(async () => {
  scratch = await mkdtemp(join(tmpdir(), 'grn-bundle-'));
  report = await buildBundle({ root: ROOT, outDir: join(scratch, 'build'), xzLevel: 0 });
  const unpacked = join(scratch, 'unpacked');
  await mkdir(unpacked);
  await execa('tar', ['-xJf', report.tarball, '-C', unpacked]);
  grn = join(unpacked, BUNDLE_NAME, 'grn');
  const emptyBin = await mkdtemp(join(scratch, 'bin-'));
  bareEnv = { PATH: emptyBin, HOME: scratch };
  mnist = await writeMnistFixture({ train: 128, test: 32 });
});

after(async () => {
  await rm(scratch, { recursive: true, force: true });
  if (mnist) await rm(mnist, { recursive: true, force: true });
});

function runBundled(args: string[], extraEnv: Record<string, string> = {}) {
  return execa(grn, args, { env: { ...bareEnv, ...extraEnv }, extendEnv: false, reject: false, cwd: scratch });
}

test('the tarball is at most 48 MiB and holds Node, the bundled JS, Dawn for linux-x64 only and the wasm binaries', async () => {
  assert.ok(report.compressedBytes <= SIZE_LIMIT_BYTES, `${report.tarball} is ${(report.compressedBytes / 2 ** 20).toFixed(1)} MiB (limit 48)`);
  const top = join(scratch, 'unpacked', BUNDLE_NAME);
  for (const file of ['grn', 'bin/node', 'lib/grn.js', 'lib/trainer.js', 'README.md', 'package.json', 'node_modules/webgpu/dist/linux-x64/dawn.node', 'node_modules/@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-simd.wasm']) {
    assert.ok(existsSync(join(top, file)), `${file} in the bundle`);
  }
  assert.deepEqual(await readdir(join(top, 'node_modules/webgpu/dist')), ['linux-x64']);
  // The build measured every part, and the parts make up the whole.
  const parts = report.components.reduce((sum, c) => sum + c.bytes, 0);
  assert.equal(parts, report.unpackedBytes);
});

test('./grn train --backend wasm runs on the bundled Node where PATH has no node', async () => {
  const noNode = await execa('/bin/sh', ['-c', 'command -v node'], { env: bareEnv, extendEnv: false, reject: false });
  assert.notEqual(noNode.exitCode, 0, `node must not be reachable, found ${noNode.stdout}`);
  const out = join(scratch, 'train.json');
  const run = await runBundled(['train', '--data-dir', mnist, '--backend', 'wasm', '--epochs', '1', '--batch-size', '32', '--out', out]);
  assert.equal(run.exitCode, 0, run.stderr);
  const result = JSON.parse(await readFile(out, 'utf8'));
  assert.equal(result.status, 'completed');
  assert.ok(result.loss.length === 1 && Number.isFinite(result.loss[0]), `finite loss: ${JSON.stringify(result.loss)}`);
  assert.equal(result.manifest.backend, 'wasm');
  // The bundle records what it runs on: its own Node, the versions of its bundled packages, the commit it was built from.
  assert.equal(result.manifest.versions.node, report.node.slice(1));
  assert.match(result.manifest.versions['@tensorflow/tfjs-core'], /^\d+\.\d+\.\d+$/);
  const meta = JSON.parse(await readFile(join(scratch, 'unpacked', BUNDLE_NAME, 'package.json'), 'utf8'));
  assert.equal(result.manifest.git_commit, meta.gitCommit);
});

test('./grn backends --json: the backends the checkout has, but tensorflow, whose absence says how to add it', async () => {
  const run = await runBundled(['backends', '--no-probe', '--json']);
  assert.equal(run.exitCode, 0, run.stderr);
  const rows = (JSON.parse(run.stdout) as { backends: Array<{ backend: string; available: boolean; detail?: string; reason?: string }> }).backends;
  const row = (name: string) => rows.find((r) => r.backend === name)!;
  assert.equal(row('wasm').available, true);
  assert.equal(row('cpu').available, true);
  assert.match(row('tensorflow').reason ?? '', /GRN_TENSORFLOW_MODULES/);
  // WebGPU: where the checkout finds an adapter (lavapipe here, a GPU on a GPU node), so does the bundle, and lists it.
  const webgpu = await (await backendByName('webgpu')).probe();
  if (webgpu.ok || requiredBackends.has('webgpu')) {
    assert.equal(row('webgpu').available, true, row('webgpu').reason);
    assert.match(row('webgpu').detail ?? '', /adapters: 0: /);
  }
});

test('GRN_TENSORFLOW_MODULES adds the tensorflow backend from a node_modules folder beside the bundle', async (t) => {
  const tensorflow = await (await backendByName('tensorflow')).probe();
  if (!tensorflow.ok) {
    assert.ok(!requiredBackends.has('tensorflow'), `tensorflow is required here but unavailable: ${tensorflow.reason}`);
    t.skip(`the checkout has no working tfjs-node to lend the bundle: ${tensorflow.reason}`);
    return;
  }
  const run = await runBundled(['backends', '--no-probe', '--json'], { GRN_TENSORFLOW_MODULES: join(ROOT, 'node_modules') });
  assert.equal(run.exitCode, 0, run.stderr);
  const row = (JSON.parse(run.stdout) as { backends: Array<{ backend: string; available: boolean; reason?: string }> }).backends.find((r) => r.backend === 'tensorflow')!;
  assert.equal(row.available, true, row.reason);
});

test('./grn worker from the bundle takes cells of a sweep from a real nats-server, and drains on SIGTERM', async () => {
  const server = await startTestServer();
  const worker = execa(grn, ['worker', '--server', server.url, '--creds', server.workerCreds, '--node', 'bundled', '--gpus', 'none'], { env: bareEnv, extendEnv: false, reject: false, cwd: scratch });
  try {
    const trial = { dataset: 'mnist', dataDir: mnist, backend: 'wasm', epochs: 1, batchSize: 32 } as const;
    const outcome = await within(
      runSweep(testPlan('bundled', [{ id: 'sgd', trial: { ...trial, optimizer: 'sgd' } }, { id: 'adam', trial: { ...trial, optimizer: 'adam' } }]), onTestServer(server, join(scratch, 'sweep'))),
      120_000,
      'the sweep run by the bundled worker',
    );
    assert.equal(outcome.counts.done, 2, JSON.stringify(outcome.failed));
    const manifest = JSON.parse(await readFile(join(scratch, 'sweep', 'manifest.json'), 'utf8'));
    assert.deepEqual(manifest.nodes.map((n: { node: string }) => n.node), ['bundled']);
  } finally {
    worker.kill('SIGTERM');
    const exit = await within(worker, 30_000, 'the bundled worker to drain and exit');
    await server.cleanup();
    assert.equal(exit.exitCode, 0, exit.stderr);
  }
});
