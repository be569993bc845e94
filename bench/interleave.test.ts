import assert from 'node:assert/strict';
import { test } from 'node:test';
import { interleavePairs, type Contender } from './interleave.js';

/** A contender whose n-th unit (0-based) takes `wall(n)` ms and twice that in CPU; it counts its calls. */
function fake(name: string, wall: (n: number) => number): Contender & { calls: number } {
  const c = {
    name,
    calls: 0,
    unit: async () => {
      const n = c.calls++;
      return { wallMs: wall(n), cpuMs: 2 * wall(n) };
    },
  };
  return c;
}

test('pairs: every contender beside its own baseline turns, lead-in units untimed, warm-up rounds dropped', async () => {
  const base = fake('sgd', () => 10);
  // Odd units (the timed ones after a one-unit lead-in) cost 15, the lead-ins 1000: they must not count.
  const a = fake('a', (n) => (n % 2 === 1 ? 15 : 1000));
  const b = fake('b', () => 20);
  const seen: number[] = [];
  const r = await interleavePairs(base, [a, b], { rounds: 3, warmupRounds: 1, seconds: 0, turnUnits: 1, leadInUnits: 1, seed: 't', onRound: (round) => seen.push(round) });
  assert.deepEqual(seen, [-1, 0, 1, 2]);
  assert.equal(r.baseline.length, 3);
  for (const round of r.contender.a!) assert.deepEqual(round, { wallMs: 15, cpuMs: 30, units: 1 });
  for (const round of r.contender.b!) assert.deepEqual(round, { wallMs: 20, cpuMs: 40, units: 1 });
  for (const round of [...r.partner.a!, ...r.partner.b!]) assert.deepEqual(round, { wallMs: 10, cpuMs: 20, units: 1 });
  // The baseline's own series pools its turns beside both contenders.
  for (const round of r.baseline) assert.equal(round.units, 2);
  // 4 rounds × (lead-in + timed unit) for each contender; the baseline twice per cycle.
  assert.equal(a.calls, 8);
  assert.equal(b.calls, 8);
  assert.equal(base.calls, 16);
});

test('a round runs whole cycles until its time is up', async () => {
  const base = fake('sgd', () => 1);
  const a = fake('a', () => 1);
  const r = await interleavePairs(base, [a], { rounds: 2, warmupRounds: 0, seconds: 0.02, turnUnits: 3, seed: 't' });
  for (const round of r.contender.a!) {
    assert.equal(round.units % 3, 0);
    assert.ok(round.units >= 3);
  }
  assert.deepEqual(r.contender.a!.map((x) => x.units), r.partner.a!.map((x) => x.units));
});
