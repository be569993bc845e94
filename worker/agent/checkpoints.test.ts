import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ARTIFACTS_STORE } from '../../shared/protocol/names.js';
import { orchestratorOnTestServer } from '../../test/helpers/nats-server.js';
import { CellCheckpoints, readWithin } from './checkpoints.js';

/**
 * A cell's checkpoint object on a real nats-server: puts that never overlap, and reads that end
 * even when the object's chunks vanish under them (an earlier attempt's put replacing it).
 */
const env = orchestratorOnTestServer('checkpoints test');
const at = (step: number) => ({ step, epoch: 0 });
const fast = { readMs: 500, reads: 2, settleMs: 5_000, puts: 3, putBackoffMs: 10 };

describe('cell checkpoints in the Object Store', () => {
  test('saves in a burst: one put at a time, the newest one stored last, older waiting ones dropped', async () => {
    const puts: number[] = [];
    let inFlight = 0;
    let overlapped = false;
    const store = env.stores.artifacts;
    // The real store, with its puts counted: that they never overlap is the point.
    const counted = Object.create(store) as typeof store;
    counted.putBlob = async (meta, bytes) => {
      inFlight++;
      overlapped ||= inFlight > 1;
      try {
        puts.push(bytes![0]!);
        return await store.putBlob(meta, bytes);
      } finally {
        inFlight--;
      }
    };
    const ckpt = new CellCheckpoints(counted, 'checkpoints/burst/c1.ckpt', () => undefined, fast);
    const saves = [1, 2, 3, 4, 5].map((n) => ckpt.save(new Uint8Array([n, n, n]), at(n)));
    await Promise.all(saves);
    await ckpt.settled();
    assert.equal(overlapped, false, 'two puts were in flight at once');
    assert.equal(puts[0], 1, 'the first save is stored at once');
    assert.equal(puts.at(-1), 5, 'the newest save is stored last');
    assert.ok(puts.length < 5, `saves waiting behind a put are superseded: ${JSON.stringify(puts)}`);
    assert.deepEqual(ckpt.saved, at(5));
    assert.deepEqual([...(await ckpt.load())!], [5, 5, 5]);
  });

  test('a read whose chunks were purged under it gives up after its time, then the cell starts from scratch', async () => {
    const name = 'checkpoints/purged/c1.ckpt';
    const info = await env.stores.artifacts.putBlob({ name }, new Uint8Array(4096).fill(7));
    // What a concurrent replacing put leaves for a reader that already has the old metadata.
    await env.stores.jsm.streams.purge(`OBJ_${ARTIFACTS_STORE}`, { filter: `$O.${ARTIFACTS_STORE}.C.${info.nuid}` });
    const began = Date.now();
    await assert.rejects(readWithin(env.stores.artifacts, name, 500), /no complete read of checkpoints\/purged\/c1\.ckpt within 500 ms/);
    assert.ok(Date.now() - began < 5_000, 'the read stopped at its bound');
    const lines: string[] = [];
    const ckpt = new CellCheckpoints(env.stores.artifacts, name, (line) => lines.push(line), fast);
    assert.equal(await ckpt.load(), undefined);
    assert.match(lines.join('\n'), /cannot read the checkpoint \(no complete read .* 2 tries\); starting from scratch/);
  });

  test('a put that fails (the server away) is tried again, and only the newest checkpoint is', async () => {
    const store = env.stores.artifacts;
    let failures = 2;
    const tried: number[] = [];
    const flaky = Object.create(store) as typeof store;
    flaky.putBlob = async (meta, bytes) => {
      tried.push(bytes![0]!);
      if (failures-- > 0) throw new Error('TimeoutError: timeout');
      return store.putBlob(meta, bytes);
    };
    const lines: string[] = [];
    const ckpt = new CellCheckpoints(flaky, 'checkpoints/flaky/c1.ckpt', (line) => lines.push(line), fast);
    await ckpt.save(new Uint8Array([8]), at(8));
    assert.deepEqual(tried, [8, 8, 8], 'failed twice, stored on the third put');
    assert.deepEqual(ckpt.saved, at(8));
    assert.deepEqual([...(await ckpt.load())!], [8]);
    assert.deepEqual(lines, []);
    // Failing every time: given up after `puts` tries, with a line saying so; the trial goes on.
    failures = Infinity;
    tried.length = 0;
    await ckpt.save(new Uint8Array([12]), at(12));
    assert.deepEqual(tried, [12, 12, 12]);
    assert.match(lines.join('\n'), /checkpoint at step 12 not stored \(TimeoutError: timeout, 3 tries\)/);
    assert.deepEqual(ckpt.saved, at(8), 'the last stored checkpoint is still the one at step 8');
    // A newer checkpoint arriving while a failed one waits to be tried again replaces it.
    failures = 1;
    tried.length = 0;
    const first = ckpt.save(new Uint8Array([16]), at(16));
    const second = ckpt.save(new Uint8Array([20]), at(20));
    await Promise.all([first, second]);
    assert.deepEqual(tried, [16, 20]);
    assert.deepEqual(ckpt.saved, at(20));
  });

  test('an absent checkpoint is undefined, a discarded one is gone', async () => {
    const ckpt = new CellCheckpoints(env.stores.artifacts, 'checkpoints/none/c1.ckpt', () => undefined, fast);
    assert.equal(await ckpt.load(), undefined);
    await ckpt.save(new Uint8Array([1]), at(1));
    assert.deepEqual([...(await ckpt.load())!], [1]);
    await ckpt.discard();
    assert.equal(await ckpt.load(), undefined);
  });
});
