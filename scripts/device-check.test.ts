import assert from 'node:assert/strict';
import { execa } from 'execa';
import { copyFile, mkdir, mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, test } from 'node:test';
import { backendOrSkip } from '../test/helpers/backends.js';
import { writeMnistFixture } from '../test/helpers/mnist-fixture.js';
import { buildBundle } from './bundle/build.js';

/**
 * scripts/device-check.sh in its CPU rehearsal, end to end on small step counts: the folder
 * device-pack.sh would assemble (less the Vulkan .deb packages, which a rehearsal does not
 * install), the check run as on the GPU machine, and its one JSON read back. Here WebGPU runs on
 * lavapipe, nvidia-smi is the script's stand-in with one pretend GPU, and PyTorch is whatever this
 * machine has (none: recorded as unavailable, and the rest goes on).
 */
const ROOT = fileURLToPath(new URL('../../', import.meta.url));
let scratch: string;
let pack: string;
let mnist: string;

before(async () => {
  scratch = await mkdtemp(join(tmpdir(), 'grn-device-check-'));
  pack = join(scratch, 'pack');
  const report = await buildBundle({ root: ROOT, outDir: join(scratch, 'build'), xzLevel: 0 });
  mnist = await writeMnistFixture({ train: 64, test: 32 });
  await mkdir(join(pack, 'mnist'), { recursive: true });
  await mkdir(join(pack, 'pytorch'));
  await copyFile(report.tarball, join(pack, 'grn-linux-x64.tar.xz'));
  for (const f of await readdir(mnist)) await copyFile(join(mnist, f), join(pack, 'mnist', f));
  for (const f of ['simplecnn_step.py', 'blocks.py']) await copyFile(join(ROOT, 'bench', 'pytorch', f), join(pack, 'pytorch', f));
  await copyFile(join(ROOT, 'scripts', 'device-check.sh'), join(pack, 'device-check.sh'));
});

after(async () => {
  await rm(scratch, { recursive: true, force: true });
  if (mnist) await rm(mnist, { recursive: true, force: true });
});

test('device-check.sh --rehearse: every step runs and lands in one JSON (adapters, WebGPU training, PyTorch or why not, a pinned 4-cell sweep, VRAM)', async (t) => {
  if (!(await backendOrSkip(t, 'webgpu'))) return;
  const out = join(scratch, 'out');
  const run = await execa('bash', [join(pack, 'device-check.sh'), '--rehearse', '--steps', '2', '--sweep-steps', '1', '--batch', '8', '--test-limit', '16', '--probe-seconds', '0'], {
    // TMPDIR: the check's work folder (it keeps it, for a person to look into) goes with the scratch folder.
    env: { OUT: out, TMPDIR: scratch },
    reject: false,
    timeout: 8 * 60_000,
  });
  const report = JSON.parse(await readFile(join(out, 'device-check.json'), 'utf8'));
  assert.equal(run.exitCode, 0, run.stderr);
  assert.equal(report.format, 'grn.device-check/1');
  assert.equal(report.mode, 'rehearsal');
  assert.deepEqual(report.errors, [], JSON.stringify(report.steps, null, 2));
  assert.equal(report.ok, true);

  for (const name of ['unpack', 'gpus', 'backends', 'train_webgpu', 'server_init', 'server_ready', 'sweep', 'nodes_after']) {
    assert.equal(report.steps[name]?.status, 'ok', `${name}: ${JSON.stringify(report.steps[name])}`);
    assert.ok(report.steps[name].seconds >= 0 && report.steps[name].limit_s > 0);
  }
  // PyTorch: measured where it is importable; otherwise recorded with the reason, not a failure.
  if (report.steps.pytorch.status === 'ok') {
    assert.equal(report.pytorch.available, true);
    assert.equal(report.pytorch.device, 'cpu');
    assert.ok(report.pytorch.samples_per_s > 0);
  } else {
    assert.equal(report.steps.pytorch.status, 'unavailable', JSON.stringify(report.steps.pytorch));
    assert.equal(report.pytorch.available, false);
    assert.match(report.pytorch.reason, /torch/);
    assert.equal(report.ratios.webgpu_probe_vs_pytorch, null);
  }

  assert.equal(report.gpus.length, 1);
  assert.equal(report.gpus[0].stand_in, true);
  assert.ok(report.webgpu_adapters.length >= 1, JSON.stringify(report.backends));
  assert.equal(report.train_webgpu.status, 'completed');
  assert.equal(report.train_webgpu.backend, 'webgpu');
  assert.equal(report.train_webgpu.steps, 2);
  assert.ok(Number.isFinite(report.train_webgpu.loss));

  const sweep = report.sweep;
  assert.equal(sweep.outcome.counts.done, 4);
  assert.deepEqual(sweep.cells.map((c: { backend: string }) => c.backend), ['webgpu', 'webgpu', 'webgpu', 'webgpu']);
  // One slot for the one (pretend) GPU; its trainer ran with CUDA_VISIBLE_DEVICES=0, read from /proc.
  assert.deepEqual(sweep.slots.map((s: { slot: string }) => s.slot), ['gpu0']);
  assert.deepEqual(sweep.slots[0].cuda_visible_devices, ['0']);
  assert.equal(sweep.slots[0].pinned, true);
  assert.equal(sweep.registry.gpus[0].vram_total_mb, 81559);
  assert.ok(sweep.vram.samples > 0 && sweep.vram.peak_used_mb === 1024);
  assert.equal(sweep.worker_exit, 'exit=0');
  assert.deepEqual(
    Object.entries(report.checks).filter(([, v]) => v !== true).map(([k]) => k),
    ['webgpu_on_a_gpu'],
    'a rehearsal trains on llvmpipe, not on a GPU; every other check holds',
  );
});
