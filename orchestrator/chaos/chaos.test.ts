import assert from 'node:assert/strict';
import { test } from 'node:test';
import { runChaos } from './harness.js';

/**
 * The chaos suite, small: 20 real trainings through the real CLI with one fault of every kind — a
 * trainer and a worker SIGKILLed, the orchestrator SIGKILLed and resumed, nats-server SIGKILLed,
 * a worker SIGSTOPped past its (4 s) lease — fired as results come in (seeded, event-driven).
 * Nothing may be lost or stored twice.
 */
test('chaos: 20 cells, 5 faults: every cell has exactly one result or an explicit failure', { timeout: 100_000 }, async () => {
  const lines: string[] = [];
  const report = await runChaos({ cells: 20, kills: 5, seed: 3, workers: 2, ackWaitMs: 4000, maxDeliver: 5, checkpointEvery: 4, timeoutMs: 85_000, log: (l) => lines.push(l) });
  const why = `${JSON.stringify(report.counters)}\n${report.faults.map((f) => `${f.kind}: ${f.target} ${f.outcome}`).join('\n')}\n${lines.join('\n')}`;
  assert.equal(report.timedOut, false, why);
  assert.equal(report.counters.lost, 0, why);
  assert.equal(report.counters.duplicated, 0, why);
  assert.equal(report.counters.completed + report.counters.failed, 20, why);
  assert.ok(report.faults.every((f) => f.firedAt !== null), `every fault fired\n${why}`);
  assert.equal(report.exits.at(-1), 0, why);
});
