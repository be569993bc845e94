import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { DATASETS, hyperparameterProblems, OPTIMIZERS, trainingCatalog } from '../../worker/engine/catalog.js';
import { OFF_SIGN, planAblation, skippedNotes } from './ablation.js';
import { SpecError } from './errors.js';
import { countCells, expandGrid } from './grid.js';
import { parseSweepSpec } from './load.js';
import type { KnownNames } from './spec.js';

/**
 * The one-component-off ablation planned from the engine's real catalog (its switches, their
 * kinds and the modes' rules live in worker/engine/optimizers/enhanced-sgd/params.ts; the
 * catalog is TensorFlow.js-free).
 */
const switches = OPTIMIZERS.get('enhanced-sgd').switches!;
const KNOWN: KnownNames = { optimizers: OPTIMIZERS.names, datasets: DATASETS.names, checkHyperparameters: hyperparameterProblems, training: trainingCatalog };
const plan = (base: Record<string, string>, components: 'all' | string[] = 'all') => planAblation({ optimizer: 'enhanced-sgd', base, components }, switches);

describe('planAblation (from the catalog)', () => {
  test('intended: the base plus every switch of the catalog flipped once from its base value, labelled and kinded', () => {
    const p = plan({ controller: 'intended' });
    assert.deepEqual(p.problems, []);
    assert.deepEqual(p.skipped, []);
    const base = switches.resolve({ controller: 'intended' }).switches;
    assert.equal(p.variants[0]!.label, 'enhanced-sgd[intended]');
    assert.deepEqual(p.variants[0]!.ablation, { base: 'enhanced-sgd[intended]', component: null });
    const flips = p.variants.slice(1);
    assert.deepEqual(flips.map((v) => v.ablation.component), switches.switches.map((s) => s.name), 'every switch, once, in the catalog order');
    for (const v of flips) {
      const name = v.ablation.component!;
      const resolved = switches.resolve(v.hyperparameters).switches;
      assert.equal(resolved[name], !base[name], `${name} flipped`);
      assert.equal(v.ablation.value, !base[name]);
      assert.equal(v.ablation.kind, switches.switches.find((s) => s.name === name)!.kind);
      assert.equal(v.label, `enhanced-sgd[intended ${base[name] ? OFF_SIGN : '+'}${name}]`);
      // Nothing else changes, except what cannot run without the loss when the loss is no longer passed.
      for (const other of Object.keys(base)) {
        if (other === name || resolved[other] === base[other]) continue;
        // The momentum is adapted through the controller: without q_controller it is off too.
        const follows = (name === 'pass_loss' || (name === 'q_controller' && other === 'adaptive_momentum')) && resolved[other] === false;
        assert.ok(follows, `${name} also changed ${other}`);
      }
    }
    // Components on in the base are switched off, the original's unused ones on; corrections back to as written.
    const label = (c: string) => flips.find((v) => v.ablation.component === c)!.label;
    assert.equal(label('centering'), 'enhanced-sgd[intended −centering]');
    assert.equal(label('retention'), 'enhanced-sgd[intended +retention]');
    assert.equal(label('fixed_base_lr'), 'enhanced-sgd[intended −fixed_base_lr]');
    assert.equal(flips.find((v) => v.ablation.component === 'fixed_base_lr')!.ablation.kind, 'correction');
    assert.deepEqual(flips.find((v) => v.ablation.component === 'deferred_reward')!.hyperparameters, { controller: 'intended', deferred_reward: false });
  });

  test('seed: the switches that need the loss cannot be flipped on there, and are skipped with a note saying why', () => {
    const p = plan({ controller: 'seed' });
    assert.deepEqual(p.problems, []);
    assert.deepEqual(p.skipped.map((s) => s.component), ['spike_correction', 'q_controller', 'adaptive_momentum', 'mix_prob_update']);
    for (const s of p.skipped) assert.equal(s.reason, `${s.component} needs the loss, which controller 'seed' does not pass (add pass_loss=true)`);
    assert.equal(p.variants.length, 1 + switches.switches.length - 4);
    assert.equal(p.variants.find((v) => v.ablation.component === 'pass_loss')!.label, 'enhanced-sgd[seed +pass_loss]');
    assert.match(skippedNotes(p)[0]!, /^ablate: 'spike_correction' skipped, it cannot be flipped in the base enhanced-sgd\[seed\]: spike_correction needs the loss/);
  });

  test('a list flips only those, in its order; other base hyper-parameters are part of the label and every variant', () => {
    const p = planAblation({ optimizer: 'enhanced-sgd', base: { controller: 'intended', lr: 0.05 }, components: ['noise', 'centering'] }, switches);
    assert.deepEqual(p.variants.map((v) => v.label), ['enhanced-sgd[intended lr=0.05]', 'enhanced-sgd[intended lr=0.05 −noise]', 'enhanced-sgd[intended lr=0.05 −centering]']);
    assert.deepEqual(p.variants.map((v) => v.idPart), ['intended_lr0p05_base', 'intended_lr0p05_minus_noise', 'intended_lr0p05_minus_centering']);
    assert.ok(p.variants.every((v) => v.hyperparameters.lr === 0.05));
  });

  test('errors: a switch asked for by name that the base cannot flip (naming why), unknown and repeated names, an optimizer without switches', () => {
    const p = plan({ controller: 'seed' }, ['centering', 'q_controller', 'centring', 'centering']);
    assert.deepEqual(p.problems, [
      { at: 1, message: "'q_controller' cannot be flipped in the base enhanced-sgd[seed]: q_controller needs the loss, which controller 'seed' does not pass (add pass_loss=true)" },
      { at: 2, message: `unknown switch 'centring' of 'enhanced-sgd' (did you mean 'centering'?); its switches: ${switches.switches.map((s) => s.name).join(', ')}` },
      { at: 3, message: "duplicate switch 'centering' (also at [0])" },
    ]);
    assert.deepEqual(planAblation({ optimizer: 'sgd', base: {}, components: 'all' }, undefined, ['enhanced-sgd']).problems, [{ at: 'optimizer', message: "optimizer 'sgd' has no switches to ablate; those that have: enhanced-sgd" }]);
    assert.match(planAblation({ optimizer: 'enhanced-sgd', base: { controller: 'sometimes' }, components: 'all' }, switches).problems[0]!.message, /^optimizer 'enhanced-sgd': controller: /);
  });
});

const SPEC = `name: abl
grid:
  optimizer: [sgd]
  dataset: [mnist, cifar10]
  seed: [1, 2]
ablate:
  optimizer: enhanced-sgd
  base: { controller: intended }
  components: all
train: { epochs: 1, model: mlp }
`;

describe('an ablate: block in a spec', () => {
  test('expands to the plain baselines, then the base and one variant per switch, × data sets × seeds; each cell says what it ablates', () => {
    const spec = parseSweepSpec(SPEC, 'x.yaml', KNOWN);
    const cells = expandGrid(spec, trainingCatalog);
    const flips = switches.switches.length;
    assert.equal(cells.length, (1 + 1 + flips) * 2 * 2);
    assert.equal(countCells(spec, trainingCatalog), cells.length);
    assert.deepEqual(cells.slice(0, 4).map((c) => c.id), ['sgd-mnist-s1', 'sgd-mnist-s2', 'sgd-cifar10-s1', 'sgd-cifar10-s2']);
    assert.ok(cells.slice(0, 4).every((c) => c.ablation === undefined));
    assert.equal(cells[4]!.id, 'enhanced-sgd_intended_base-mnist-s1');
    assert.equal(new Set(cells.map((c) => c.id)).size, cells.length);
    const off = cells.find((c) => c.id === 'enhanced-sgd_intended_minus_centering-cifar10-s2')!;
    assert.equal(off.label, 'enhanced-sgd[intended −centering]');
    assert.deepEqual(off.ablation, { base: 'enhanced-sgd[intended]', component: 'centering', kind: 'component', value: false });
    // The trial is resolved like any cell: the variant's hyper-parameters over the optimizer's defaults.
    assert.equal(off.trial.hyperparameters.centering, false);
    assert.equal(off.trial.hyperparameters.controller, 'intended');
    assert.equal(off.trial.hyperparameters.lr, 0.01);
    assert.equal(off.trial.model, 'mlp');
    assert.equal(cells.find((c) => c.id === 'enhanced-sgd_intended_plus_retention-mnist-s1')!.trial.hyperparameters.retention, true);
  });

  test('grid.optimizer may be left out with an ablation, not without one', () => {
    const spec = parseSweepSpec(SPEC.replace('  optimizer: [sgd]\n', ''), 'x.yaml', KNOWN);
    assert.equal(expandGrid(spec, trainingCatalog).length, (1 + switches.switches.length) * 2 * 2);
    assert.throws(
      () => parseSweepSpec('name: x\ngrid:\n  dataset: [mnist]\n  seed: [1]\n', 'x.yaml', KNOWN),
      (err: Error) => err instanceof SpecError && err.message === 'x.yaml:2:1: grid.optimizer: missing: expected a non-empty list of optimizer names (or an ablate: block naming the optimizer to ablate)',
    );
  });

  test('problems are located: a component the base cannot flip (and why), an unknown switch, an optimizer without switches, a bad base', () => {
    const text = SPEC.replace('{ controller: intended }', '{ controller: seed }').replace('components: all', 'components: [noise, q_controller, centring]');
    assert.throws(
      () => parseSweepSpec(text, 'x.yaml', KNOWN),
      (err: Error) =>
        err instanceof SpecError &&
        err.message.split('\n').slice(1).join('\n') ===
          [
            "  x.yaml:9:23: ablate.components[1]: 'q_controller' cannot be flipped in the base enhanced-sgd[seed]: q_controller needs the loss, which controller 'seed' does not pass (add pass_loss=true)",
            `  x.yaml:9:37: ablate.components[2]: unknown switch 'centring' of 'enhanced-sgd' (did you mean 'centering'?); its switches: ${switches.switches.map((s) => s.name).join(', ')}`,
          ].join('\n'),
    );
    assert.throws(() => parseSweepSpec(SPEC.replace('optimizer: enhanced-sgd', 'optimizer: sgd'), 'x.yaml', KNOWN), /x\.yaml:7:14: ablate\.optimizer: optimizer 'sgd' has no switches to ablate; those that have: enhanced-sgd/);
    assert.throws(() => parseSweepSpec(SPEC.replace('{ controller: intended }', '{ controller: intended, lr: -1 }'), 'x.yaml', KNOWN), /x\.yaml:8:37: ablate\.base\.lr: optimizer 'enhanced-sgd': lr: Too small/);
    assert.throws(() => parseSweepSpec(SPEC.replace('  components: all\n', '  component: all\n'), 'x.yaml', KNOWN), /ablate\.component: unknown key 'component' \(did you mean 'components'\?\)/);
  });
});
