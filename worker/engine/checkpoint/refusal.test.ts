import assert from 'node:assert/strict';
import { rm } from 'node:fs/promises';
import { after, before, describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs-core';
import { TrialConfigSchema, type TrialConfigInput } from '../../../shared/trial.js';
import { writeMnistFixture } from '../../../test/helpers/mnist-fixture.js';
import { cpuBackend } from '../backends/cpu.js';
import type { DeviceReport } from '../backends/types.js';
import { runTrial } from '../trial.js';
import { CheckpointError } from './errors.js';

/** runTrial given a checkpoint it must not continue from: a typed error, and nothing leaked. */
describe('resuming from a checkpoint that does not fit the trial', () => {
  let dir: string;
  let device: DeviceReport;
  let bytes: Uint8Array;
  const config = (over: Partial<TrialConfigInput> = {}) =>
    TrialConfigSchema.parse({ dataset: 'mnist', dataDir: dir, model: 'mlp', optimizer: 'sgd', epochs: 1, seed: 5, batchSize: 16, checkpointEvery: 2, ...over });
  before(async () => {
    dir = await writeMnistFixture({ train: 48, test: 16 });
    device = await cpuBackend.activate();
    const kept: Uint8Array[] = [];
    await runTrial(config(), { device, onCheckpoint: (b) => void kept.push(b) });
    bytes = kept[0]!;
  });
  after(() => rm(dir, { recursive: true, force: true }));

  const refused = async (over: Partial<TrialConfigInput>, from: Uint8Array, reason: string, message: RegExp) => {
    const before = tf.memory().numTensors;
    await assert.rejects(runTrial(config(over), { device, resumeFrom: from }), (err: unknown) => {
      assert.ok(err instanceof CheckpointError, String(err));
      assert.equal(err.reason, reason);
      assert.match(err.message, message);
      return true;
    });
    assert.equal(tf.memory().numTensors, before, 'a refused resume leaves no tensors');
  };

  it('another seed, optimizer or hyper-parameter is another trial', async () => {
    await refused({ seed: 6 }, bytes, 'foreign-trial', /seed: checkpoint 5, trial 6/);
    await refused({ optimizer: 'adam' }, bytes, 'foreign-trial', /optimizer: checkpoint "sgd", trial "adam"/);
    await refused({ hyperparameters: { lr: 0.02 } }, bytes, 'foreign-trial', /hyperparameters/);
  });

  it('where it runs is not: another device or checkpoint interval resumes', async () => {
    const result = await runTrial(config({ deviceIndex: 1, checkpointEvery: 0 }), { device, resumeFrom: bytes });
    assert.deepEqual(result.resumed_from, { epoch: 0, step: 2 });
  });

  it('truncated or damaged bytes are named so', async () => {
    await refused({}, bytes.subarray(0, bytes.length - 100), 'truncated', /bytes/);
    const damaged = bytes.slice();
    damaged[damaged.length - 50]! ^= 1;
    await refused({}, damaged, 'corrupt', /checksum/);
    await refused({}, new Uint8Array([1, 2, 3]), 'not-a-checkpoint', /signature/);
  });
});
