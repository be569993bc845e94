import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { QController, stateKey, type ControllerConfig } from './controller.js';
import { scripted } from '../../../../test/helpers/scripted-random.js';

const CONFIG: ControllerConfig = {
  epsilon: 0.5, epsilonDecay: 0.995, epsilonMin: 0.01, mixProb: 0.8, mixProbMin: 0.1, mixProbDecay: 0.98,
  mixProbGrowth: 1.049, mixProbLossThreshold: 0.01, alpha: 0.1, gamma: 0.9, multDown: 0.95, multUp: 1.05, addStep: 0.005, exploitAsOwnKind: false,
};


describe('Q-learning controller', () => {
  it('rounds the state to two decimals as Python does and keys it with epoch and layer depth', () => {
    assert.equal(stateKey(2.30259, 0.000012, 3.9876, 1), '2.30|0.00|3.99|1|1');
    // Exact binary ties go to even (round(0.125, 2) == 0.12, round(0.375, 2) == 0.38); 1.115 is
    // really 1.11499999…, so it rounds down, where Math.round(x·100)/100 would give 1.12.
    assert.equal(stateKey(0.125, 0.375, 1.115, 0), '0.12|0.38|1.11|0|1');
    // −0.0 and 0.0 are one Python dict key.
    assert.equal(stateKey(-0.001, 0, -1234.5678, 2), '0.00|0.00|-1234.57|2|1');
  });

  it('explores multiplicatively: ε-draw, mix draw, one draw per scale; ε decays', () => {
    // 0.3 < ε=0.5 explore; 0.5 < mix 0.8 multiplicative; scales draw indices 0, 1, 2.
    const c = new QController(CONFIG, scripted([0.3, 0.5, 0.1, 0.5, 0.9]));
    const action = c.choose('s');
    assert.equal(action.kind, 'explore-mult');
    assert.deepEqual(action.values, { lr: 0.95, momentum: 1, grad: 1.05 });
    assert.equal(c.epsilon, 0.5 * 0.995);
    assert.deepEqual(c.apply(action), { lr: 0.95, momentum: 1, grad: 1.05 });
  });

  it('explores additively when the mix draw exceeds mix_prob', () => {
    const c = new QController(CONFIG, scripted([0.3, 0.9, 0.9, 0.0, 0.5]));
    const action = c.choose('s');
    assert.equal(action.kind, 'explore-add');
    assert.deepEqual(action.values, { lr: 0.005, momentum: -0.005, grad: 0 });
    assert.deepEqual(c.apply(action), { lr: 1.005, momentum: 0.995, grad: 1 });
  });

  it('updates Q by hand-checked arithmetic and exploits the learnt row', () => {
    const c = new QController(CONFIG, scripted([0.3, 0.5, 0.9, 0.9, 0.9, 0.9]));
    const action = c.choose('s'); // explore-mult, every scale ×1.05
    // Q(s, *_mult) = 0 + 0.1·(−0.2 + 0.9·0 − 0) = −0.02, next state unseen.
    c.update('s', action, -0.2, 'unseen');
    assert.deepEqual(Array.from(c.table.get('s')!).map((x) => +x.toFixed(12)), [-0.02, 0, -0.02, 0, -0.02, 0]);
    // Second update with next state 's' (max over its row = 0): −0.02 + 0.1·(−0.2 + 0 + 0.02) = −0.038.
    c.update('s', action, -0.2, 's');
    assert.ok(Math.abs(c.table.get('s')![0]! - -0.038) < 1e-12);
    // Exploit (0.9 ≥ ε): Q_add 0 > Q_mult −0.038, so each scale takes the additive value 0.
    const exploit = c.choose('s');
    assert.equal(exploit.kind, 'exploit');
    assert.deepEqual(exploit.values, { lr: 0, momentum: 0, grad: 0 });
    assert.equal(c.visits.get('s'), 2);
  });

  it('as written, an exploited 1 + Q_mult that is not 0.95/1/1.05 is added; corrected, it multiplies', () => {
    const row = Float64Array.from([0.02, -1, 0.02, -1, 0.02, -1]); // Q_mult wins: value 1.02
    for (const [exploitAsOwnKind, expected] of [[false, 2.02], [true, 1.02]] as const) {
      const c = new QController({ ...CONFIG, exploitAsOwnKind }, scripted([0.9]));
      c.table.set('s', Float64Array.from(row));
      const action = c.choose('s');
      assert.equal(action.values.lr, 1.02);
      assert.ok(Math.abs(c.apply(action).lr - expected) < 1e-12);
      // The Q entry updated follows the same rule: as written, the `_add` entry.
      c.update('s', action, 0, 's');
      const q = c.table.get('s')!;
      if (exploitAsOwnKind) assert.ok(q[1] === -1 && q[0]! !== 0.02);
      else assert.ok(q[0] === 0.02 && q[1]! !== -1);
    }
  });

  it('ε never falls below its floor', () => {
    const c = new QController({ ...CONFIG, epsilon: 0.011 }, () => 0.99);
    for (let i = 0; i < 50; i++) c.choose('s');
    assert.equal(c.epsilon, 0.01);
  });

  it('update_mix_prob: the first call records the loss; then decay ×0.98 while |ΔL| < 0.01 (floor 0.1), else ×1.049 up to the initial value', () => {
    const c = new QController(CONFIG, () => 0.5);
    c.updateMixProb(1.0);
    assert.equal(c.mixProb, 0.8);
    c.updateMixProb(1.005);
    assert.ok(Math.abs(c.mixProb - 0.8 * 0.98) < 1e-12);
    c.updateMixProb(1.006);
    c.updateMixProb(1.0);
    assert.ok(Math.abs(c.mixProb - 0.8 * 0.98 ** 3) < 1e-12);
    c.updateMixProb(2.0);
    assert.ok(Math.abs(c.mixProb - 0.8 * 0.98 ** 3 * 1.049) < 1e-12);
    c.updateMixProb(3.0);
    assert.equal(c.mixProb, 0.8, 'capped at the initial value');
    for (let i = 0; i < 200; i++) c.updateMixProb(3.0);
    assert.equal(c.mixProb, 0.1, 'floor');
  });

  it('one full controller step by hand: choose (scripted draws), apply, Q update', () => {
    // ε-draw 0.2 < 0.5 explore; mix draw 0.85 ≥ 0.8 additive; per-scale draws → indices 2, 0, 1.
    const c = new QController(CONFIG, scripted([0.2, 0.85, 0.7, 0.1, 0.4]));
    const action = c.choose('a');
    assert.equal(action.kind, 'explore-add');
    assert.deepEqual(action.values, { lr: 0.005, momentum: -0.005, grad: 0 });
    assert.equal(c.epsilon, 0.4975);
    assert.deepEqual(c.apply(action), { lr: 1.005, momentum: 0.995, grad: 1 });
    // Next state 'b' seen with Q row [0.1, −0.3, 0, 0, 0.05, 0]: max 0.1.
    c.table.set('b', Float64Array.from([0.1, -0.3, 0, 0, 0.05, 0]));
    c.update('a', action, -0.05, 'b');
    // Each *_add entry of 'a': 0 + 0.1·(−0.05 + 0.9·0.1 − 0) = 0.004; the *_mult entries stay 0.
    const row = Array.from(c.table.get('a')!);
    [0, 0.004, 0, 0.004, 0, 0.004].forEach((want, i) => assert.ok(Math.abs(row[i]! - want) < 1e-15, `${i}: ${row[i]}`));
    assert.equal(c.visits.get('a'), 1);
  });

  it('as written, the applied kinds follow the value; corrected, the kind whose Q won', () => {
    const row = Float64Array.from([-0.02, -1, 0, -1, 0.05, -1]);
    for (const exploitAsOwnKind of [false, true]) {
      const c = new QController({ ...CONFIG, exploitAsOwnKind }, scripted([0.9]));
      c.table.set('s', Float64Array.from(row));
      const action = c.choose('s');
      assert.deepEqual(action.values, { lr: 0.98, momentum: 1, grad: 1.05 });
      // 1.0 and 1.05 are in {0.95, 1, 1.05}: multiplicative either way; 0.98 is added as written.
      assert.deepEqual(c.appliedKinds(action), { lr: exploitAsOwnKind ? 'mult' : 'add', momentum: 'mult', grad: 'mult' });
    }
  });

  it('bayesian_initialize_params draws each scale from N(scale, 0.05²) with its own stream', () => {
    const c = new QController(CONFIG, scripted([]));
    // Box–Muller: sqrt(−2 ln u1)·cos(2π u2), u = (0.5, 0) → sqrt(2 ln 2); (0.5, 0.5) → −sqrt(2 ln 2).
    c.bayesianInitialize(0.05, scripted([0.5, 0, 0.5, 0.5, 1, 0.25]));
    const z = Math.sqrt(2 * Math.log(2));
    assert.ok(Math.abs(c.scales.lr - (1 + 0.05 * z)) < 1e-12);
    assert.ok(Math.abs(c.scales.momentum - (1 - 0.05 * z)) < 1e-12);
    assert.ok(Math.abs(c.scales.grad - 1) < 1e-12);
  });
});
