import assert from 'node:assert/strict';
import { cp, readdir, readFile, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { connectNats } from '../../shared/protocol/connect.js';
import { checkpointObject, TRIALS_STREAM } from '../../shared/protocol/names.js';
import { writeMnistFixture } from '../../test/helpers/mnist-fixture.js';
import { startTestServer } from '../../test/helpers/nats-server.js';
import { WorkerAgent } from '../../worker/agent/agent.js';
import { ensureStores } from './infrastructure.js';
import type { SweepEvent } from './monitor.js';
import { publishSweep, setSweepStatus } from './publish.js';
import { runSweep } from './run.js';
import { onTestServer, quietView, testPlan, within } from '../../test/helpers/sweeps.js';
import { backendOrSkip } from '../../test/helpers/backends.js';
import { cifarFiles, writeCifarFolder } from '../../test/helpers/image-fixtures.js';
import { createHash } from 'node:crypto';
import { PNG } from 'pngjs';
import { TrialResultSchema } from '../../shared/result.js';
import { writeReport } from '../reports/report.js';

/**
 * The sweep machinery end to end against a real nats-server on a free loopback port: real worker
 * agents, real trainer processes, tiny trainings on a generated MNIST fixture.
 */
let mnistDir: string;
let scratch: string;
before(async () => {
  mnistDir = await writeMnistFixture({ train: 64, test: 32 });
  scratch = await mkdtemp(join(tmpdir(), 'grn-sweep-'));
});
after(async () => {
  await rm(mnistDir, { recursive: true, force: true });
  await rm(scratch, { recursive: true, force: true });
});



function tinyTraining(optimizer: string, seed: number, dataDir = mnistDir) {
  return { id: `${optimizer}-mnist-s${seed}`, optimizer, seed, trial: { dataset: 'mnist', dataDir, model: 'mlp', backend: 'cpu' as const, batchSize: 16 } };
}

const log = () => undefined;

test('2 optimizers x 3 seeds on 2 local workers (embedded server, generated credentials): exactly 6 results', async () => {
  const id = 'grid6';
  const dir = join(scratch, id);
  const cells = ['sgd', 'adam'].flatMap((o) => [1, 2, 3].map((s) => tinyTraining(o, s)));
  const outcome = await runSweep(testPlan(id, cells), { localWorkers: 2, resultsDir: dir, view: quietView });
  assert.equal(outcome.status, 'done', JSON.stringify(outcome.failed));
  assert.equal(outcome.counts.done, 6);
  const files = (await readdir(join(dir, 'cells'))).sort();
  assert.deepEqual(files, cells.map((c) => `${c.id}.json`).sort());
  const all = JSON.parse(await readFile(join(dir, 'all_results.json'), 'utf8'));
  assert.deepEqual(Object.keys(all).sort(), ['Adam_MNIST', 'SGD_MNIST']);
  assert.deepEqual(Object.keys(all.SGD_MNIST).sort(), ['1', '2', '3']);
  const manifest = JSON.parse(await readFile(join(dir, 'manifest.json'), 'utf8'));
  assert.equal(manifest.counts.done, 6);
  assert.equal(new Set(manifest.cells.map((c: { node: string }) => c.node)).size >= 1, true);
  assert.ok(manifest.nodes.length >= 1, 'the manifest lists the nodes that took part');
});

test('publishing a sweep twice creates no extra cells or messages', async () => {
  const server = await startTestServer();
  const nc = await connectNats(server.url, { creds: server.orchestratorCreds }, 'test');
  try {
    const stores = await ensureStores(nc);
    const p = testPlan('twice', [1, 2, 3].map((s) => ({ id: `noop-s${s}`, seed: s, trial: { dataset: 'noop' } })));
    assert.deepEqual(await publishSweep(nc, stores, p), { created: 3, existing: 0 });
    assert.deepEqual(await publishSweep(nc, stores, p), { created: 0, existing: 3 });
    const info = await stores.jsm.streams.info(TRIALS_STREAM);
    assert.equal(info.state.messages, 3);
    const sweeps: string[] = [];
    for await (const key of await stores.sweeps.keys()) sweeps.push(key);
    assert.deepEqual(sweeps, ['twice']);
  } finally {
    await nc.close();
    await server.cleanup();
  }
});

test('kill -9 of a trainer mid-trial: the cell is redelivered and finishes, with exactly one result', async () => {
  const server = await startTestServer();
  const agent = await WorkerAgent.start({ server: server.url, auth: { creds: server.workerCreds }, node: 'killer', gpus: 'none', cpuSlots: 1, drainTimeoutMs: 1000, log }).catch(async (e) => {
    await server.cleanup();
    throw e;
  });
  const events: SweepEvent[] = [];
  let killed = false;
  try {
    const p = testPlan('kill9', [
      { id: 'sleepy', trial: { dataset: 'sleep', durationMs: 3000 } },
      { id: 'quick', trial: { dataset: 'noop' } },
    ]);
    const run = runSweep(p, onTestServer(server, join(scratch, 'kill9'), {
      onEvent: (e) => {
        events.push(e);
      },
    }));
    // Wait until the sleepy cell runs in the trainer, then kill the trainer outright.
    for (let i = 0; i < 200 && !killed; i++) {
      const busy = agent.slotStates().find((s) => s.cell === 'sleepy' && s.trainerPid);
      if (busy) {
        await sleep(500);
        process.kill(busy.trainerPid!, 'SIGKILL');
        killed = true;
      } else await sleep(50);
    }
    assert.ok(killed, 'the trainer was found running the cell');
    const outcome = await run;
    assert.equal(outcome.status, 'done', JSON.stringify(outcome.failed));
    const results = events.filter((e) => e.type === 'result' && e.cell === 'sleepy');
    assert.equal(results.length, 1, 'exactly one result');
    const attempts = events.filter((e) => e.type === 'cell' && e.state.cell === 'sleepy' && e.state.status === 'running').map((e) => (e.type === 'cell' ? e.state.attempt : 0));
    assert.deepEqual(attempts, [1, 2], 'the second delivery finished it');
  } finally {
    await agent.drain();
    await server.cleanup();
  }
});

test('kill -9 of a trainer after a checkpoint: the redelivered cell resumes from it, not from scratch, and the checkpoint is deleted with the result stored', async () => {
  const server = await startTestServer();
  const agent = await WorkerAgent.start({ server: server.url, auth: { creds: server.workerCreds }, node: 'resumer', gpus: 'none', cpuSlots: 1, drainTimeoutMs: 1000, log });
  const nc = await connectNats(server.url, { creds: server.orchestratorCreds }, 'checkpoint watch');
  // A failed assertion must not leave the sweep (and its reconnecting client) running.
  const abort = new AbortController();
  let running: Promise<unknown> | undefined;
  try {
    // 40 epochs of 4 steps, a checkpoint every 2 steps: the first one is stored long before the end.
    const cell = { ...tinyTraining('sgd', 1), id: 'long', trial: { ...tinyTraining('sgd', 1).trial, epochs: 40, checkpointEvery: 2 } };
    const p = testPlan('resume-ckpt', [cell]);
    const events: SweepEvent[] = [];
    const run = runSweep(p, onTestServer(server, join(scratch, 'resume-ckpt'), { onEvent: (e) => void events.push(e), signal: abort.signal }));
    running = run;
    // The moment the cell's first checkpoint is in the Object Store, kill its trainer. Bounded: a
    // cell that ended first (its checkpoint deleted with the result) fails the test, not hangs it.
    const stores = await ensureStores(nc);
    const watch = await stores.artifacts.watch({ includeHistory: true });
    const killedAt = (async () => {
      for await (const info of watch) {
        if (info.name !== checkpointObject(p.id, 'long') || info.deleted) continue;
        const busy = agent.slotStates().find((s) => s.cell === 'long' && s.trainerPid);
        assert.ok(busy, 'the cell is running when its checkpoint appears');
        process.kill(busy.trainerPid!, 'SIGKILL');
        return 'killed' as const;
      }
      return 'watch ended' as const;
    })();
    const first = await within(Promise.race([killedAt, run.then(() => 'sweep ended' as const)]), 120_000, "the cell's first checkpoint");
    watch.stop();
    assert.equal(first, 'killed', 'the trainer was killed after its first checkpoint, before the cell ended');
    const outcome = await run;
    assert.equal(outcome.status, 'done', JSON.stringify(outcome.failed));
    const results = events.flatMap((e) => (e.type === 'result' ? [e] : []));
    assert.equal(results.length, 1, 'exactly one result');
    assert.equal(results[0]!.record.attempt, 2);
    const from = results[0]!.result.resumed_from;
    assert.ok(from && from.step >= 2 && from.step < 160, `resumed from a checkpoint: ${JSON.stringify(from)}`);
    assert.equal(results[0]!.result.test_loss.length, 40, 'every epoch is in the result, the ones before the crash too');
    const left = await stores.artifacts.info(checkpointObject(p.id, 'long'));
    assert.ok(left === null || left.deleted, 'the checkpoint is deleted once the result is stored');
  } finally {
    abort.abort();
    await within(running ?? Promise.resolve(), 15_000, 'the sweep to stop').catch(() => undefined);
    await nc.close();
    await agent.drain();
    await server.cleanup();
  }
});

test('a cell whose data path does not exist fails with that error after max_deliver; the others finish', async () => {
  const server = await startTestServer();
  const agent = await WorkerAgent.start({ server: server.url, auth: { creds: server.workerCreds }, node: 'n1', gpus: 'none', cpuSlots: 1, drainTimeoutMs: 1000, log });
  try {
    const missing = join(scratch, 'no-such-folder');
    const p = testPlan('baddata', [tinyTraining('sgd', 1), { ...tinyTraining('sgd', 2, missing), id: 'sgd-missing' }], 2);
    const outcome = await runSweep(p, onTestServer(server, join(scratch, 'baddata')));
    assert.equal(outcome.status, 'failed');
    assert.equal(outcome.counts.done, 1);
    assert.equal(outcome.failed.length, 1);
    assert.equal(outcome.failed[0]!.cell, 'sgd-missing');
    assert.match(outcome.failed[0]!.error, /no-such-folder/);
    const manifest = JSON.parse(await readFile(join(scratch, 'baddata', 'manifest.json'), 'utf8'));
    const bad = manifest.cells.find((c: { cell: string }) => c.cell === 'sgd-missing');
    assert.equal(bad.attempts, 2, 'tried max_deliver times');
  } finally {
    await agent.drain();
    await server.cleanup();
  }
});

test('a second worker joining a running sweep takes cells', async () => {
  const server = await startTestServer();
  const options = { server: server.url, auth: { creds: server.workerCreds }, gpus: 'none', cpuSlots: 1, drainTimeoutMs: 1000, log };
  const first = await WorkerAgent.start({ ...options, node: 'first' });
  let second: WorkerAgent | undefined;
  try {
    const p = testPlan('join', Array.from({ length: 8 }, (_, i) => ({ id: `sleep-${i}`, trial: { dataset: 'sleep', durationMs: 400 } })));
    const run = runSweep(p, onTestServer(server, join(scratch, 'join')));
    second = await WorkerAgent.start({ ...options, node: 'second' });
    const outcome = await run;
    assert.equal(outcome.counts.done, 8);
    const manifest = JSON.parse(await readFile(join(scratch, 'join', 'manifest.json'), 'utf8'));
    const nodes = new Set(manifest.cells.map((c: { node: string }) => c.node));
    assert.deepEqual([...nodes].sort(), ['first', 'second']);
  } finally {
    await Promise.all([first.drain(), second?.drain()]);
    await server.cleanup();
  }
});

test('cancel: queued cells are cancelled, the running one aborts, the run ends as cancelled', async () => {
  const server = await startTestServer();
  const agent = await WorkerAgent.start({ server: server.url, auth: { creds: server.workerCreds }, node: 'c1', gpus: 'none', cpuSlots: 1, drainTimeoutMs: 1000, log });
  const nc = await connectNats(server.url, { creds: server.orchestratorCreds }, 'canceller');
  try {
    const p = testPlan('cancelme', Array.from({ length: 5 }, (_, i) => ({ id: `long-${i}`, trial: { dataset: 'sleep', durationMs: 20_000 } })));
    let cancelled = false;
    const started = Date.now();
    const outcome = await runSweep(p, onTestServer(server, join(scratch, 'cancelme'), {
      onEvent: (e) => {
        if (!cancelled && e.type === 'cell' && e.state.status === 'running') {
          cancelled = true;
          void ensureStores(nc).then((stores) => setSweepStatus(stores, 'cancelme', 'cancelled'));
        }
      },
    }));
    assert.equal(outcome.status, 'cancelled');
    assert.equal(outcome.exitCode, 4);
    assert.equal(outcome.counts.cancelled, 5);
    assert.ok(Date.now() - started < 15_000, 'the running 20-second trial was aborted, not waited for');
  } finally {
    await nc.close();
    await agent.drain();
    await server.cleanup();
  }
});

test('resume --retry-failed: a cell that failed for a missing data folder runs again once the folder exists', async () => {
  const server = await startTestServer();
  const agent = await WorkerAgent.start({ server: server.url, auth: { creds: server.workerCreds }, node: 'r1', gpus: 'none', cpuSlots: 1, drainTimeoutMs: 1000, log });
  try {
    const later = join(scratch, 'arrives-later');
    const p = testPlan('retry', [tinyTraining('sgd', 1), { ...tinyTraining('sgd', 2, later), id: 'sgd-later' }], 1);
    const first = await runSweep(p, onTestServer(server, join(scratch, 'retry')));
    assert.equal(first.status, 'failed');
    await cp(mnistDir, later, { recursive: true });
    const resumed = await runSweep(p, onTestServer(server, join(scratch, 'retry'), { resume: true, retryFailed: true }));
    assert.equal(resumed.status, 'done', JSON.stringify(resumed.failed));
    assert.equal(resumed.counts.done, 2);
    assert.deepEqual((await readdir(join(scratch, 'retry', 'cells'))).sort(), ['sgd-later.json', 'sgd-mnist-s1.json']);
  } finally {
    await agent.drain();
    await server.cleanup();
  }
});

test('a diverging cell ends once, as done and diverged, not retried (tensorflow: its NaN gradients once crashed the trial)', async (t) => {
  if (!(await backendOrSkip(t, 'tensorflow'))) return;
  const server = await startTestServer();
  const agent = await WorkerAgent.start({ server: server.url, auth: { creds: server.workerCreds }, node: 'd1', gpus: 'none', cpuSlots: 1, drainTimeoutMs: 1000, log });
  const events: SweepEvent[] = [];
  try {
    const cell = tinyTraining('sgd', 1);
    const p = testPlan('diverge', [{ ...cell, id: 'sgd-lr1e30', trial: { ...cell.trial, backend: 'tensorflow', hyperparameters: { lr: 1e30 } } }]);
    const outcome = await runSweep(p, onTestServer(server, join(scratch, 'diverge'), { onEvent: (e) => void events.push(e) }));
    assert.equal(outcome.status, 'done', JSON.stringify(outcome.failed));
    const runs = events.filter((e) => e.type === 'cell' && e.state.status === 'running');
    assert.equal(runs.length, 1, 'one attempt: a divergence is a result, not an error to retry');
    const done = events.find((e) => e.type === 'cell' && e.state.status === 'done');
    assert.ok(done?.type === 'cell' && typeof done.state.diverged_at_step === 'number', 'the cell state says it diverged');
    const stored = JSON.parse(await readFile(join(scratch, 'diverge', 'cells', 'sgd-lr1e30.json'), 'utf8'));
    assert.equal(stored.status, 'diverged');
    assert.equal(stored.divergence.step, done.state.diverged_at_step);
  } finally {
    await agent.drain();
    await server.cleanup();
  }
});

test('Grad-CAM cells: the PNGs go through the Object Store into results/<id>/gradcam/<cell>/, and the report lays them out', async (t) => {
  // SimpleCNN on 32x32x3 needs the native backend to train in seconds.
  if (!(await backendOrSkip(t, 'tensorflow'))) return;
  const cifar = await writeCifarFolder(join(scratch, 'cifar-src'), cifarFiles(10));
  const id = 'gradcam';
  const dir = join(scratch, id);
  const cells = ['sgd', 'adam'].map((optimizer) => ({
    id: `${optimizer}-cifar10-s1`,
    optimizer,
    seed: 1,
    trial: { dataset: 'cifar10', dataDir: cifar, backend: 'tensorflow', batchSize: 10, gradcam: { samples: 2 } },
  }));
  const outcome = await runSweep(testPlan(id, cells), { localWorkers: 1, resultsDir: dir, view: quietView });
  assert.equal(outcome.status, 'done', JSON.stringify(outcome.failed));
  for (const c of cells) {
    const result = TrialResultSchema.parse(JSON.parse(await readFile(join(dir, 'cells', `${c.id}.json`), 'utf8')));
    const cam = result.gradcam!;
    assert.equal(cam.dir, `../gradcam/${c.id}`);
    // The same test samples for both optimizers: 10 test images, 2 explained.
    assert.deepEqual(cam.images.map((i) => i.index), [0, 5]);
    assert.deepEqual((await readdir(join(dir, 'gradcam', c.id))).sort(), cam.images.map((i) => i.file).sort());
    for (const image of cam.images) {
      const bytes: Buffer = await readFile(join(dir, 'gradcam', c.id, image.file));
      assert.equal(createHash('sha256').update(bytes).digest('hex'), image.sha256);
      const png = PNG.sync.read(bytes);
      assert.deepEqual([png.width, png.height], [32, 32]);
    }
  }
  const report = await writeReport(dir, { formats: ['md'], png: false, threads: 1 });
  const md = await readFile(join(report.out, 'report.md'), 'utf8');
  assert.match(md, /### Grad-CAM: CIFAR-10/);
  for (const c of cells) assert.ok(md.includes(`(gradcam/${c.id}/cifar10-${c.optimizer}-seed1-0.png)`), c.id);
});
