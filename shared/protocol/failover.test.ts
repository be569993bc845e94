import assert from 'node:assert/strict';
import { test } from 'node:test';
import { duringFailover, isFailoverError } from './failover.js';

test('duringFailover retries only the errors of a leader election, and only for a while', async () => {
  const noLeader = Object.assign(new Error('jetstream is not enabled'), { name: 'JetStreamNotEnabled' });
  let calls = 0;
  assert.equal(await duringFailover(async () => (++calls < 3 ? Promise.reject(noLeader) : 'ok')), 'ok');
  assert.equal(calls, 3);
  assert.ok(isFailoverError(Object.assign(new Error('timeout'), { name: 'TimeoutError' })));
  assert.ok(!isFailoverError(new Error('wrong last sequence: 4')));
  calls = 0;
  await assert.rejects(duringFailover(async () => Promise.reject(new Error('permissions violation')).finally(() => calls++)), /permissions violation/);
  assert.equal(calls, 1, 'other errors are not retried');
  await assert.rejects(duringFailover(() => Promise.reject(noLeader), 0), /jetstream is not enabled/);
});
