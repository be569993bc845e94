import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { TelemetryRun } from './observer.js';
import { wastedSteps } from './verify.js';

/** The chaos suite's `wasted_steps`: steps of interrupted runs that no later run carried on from. */
const run = (attempt: number | undefined, firstStep: number, maxStep: number, node = 'w1', slot = 'cpu0'): TelemetryRun => ({ node, slot, attempt, firstStep, maxStep, lastStep: maxStep });

test('an uninterrupted cell wastes nothing', () => {
  assert.deepEqual(wastedSteps([run(1, 0, 99)], { node: 'w1', slot: 'cpu0', attempt: 1 }), { steps: 0, interrupted: 0 });
});

test('killed at step 10, resumed from the checkpoint at step 8: steps 8, 9 and 10 are done twice', () => {
  // Steps 0..10 by attempt 1 (11 steps), attempt 2 starts at step 8: 8, 9, 10 are thrown away.
  assert.deepEqual(wastedSteps([run(1, 0, 10), run(2, 8, 99, 'w2')], { node: 'w2', slot: 'cpu0', attempt: 2 }), { steps: 3, interrupted: 1 });
});

test('interrupted twice: each run is charged only what its successor did not carry on from', () => {
  // 0..10 (next resumes at 8: 3 wasted), 8..21 (next resumes at 20: 2 wasted), 20..99 accepted.
  // The old formula (every run's 1 + highest step, minus the accepted run's resume step) said 14.
  const runs = [run(1, 0, 10), run(2, 8, 21), run(3, 20, 99)];
  assert.deepEqual(wastedSteps(runs, { node: 'w1', slot: 'cpu0', attempt: 3 }), { steps: 5, interrupted: 2 });
});

test('a run from scratch after a lost checkpoint throws away everything before it', () => {
  assert.deepEqual(wastedSteps([run(1, 0, 10), run(2, 0, 99)], { node: 'w1', slot: 'cpu0', attempt: 2 }), { steps: 11, interrupted: 1 });
});

test('a frozen worker that came back and trained on after the cell moved on: all its later steps count', () => {
  // Attempt 1 froze at 5, attempt 2 resumed at 4 and was accepted; attempt 1 went on to step 30.
  assert.deepEqual(wastedSteps([run(1, 0, 30), run(2, 4, 99, 'w2')], { node: 'w2', slot: 'cpu0', attempt: 2 }), { steps: 27, interrupted: 1 });
});

test('a resumed sweep numbers deliveries from 1 again: runs count in the order they were seen', () => {
  // Attempt 2 ran 0..20 and died with its worker; the orchestrator was resumed and re-published
  // the cell, whose next delivery is attempt 1 again, resuming at step 4: 17 steps done twice.
  assert.deepEqual(wastedSteps([run(2, 0, 20), run(1, 4, 31)], { node: 'w1', slot: 'cpu0', attempt: 1 }), { steps: 17, interrupted: 1 });
});

test('telemetry without attempts (an older worker): runs in the order seen, the accepted one on the result slot', () => {
  assert.deepEqual(wastedSteps([run(undefined, 0, 10), run(undefined, 8, 99, 'w2', 'cpu1')], { node: 'w2', slot: 'cpu1', attempt: 2 }), { steps: 3, interrupted: 1 });
});

test('an accepted attempt that sent no step record starts where its result says it resumed', () => {
  // Attempt 1 did all 32 steps (0..31, telemetry sampled up to 24) and saved its end-of-training
  // checkpoint before it was killed; attempt 2 resumed at step 32 and only evaluated: no waste.
  assert.deepEqual(wastedSteps([run(1, 0, 24)], { node: 'w2', slot: 'cpu0', attempt: 2 }, 32), { steps: 0, interrupted: 1 });
  // Without a checkpoint it started from scratch: attempt 1's steps (25 seen) were all done again.
  assert.deepEqual(wastedSteps([run(1, 0, 24)], { node: 'w2', slot: 'cpu0', attempt: 2 }), { steps: 25, interrupted: 1 });
});
