import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs-core';
import { TrialResultSchema } from '../../../shared/result.js';
import { TrialConfigSchema } from '../../../shared/trial.js';
import { writeSegmentationFolder } from '../../../test/helpers/seg-fixtures.js';
import { cpuBackend } from '../backends/cpu.js';
import type { DeviceReport } from '../backends/types.js';
import { runTrial } from '../trial.js';
import { confusion, pixelCrossEntropy, segmentationMetrics } from './segmentation.js';

let device: DeviceReport;
let dir: string;
before(async () => {
  device = await cpuBackend.activate();
  dir = await mkdtemp(join(tmpdir(), 'grn-segtask-'));
});
after(() => rm(dir, { recursive: true, force: true }));

describe('segmentation task', () => {
  it('pixel cross-entropy is the mean over labelled pixels only (ignore index counts for nothing)', () => {
    // 1x1x3 pixels, 2 classes: logits favour class 0 at every pixel.
    const logits = tf.tensor4d([2, 0, 2, 0, 2, 0], [1, 1, 3, 2]);
    const targets = tf.tensor3d([0, 1, 255], [1, 1, 3], 'int32');
    const lse = Math.log(Math.exp(2) + 1);
    const expected = ((lse - 2) + lse) / 2;
    assert.ok(Math.abs(pixelCrossEntropy(logits, targets, 255).dataSync()[0]! - expected) < 1e-6);
    const none = tf.tensor3d([255, 255, 255], [1, 1, 3], 'int32');
    assert.equal(pixelCrossEntropy(logits, none, 255).dataSync()[0], 0);
    const m = confusion(logits, targets, 255).dataSync();
    assert.deepEqual(Array.from(m), [1, 0, 1, 0], 'truth 0 → 0, truth 1 → 0; the ignored pixel is not counted');
    tf.dispose([logits, targets, none]);
  });

  it('mIoU leaves out classes absent from both truth and prediction', () => {
    // 3 classes; class 2 never occurs: IoU_0 = 2/3, IoU_1 = 1/2 → mIoU 7/12, not 7/18.
    const matrix = Float64Array.from([2, 1, 0, 0, 1, 0, 0, 0, 0]);
    const { pixel_accuracy, miou } = segmentationMetrics(matrix, 3);
    assert.ok(Math.abs(pixel_accuracy - 3 / 4) < 1e-12);
    assert.ok(Math.abs(miou - 7 / 12) < 1e-12);
  });

  it('a trial trains end to end on image/mask pairs: loss falls, mIoU and pixel accuracy per epoch, a valid result', async () => {
    const root = await writeSegmentationFolder(join(dir, 'pairs'), { classes: 3, perSplit: 8, height: 16, width: 16 });
    const config = TrialConfigSchema.parse({
      dataset: 'pairs',
      kind: 'segmentation-folder',
      dataDir: root,
      model: 'unet',
      optimizer: 'adam',
      hyperparameters: { lr: 0.01 },
      epochs: 4,
      batchSize: 4,
      seed: 1,
    });
    const result = await runTrial(config, { device, cacheDir: join(dir, 'cache') });
    TrialResultSchema.parse(result);
    assert.equal(result.status, 'completed');
    assert.equal(result.primary_metric, 'miou');
    assert.equal(result.miou?.length, 4);
    assert.equal(result.pixel_accuracy?.length, 4);
    assert.ok(result.loss.at(-1)! < result.loss[0]!, `loss ${result.loss}`);
    assert.ok(result.miou!.every((v) => v >= 0 && v <= 1));
  });
});
