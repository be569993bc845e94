import assert from 'node:assert/strict';
import { test } from 'node:test';
import { choose, planFaults } from './schedule.js';

test('the fault schedule is fixed by the seed: same seed, same faults at the same results', () => {
  const a = planFaults({ cells: 200, kills: 20, seed: 7 });
  assert.deepEqual(planFaults({ cells: 200, kills: 20, seed: 7 }), a);
  assert.notDeepEqual(planFaults({ cells: 200, kills: 20, seed: 8 }), a);
  assert.equal(a.length, 20);
  const count = (kind: string) => a.filter((f) => f.kind === kind).length;
  assert.deepEqual([count('kill-orchestrator'), count('kill-server'), count('stop-worker'), count('kill-trainer'), count('kill-worker')], [1, 1, 1, 11, 6]);
  // Moments in firing order, within the first 80 % of the results.
  assert.ok(a.every((f, i) => f.afterResults >= 1 && f.afterResults <= 160 && (i === 0 || f.afterResults >= a[i - 1]!.afterResults)));
});

test('fewer than 5 faults take the kinds in order: trainer, worker, orchestrator, server, stop', () => {
  assert.deepEqual(planFaults({ cells: 20, kills: 3, seed: 1 }).map((f) => f.kind), ['kill-trainer', 'kill-worker', 'kill-orchestrator']);
  assert.deepEqual(planFaults({ cells: 20, kills: 0, seed: 1 }), []);
  assert.equal(choose([], 0.5), undefined);
  assert.equal(choose(['a', 'b'], 0.99), 'b');
});
