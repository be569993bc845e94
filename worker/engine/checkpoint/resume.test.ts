import assert from 'node:assert/strict';
import { rm } from 'node:fs/promises';
import { after, before, describe, it } from 'node:test';
import type { TrialResult } from '../../../shared/result.js';
import { TrialConfigSchema, type TrialConfigInput } from '../../../shared/trial.js';
import { writeMnistFixture } from '../../../test/helpers/mnist-fixture.js';
import { cpuBackend } from '../backends/cpu.js';
import type { DeviceReport } from '../backends/types.js';
import { runTrial } from '../trial.js';
import { decodeCheckpoint } from './format.js';
import type { CheckpointAt } from './engine-state.js';

/**
 * The point of checkpoints: on the deterministic cpu backend, a trial killed after its k-th
 * checkpoint and resumed from it ends with the very numbers of the run that was never stopped —
 * curve, step records, optimizer state and weights, bit for bit.
 */
describe('resume from a mid-trial checkpoint (cpu backend, MLP, synthetic MNIST)', () => {
  let dir: string;
  let device: DeviceReport;
  before(async () => {
    dir = await writeMnistFixture({ train: 96, test: 32 });
    device = await cpuBackend.activate();
  });
  after(() => rm(dir, { recursive: true, force: true }));

  const config = (over: Partial<TrialConfigInput>) =>
    TrialConfigSchema.parse({ dataset: 'mnist', dataDir: dir, model: 'mlp', optimizer: 'sgd', epochs: 3, seed: 5, batchSize: 16, checkpointEvery: 4, ...over });

  type Kept = { bytes: Uint8Array; at: CheckpointAt };
  async function uninterrupted(over: Partial<TrialConfigInput>) {
    const kept: Kept[] = [];
    const result = await runTrial(config(over), { device, onCheckpoint: (bytes, at) => void kept.push({ bytes, at }) });
    return { result, kept };
  }

  /** Runs until the k-th checkpoint has been handed over, then aborts (the crash), and resumes from it. */
  async function interruptedAndResumed(over: Partial<TrialConfigInput>, k: number) {
    const controller = new AbortController();
    let kth: Kept | undefined;
    let seen = 0;
    await assert.rejects(
      runTrial(config(over), {
        device,
        signal: controller.signal,
        onCheckpoint: (bytes, at) => {
          if (++seen === k) {
            kth = { bytes, at };
            controller.abort();
          }
        },
      }),
      { name: 'AbortError' },
    );
    assert.ok(kth, `no ${k}th checkpoint before the end`);
    const kept: Kept[] = [];
    const result = await runTrial(config(over), { device, resumeFrom: kth.bytes, onCheckpoint: (bytes, at) => void kept.push({ bytes, at }) });
    return { result, kept, from: kth.at };
  }

  /** The result less what measures the machine rather than the training. */
  const numbers = (r: TrialResult) => {
    const { epoch_time, samples_per_s, memory_usage, tensor_memory_mb, manifest, resumed_from, ...rest } = r;
    void [epoch_time, samples_per_s, memory_usage, tensor_memory_mb, manifest, resumed_from];
    return rest;
  };

  const VARIANTS: Array<{ label: string; over: Partial<TrialConfigInput> }> = [
    { label: 'sgd (momentum)', over: { optimizer: 'sgd' } },
    { label: 'adam', over: { optimizer: 'adam' } },
    { label: 'nadamw', over: { optimizer: 'nadamw' } },
    { label: 'rmsprop (centered, momentum)', over: { optimizer: 'rmsprop', hyperparameters: { centered: true, momentum: 0.5 } } },
    { label: 'enhanced-sgd intended', over: { optimizer: 'enhanced-sgd', hyperparameters: { controller: 'intended', noise_pool_size: 65536 } } },
    { label: 'enhanced-sgd as-written', over: { optimizer: 'enhanced-sgd', hyperparameters: { controller: 'as-written', noise_pool_size: 65536 } } },
    { label: 'enhanced-sgd seed (device EMA, noise pool)', over: { optimizer: 'enhanced-sgd', hyperparameters: { controller: 'seed', noise_pool_size: 65536 } } },
    { label: 'enhanced-sgd intended with retention', over: { optimizer: 'enhanced-sgd', hyperparameters: { controller: 'intended', retention: true, gradient_buffer_size: 5, retention_threshold: 0 } } },
  ];

  for (const { label, over } of VARIANTS) {
    it(`${label}: resumed after the 3rd checkpoint (mid-epoch 1) equals the uninterrupted run`, async () => {
      const a = await uninterrupted(over);
      // 18 steps, every 4 and at each epoch's end (6 steps each): 4, 6, 8, 12, 16, 18 (12 is both).
      assert.deepEqual(
        a.kept.map((c) => c.at),
        [
          { epoch: 0, step: 4 },
          { epoch: 1, step: 6 },
          { epoch: 1, step: 8 },
          { epoch: 2, step: 12 },
          { epoch: 2, step: 16 },
          { epoch: 3, step: 18 },
        ],
      );
      const b = await interruptedAndResumed(over, 3);
      assert.deepEqual(b.from, { epoch: 1, step: 8 });
      assert.deepEqual(b.result.resumed_from, { epoch: 1, step: 8 });
      assert.equal(a.result.resumed_from, null);
      assert.deepEqual(numbers(b.result), numbers(a.result));
      // The final state, bit for bit: every weight, every optimizer slot.
      const last = (k: Kept[]) => decodeCheckpoint(k.at(-1)!.bytes);
      const x = last(a.kept);
      const y = last(b.kept);
      assert.deepEqual([...y.tensors.keys()], [...x.tensors.keys()]);
      for (const [name, t] of x.tensors) assert.ok(Buffer.from(t.data.buffer, t.data.byteOffset, t.data.byteLength).equals(Buffer.from(y.tensors.get(name)!.data.buffer, y.tensors.get(name)!.data.byteOffset, y.tensors.get(name)!.data.byteLength)), `${label}: ${name} differs`);
      const host = (s: Record<string, unknown>) => (s.optimizer as { host: unknown }).host;
      assert.deepEqual(host(y.state), host(x.state));
    });
  }

  it('resumes from an epoch-end checkpoint, and from the last one (nothing left to train)', async () => {
    const over = { optimizer: 'sgd' };
    const a = await uninterrupted(over);
    const atEpochEnd = a.kept.find((c) => c.at.step === 6)!;
    const fromEnd = await runTrial(config(over), { device, resumeFrom: atEpochEnd.bytes });
    assert.deepEqual(numbers(fromEnd), numbers(a.result));
    const done = await runTrial(config(over), { device, resumeFrom: a.kept.at(-1)!.bytes });
    assert.deepEqual(numbers(done), numbers(a.result));
    assert.deepEqual(done.resumed_from, { epoch: 3, step: 18 });
  });

  it('takes no checkpoint with checkpointEvery 0, nor without a sink', async () => {
    const kept: unknown[] = [];
    await runTrial(config({ epochs: 1, checkpointEvery: 0 }), { device, onCheckpoint: (b) => void kept.push(b) });
    assert.equal(kept.length, 0);
  });

  it('a failing sink loses that checkpoint, not the trial', async () => {
    const messages: string[] = [];
    const result = await runTrial(config({ epochs: 1 }), {
      device,
      listener: { onMessage: (m) => messages.push(m) },
      onCheckpoint: () => Promise.reject(new Error('store down')),
    });
    assert.equal(result.status, 'completed');
    assert.ok(messages.some((m) => /checkpoint at step 4 lost: store down/.test(m)), messages.join('\n'));
  });
});
