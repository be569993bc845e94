import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CheckpointError } from './errors.js';
import { decodeCheckpoint, encodeCheckpoint } from './format.js';
import { checkIdentity } from './identity.js';

const sample = () =>
  encodeCheckpoint(
    { at: { epoch: 1, step: 7 }, ema: Number.NaN, spike: Number.POSITIVE_INFINITY },
    new Map([
      ['a', { shape: [2, 3], data: Float32Array.from([1, 2, 3, 4, 5, -0]) }],
      ['b', { shape: [], data: Float32Array.from([0.1]) }],
    ]),
  );

/** Asserts `f` throws a CheckpointError for `reason` whose message matches `message`. */
function refuses(f: () => unknown, reason: CheckpointError['reason'], message: RegExp) {
  assert.throws(f, (err: unknown) => {
    assert.ok(err instanceof CheckpointError, `not a CheckpointError: ${String(err)}`);
    assert.equal(err.reason, reason);
    assert.match(err.message, message);
    return true;
  });
}

describe('checkpoint format', () => {
  it('round-trips state (non-finite numbers too) and tensors bit for bit', () => {
    const { state, tensors } = decodeCheckpoint(sample());
    assert.deepEqual(state, { at: { epoch: 1, step: 7 }, ema: Number.NaN, spike: Number.POSITIVE_INFINITY });
    assert.deepEqual([...tensors.get('a')!.data], [1, 2, 3, 4, 5, -0]);
    assert.ok(Object.is(tensors.get('a')!.data[5], -0));
    assert.deepEqual(tensors.get('b')!.shape, []);
    assert.equal(tensors.get('b')!.data[0], Math.fround(0.1));
  });

  it('reads bytes that sit unaligned in a larger buffer', () => {
    const bytes = sample();
    const shifted = new Uint8Array(bytes.length + 1);
    shifted.set(bytes, 1);
    assert.deepEqual([...decodeCheckpoint(shifted.subarray(1)).tensors.get('a')!.data], [1, 2, 3, 4, 5, -0]);
  });

  it('names what is wrong with bytes that are not a whole checkpoint', () => {
    const bytes = sample();
    refuses(() => decodeCheckpoint(new TextEncoder().encode('{"format":"grn.trial-result/1"}')), 'not-a-checkpoint', /signature/);
    refuses(() => decodeCheckpoint(new Uint8Array(0)), 'not-a-checkpoint', /0 bytes/);
    refuses(() => decodeCheckpoint(bytes.subarray(0, 10)), 'truncated', /prefix|header says/);
    refuses(() => decodeCheckpoint(bytes.subarray(0, bytes.length - 9)), 'truncated', /the header describes/);
    const flipped = bytes.slice();
    flipped[bytes.length - 12]! ^= 0x40; // inside the tensor data
    refuses(() => decodeCheckpoint(flipped), 'corrupt', /checksum mismatch/);
    const badHeader = bytes.slice();
    badHeader[13] = 0x7b; // '{' where the header's text is: no longer JSON
    badHeader[14] = 0x7b;
    refuses(() => decodeCheckpoint(badHeader), 'corrupt', /not JSON/);
    const longer = new Uint8Array(bytes.length + 4);
    longer.set(bytes);
    refuses(() => decodeCheckpoint(longer), 'corrupt', /more than the header describes/);
  });

  it('refuses another format version by name', () => {
    const bytes = sample();
    const text = Buffer.from(bytes).toString('latin1').replace('grn.checkpoint/1', 'grn.checkpoint/9');
    refuses(() => decodeCheckpoint(Buffer.from(text, 'latin1')), 'unsupported-format', /grn\.checkpoint\/9.*reads grn\.checkpoint\/1/);
  });

  it('refuses a checkpoint of another trial, naming the fields that differ', () => {
    const ours = { seed: 1, optimizer: 'sgd', epochs: 3 };
    checkIdentity({ epochs: 3, optimizer: 'sgd', seed: 1 }, ours);
    refuses(() => checkIdentity({ seed: 2, optimizer: 'adam', epochs: 3 }, ours), 'foreign-trial', /optimizer: checkpoint "adam", trial "sgd"; seed: checkpoint 2, trial 1/);
  });
});
