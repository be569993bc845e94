import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { crc32c, maskedCrc32c } from './crc32c.js';
import { encodeEvent, eventFile, readTfRecords, tfRecord } from './events.js';
import { writeTrialEvents } from './export.js';

test('CRC-32C check values', () => {
  // RFC 3720 (iSCSI) appendix B.4 and the usual check string: crc32c("123456789") = 0xE3069283.
  assert.equal(crc32c(Buffer.from('123456789')), 0xe3069283);
  assert.equal(crc32c(new Uint8Array(32)), 0x8a9136aa); // 32 bytes of zeros (RFC 3720 B.4)
  assert.equal(crc32c(new Uint8Array(32).fill(0xff)), 0x62a8ab43); // 32 bytes of ones
  // TensorFlow's mask: ((crc >>> 15) | (crc << 17)) + 0xa282ead8, modulo 2^32.
  const c = 0xe3069283;
  assert.equal(maskedCrc32c(Buffer.from('123456789')), ((((c >>> 15) | (c << 17)) >>> 0) + 0xa282ead8) >>> 0);
});

test('Event protobuf bytes, field by field', () => {
  const bytes = encodeEvent({ wallTime: 1, step: 300, scalars: [{ tag: 'a', value: 0.5 }] });
  const expected = Buffer.concat([
    Buffer.from([0x09]), Buffer.from([0, 0, 0, 0, 0, 0, 0xf0, 0x3f]), // wall_time = 1.0 (double)
    Buffer.from([0x10, 0xac, 0x02]), // step = 300 (varint)
    Buffer.from([0x2a, 0x0a]), // summary, 10 bytes
    Buffer.from([0x0a, 0x08]), // Summary.value, 8 bytes
    Buffer.from([0x0a, 0x01, 0x61]), // Value.tag = "a"
    Buffer.from([0x15, 0, 0, 0, 0x3f]), // Value.simple_value = 0.5 (float)
  ]);
  assert.deepEqual(Buffer.from(bytes), expected);
});

test('TFRecord framing round-trips and catches corruption', () => {
  const file = Buffer.concat([tfRecord(Buffer.from('hello')), tfRecord(Buffer.alloc(0))]);
  assert.deepEqual(readTfRecords(file).map((r) => r.toString()), ['hello', '']);
  const bad = Buffer.from(file);
  bad[13] = bad[13]! ^ 1;
  assert.throws(() => readTfRecords(bad), /bad data CRC/);
  assert.equal(eventFile(0, []).length > 16, true);
});

const hasTensorboard = spawnSync('python3', ['-c', 'import tensorboard'], { stdio: 'ignore' }).status === 0;

test('TensorBoard reads our event files back', { skip: hasTensorboard ? false : 'python3 with tensorboard not installed (pip install tensorboard)' }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'grn-tb-'));
  try {
    const result = {
      batch_step: [0, 10, 20],
      batch_loss: [2.3, 1.5, 0.9],
      learning_rate: [0.01, 0.01, null],
      accuracy: [0.9],
      epoch_time: [3],
      memory_usage: [[0, 900]],
      manifest: { batch_size: 64, dataset: { train_samples: 1920 }, started_at: '2026-01-01T00:00:00Z' },
    };
    writeTrialEvents(dir, result);
    const file = join(dir, readdirSync(dir)[0]!);
    // EventAccumulator goes through TensorBoard's record reader, which checks both CRCs of every
    // record and stops at the first bad one: so every scalar coming back proves the framing.
    const script = `
import json, sys
from tensorboard.backend.event_processing import event_accumulator as ea
acc = ea.EventAccumulator(sys.argv[1], size_guidance={ea.SCALARS: 0}); acc.Reload()
print(json.dumps({t: [[s.step, s.value] for s in acc.Scalars(t)] for t in acc.Tags()['scalars']}))`;
    const out = JSON.parse(execFileSync('python3', ['-c', script, file], { encoding: 'utf8' }).trim().split('\n').at(-1)!);
    assert.deepEqual(out['train/batch_loss'].map((x: number[]) => x[0]), [0, 10, 20]);
    assert.ok(Math.abs(out['train/batch_loss'][2][1] - 0.9) < 1e-6);
    assert.deepEqual(out['optimizer/learning_rate'].map((x: number[]) => x[0]), [0, 10]);
    // Per-epoch values sit on the epoch's last step: 1920 / 64 = 30 steps per epoch.
    assert.deepEqual(out['epoch/test_accuracy'].map((x: number[]) => x[0]), [29]);
    assert.ok(Math.abs(out['epoch/ram_mb'][0][1] - 900) < 1e-3);
    assert.ok(readFileSync(file).length > 0);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
