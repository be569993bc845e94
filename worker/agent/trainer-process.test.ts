import assert from 'node:assert/strict';
import { test } from 'node:test';
import { TrialConfigSchema, type TrialConfig } from '../../shared/trial.js';
import { TrainerProcess } from './trainer-process.js';

const sleepTrial = (durationMs: number, seed = 1): TrialConfig => TrialConfigSchema.parse({ dataset: 'sleep', durationMs, optimizer: 'sgd', epochs: 1, seed });
const quiet = { onTelemetry: () => undefined };

test('a preloaded trial starts in the child the moment the running one ends, and run() adopts it', async () => {
  const trainer = new TrainerProcess({ env: {} });
  try {
    await trainer.run(sleepTrial(10), quiet); // the child is up
    const etas: number[] = [];
    const first = trainer.run(sleepTrial(400), quiet);
    await new Promise((r) => setTimeout(r, 100));
    assert.notEqual(trainer.preload(sleepTrial(300, 2)), null);
    assert.equal(trainer.preload(sleepTrial(300, 3)), null, 'one waits at most');
    const a = await first;
    // Adopting after the child has already started it: the ETA it sent is handed over.
    await new Promise((r) => setTimeout(r, 50));
    const adoptedAt = Date.now();
    const b = await trainer.run(sleepTrial(300, 2), { onTelemetry: () => undefined, onEta: (ms) => etas.push(ms) });
    // No timing threshold: it started after the first ended and before run() adopted it, i.e. the
    // child went on by itself (without the preload it could only start once run() asked).
    const started = Date.parse(b.manifest.started_at);
    assert.ok(started >= Date.parse(a.manifest.ended_at), 'the second trial started after the first ended');
    assert.ok(started <= adoptedAt, `the second trial started ${started - adoptedAt} ms after run() adopted it, not before`);
    assert.equal(b.manifest.seed, 2);
    assert.deepEqual(etas, [300]);
  } finally {
    await trainer.stop();
  }
});

test('a dropped preload never runs to a result, and the trainer takes the next trial', async () => {
  const trainer = new TrainerProcess({ env: {} });
  try {
    const first = trainer.run(sleepTrial(200), quiet);
    await new Promise((r) => setTimeout(r, 50));
    const token = trainer.preload(sleepTrial(5000, 2));
    assert.notEqual(token, null);
    await first;
    trainer.dropPreloaded(token!);
    const started = performance.now();
    // A different trial: the dropped one is aborted in the child (it may have started), this one runs.
    const next = await trainer.run(sleepTrial(50, 3), quiet);
    assert.equal(next.manifest.seed, 3);
    assert.ok(performance.now() - started < 2000, 'the dropped 5-second trial did not run to its end first');
  } finally {
    await trainer.stop();
  }
});

test('a trainer killed with a trial running and one preloaded rejects both as crashes', async () => {
  const trainer = new TrainerProcess({ env: {} });
  try {
    const running = trainer.run(sleepTrial(5000), quiet);
    await new Promise((r) => setTimeout(r, 300));
    trainer.preload(sleepTrial(100, 2));
    process.kill(trainer.pid!, 'SIGKILL');
    await assert.rejects(running, { name: 'TrainerCrashedError' });
    // The next trial gets a fresh child.
    const after = await trainer.run(sleepTrial(10, 4), quiet);
    assert.equal(after.manifest.seed, 4);
  } finally {
    await trainer.stop();
  }
});

test('a trainer killed after its 3rd checkpoint resumes from it in a fresh child and ends with the uninterrupted metrics', async () => {
  const { writeMnistFixture } = await import('../../test/helpers/mnist-fixture.js');
  const { rm } = await import('node:fs/promises');
  const dir = await writeMnistFixture({ train: 64, test: 16 });
  const trial = TrialConfigSchema.parse({ dataset: 'mnist', dataDir: dir, model: 'mlp', optimizer: 'adam', epochs: 2, seed: 3, batchSize: 16, backend: 'cpu', checkpointEvery: 3 });
  const trainer = new TrainerProcess({ env: {} });
  try {
    const steps: number[] = [];
    const whole = await trainer.run(trial, { onTelemetry: () => undefined, onCheckpoint: (_bytes, at) => void steps.push(at.step) });
    // 8 steps: every 3rd, and each epoch's end (4, 8).
    assert.deepEqual(steps, [3, 4, 6, 8]);
    assert.equal(whole.resumed_from, null);

    let third: Uint8Array | undefined;
    let seen = 0;
    const crashed = trainer.run(trial, {
      onTelemetry: () => undefined,
      onCheckpoint: (bytes) => {
        if (++seen !== 3) return;
        third = bytes;
        process.kill(trainer.pid!, 'SIGKILL');
      },
    });
    await assert.rejects(crashed, { name: 'TrainerCrashedError' });
    assert.ok(third);
    const resumed = await trainer.run(trial, { onTelemetry: () => undefined }, { resumeFrom: third });
    assert.deepEqual(resumed.resumed_from, { epoch: 1, step: 6 });
    for (const key of ['loss', 'accuracy', 'test_loss', 'batch_step', 'batch_loss'] as const) assert.deepEqual(resumed[key], whole[key], key);
  } finally {
    await trainer.stop();
    await rm(dir, { recursive: true, force: true });
  }
});
