import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import type { HyperParameterValue } from '../trial.js';
import { SpecError } from './errors.js';
import { loadSweepSpec, parseSweepSpec } from './load.js';
import type { KnownNames } from './spec.js';

/** Registries in miniature: the real ones live in the engine, which shared/ does not import. */
const KNOWN: KnownNames = {
  optimizers: ['sgd', 'adam', 'adamw', 'rmsprop', 'enhanced-sgd'],
  datasets: ['mnist', 'noop', 'sleep'],
  backends: ['tensorflow', 'webgpu', 'wasm', 'cpu'],
  checkHyperparameters(optimizer, hps) {
    const allowed: Record<string, string[]> = { sgd: ['lr', 'momentum'], adam: ['lr'], adamw: ['lr'], rmsprop: ['lr'], 'enhanced-sgd': ['lr', 'controller'] };
    const problems: string[] = [];
    for (const [k, v] of Object.entries(hps)) {
      if (!allowed[optimizer]!.includes(k)) problems.push(`unknown hyper-parameter '${k}'`);
      else if (k === 'lr' && !(typeof v === 'number' && v > 0)) problems.push('lr: expected a positive number');
      else if (k === 'controller' && !['intended', 'seed', 'off'].includes(String(v))) problems.push(`controller: expected intended|seed|off`);
    }
    return problems;
  },
};

const VALID = `name: mnist-optimizers
grid:
  optimizer: [sgd, adam]
  dataset: [mnist]
  seed: [1, 2]
`;

/** The SpecError a spec raises (fails the test if it parses). */
function specError(text: string, known: KnownNames = KNOWN): SpecError {
  try {
    parseSweepSpec(text, 'sweeps/x.yaml', known);
  } catch (err) {
    if (err instanceof SpecError) return err;
    throw err;
  }
  assert.fail('expected a SpecError');
}

describe('parseSweepSpec', () => {
  test('a minimal spec parses, with every default filled in (epochs and batch size: the data set\'s, at planning)', () => {
    const spec = parseSweepSpec(VALID, 'x.yaml', KNOWN);
    assert.deepEqual(spec, {
      name: 'mnist-optimizers',
      grid: { optimizer: ['sgd', 'adam'], dataset: ['mnist'], seed: [1, 2] },
      train: { train_limit: null, test_limit: null, validation: null, model: null, backend: 'auto', telemetry_every: 1, duration_ms: null, timeout: null },
      max_deliver: 3,
    });
  });

  test('the full format parses', () => {
    const spec = parseSweepSpec(
      `name: all_keys
description: every field
grid: { optimizer: [enhanced-sgd, sgd], dataset: [mnist, sleep], seed: [0, 7] }
params:
  enhanced-sgd: { controller: [intended, seed], lr: 0.02 }
  sgd: { momentum: 0.9 }
train: { epochs: 1, batch_size: 32, train_limit: 100, test_limit: 50, model: mlp, backend: cpu, telemetry_every: 5, duration_ms: 10 }
target: { mnist: 0.98 }
data_root: ~/data
max_deliver: 1
`,
      'x.yaml',
      KNOWN,
    );
    assert.deepEqual(spec.params, { 'enhanced-sgd': { controller: ['intended', 'seed'], lr: 0.02 }, sgd: { momentum: 0.9 } });
    assert.equal(spec.train.backend, 'cpu');
    assert.equal(spec.data_root, '~/data');
    assert.equal(spec.max_deliver, 1);
  });

  test('the hyper-parameter callback sees every variant once', () => {
    const calls: Array<[string, Record<string, HyperParameterValue>]> = [];
    parseSweepSpec(`${VALID}params:\n  adam: { lr: [0.1, 0.2] }\n  sgd: { momentum: 0.5 }\n`, 'x.yaml', {
      ...KNOWN,
      checkHyperparameters: (o, hps) => (calls.push([o, hps]), null),
    });
    assert.deepEqual(calls, [
      ['sgd', { momentum: 0.5 }],
      ['adam', { lr: 0.1 }],
      ['adam', { lr: 0.2 }],
    ]);
  });

  test('an unknown optimizer in a flow list points at the item', () => {
    const err = specError('name: x\ngrid:\n  optimizer: [sgd, adam, adma]\n  dataset: [mnist]\n  seed: [1]\n');
    assert.equal(err.exitCode, 2);
    assert.equal(err.message, "sweeps/x.yaml:3:26: grid.optimizer[2]: unknown optimizer 'adma' (did you mean 'adam'?); known: sgd, adam, adamw, rmsprop, enhanced-sgd");
  });

  test('an unknown data set in a block list points at the item', () => {
    const err = specError('name: x\ngrid:\n  optimizer: [sgd]\n  dataset:\n    - mnist\n    - cifar10\n  seed: [1]\n');
    assert.match(err.message, /^sweeps\/x\.yaml:6:7: grid\.dataset\[1\]: unknown data set 'cifar10'; known: mnist, noop, sleep$/);
  });

  test('an unknown key points at the key and suggests the close one', () => {
    const err = specError(`${VALID}train:\n  epoch: 3\n`);
    assert.equal(err.message, "sweeps/x.yaml:7:3: train.epoch: unknown key 'epoch' (did you mean 'epochs'?)");
    assert.match(specError(`${VALID}colour: red\n`).message, /^sweeps\/x\.yaml:6:1: colour: unknown key 'colour'; allowed: name, description, grid, /);
  });

  test('a wrong type names what was expected and what was found', () => {
    const err = specError(`${VALID}train:\n  batch_size: "64"\n`);
    assert.equal(err.message, "sweeps/x.yaml:7:15: train.batch_size: expected a positive integer, got '64'");
    assert.match(specError(`${VALID}train: { backend: gpu }\n`).message, /:6:19: train\.backend: expected one of auto, tensorflow, webgpu, wasm, cpu, got 'gpu'$/);
    assert.match(specError(`${VALID}params:\n  adam: { lr: [] }\n`).message, /:7:15: params\.adam\.lr: expected a non-empty list, got an empty list$/);
    assert.match(specError(`${VALID}params:\n  adam: { lr: [0.1, {x: 1}] }\n`).message, /:7:21: params\.adam\.lr\[1\]: expected a number, string or boolean, got a mapping$/);
  });

  test('a missing required key points at the mapping that lacks it', () => {
    const err = specError('name: x\ngrid:\n  optimizer: [sgd]\n  dataset: [mnist]\n');
    assert.equal(err.message, 'sweeps/x.yaml:2:1: grid.seed: missing: expected a list of non-negative integer seeds');
  });

  test('a bad hyper-parameter value points at the list item every failing variant shares', () => {
    const err = specError(`${VALID}params:\n  adam: { lr: [0.001, -1] }\n`);
    assert.equal(err.message, 'sweeps/x.yaml:7:23: params.adam.lr[1]: adam[lr=-1]: lr: expected a positive number');
  });

  test('an unknown hyper-parameter points at its key', () => {
    const err = specError(`${VALID}params:\n  sgd:\n    lr: 0.1\n    momentun: 0.9\n`);
    assert.equal(err.message, "sweeps/x.yaml:9:5: params.sgd.momentun: optimizer 'sgd': unknown hyper-parameter 'momentun'");
  });

  test('a callback message that names no key points at the optimizer', () => {
    const err = specError(`${VALID}params:\n  adam: { lr: 0.1 }\n`, { ...KNOWN, checkHyperparameters: () => 'not today' });
    assert.match(err.message, /^sweeps\/x\.yaml: 2 problems\n {2}sweeps\/x\.yaml:3:15: grid\.optimizer\[0\]: optimizer 'sgd': not today\n {2}sweeps\/x\.yaml:7:3: params\.adam: optimizer 'adam': not today$/);
  });

  test('params for an optimizer not in the grid point at its key', () => {
    const err = specError(`${VALID}params:\n  rmsprop: { lr: 0.01 }\n  adma: { lr: 0.01 }\n`);
    assert.deepEqual(
      err.problems.map((p) => [p.line, p.col, p.path, p.message]),
      [
        [7, 3, 'params.rmsprop', "optimizer 'rmsprop' is not in grid.optimizer (sgd, adam)"],
        [8, 3, 'params.adma', "unknown optimizer 'adma' (did you mean 'adam'?); known: sgd, adam, adamw, rmsprop, enhanced-sgd; params keys must be optimizers of grid.optimizer"],
      ],
    );
  });

  test('duplicates in the grid and in axes are errors at the repeat', () => {
    const err = specError('name: x\ngrid:\n  optimizer: [sgd]\n  dataset: [mnist]\n  seed: [1, 2, 1]\nparams:\n  sgd: { lr: [0.1, 0.1] }\n');
    assert.deepEqual(
      err.problems.map((p) => `${p.line}:${p.col} ${p.path}: ${p.message}`),
      ['5:16 grid.seed[2]: duplicate seed 1 (also at [0])', '7:20 params.sgd.lr[1]: duplicate value of lr 0.1 (also at [0])'],
    );
  });

  test('targets must be data sets of the grid, in (0, 1]', () => {
    const err = specError(`${VALID}target: { mnist: 1.5, noop: 0.5 }\n`);
    assert.deepEqual(
      err.problems.map((p) => `${p.line}:${p.col} ${p.path}: ${p.message}`),
      ['6:18 target.mnist: expected an accuracy in (0, 1], got 1.5', "6:23 target.noop: data set 'noop' is not in grid.dataset (mnist)"],
    );
  });

  test('every problem is reported, one per line, in file order', () => {
    const err = specError('name: "bad name"\ngrid:\n  optimizer: [sgd, nope]\n  dataset: [mnist]\n  seed: [1, -2]\ntrain:\n  epochs: 0\n  color: red\n');
    const lines = err.message.split('\n');
    assert.equal(lines[0], 'sweeps/x.yaml: 5 problems');
    assert.deepEqual(
      lines.slice(1).map((l) => l.trim().split(': ').slice(0, 2).join(': ')),
      ['sweeps/x.yaml:1:7: name', 'sweeps/x.yaml:3:20: grid.optimizer[1]', 'sweeps/x.yaml:5:13: grid.seed[1]', 'sweeps/x.yaml:7:11: train.epochs', 'sweeps/x.yaml:8:3: train.color'],
    );
    assert.equal(err.problems.length, 5);
  });

  test('YAML syntax errors carry file:line:col', () => {
    const err = specError('name: x\ngrid:\n  optimizer: [sgd\n  seed: 1\n');
    assert.match(err.message, /^sweeps\/x\.yaml:4:3: YAML: /);
    assert.match(specError('name: x\nname: y\n').message, /^sweeps\/x\.yaml:2:1: YAML: Map keys must be unique/);
  });

  test('a file of several YAML documents says so, in words for the spec’s author', () => {
    const message = specError(`${VALID}---\nname: other\n`).message;
    assert.match(message, /^sweeps\/x\.yaml:\d+:1: YAML: the file holds more than one YAML document \(a '---' line starts another\); a sweep spec is one document/);
    assert.doesNotMatch(message, /parseAllDocuments/);
    // A single document that opens with '---' is one document.
    assert.doesNotThrow(() => parseSweepSpec(`---\n${VALID}`, 'sweeps/x.yaml', KNOWN));
  });

  test('an empty spec and a non-mapping are clear errors', () => {
    assert.match(specError('# nothing yet\n').message, /^sweeps\/x\.yaml:1:1: the spec is empty/);
    assert.match(specError('- a\n- b\n').message, /^sweeps\/x\.yaml:1:1: \(top level\): expected a mapping with at least name and grid, got a list$/);
    assert.match(specError(`${VALID}params:\n`).message, /:6:1: params: expected a mapping .*, got null \(an empty section/);
  });
});

describe('loadSweepSpec', () => {
  test('reads a file and names it in errors', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'grn-spec-'));
    try {
      const file = join(dir, 'bad.yaml');
      await writeFile(file, VALID.replace('adam]', 'adam, adam]'));
      await assert.rejects(loadSweepSpec(file, KNOWN), (err: Error) => err instanceof SpecError && err.message === `${file}:3:26: grid.optimizer[2]: duplicate optimizer 'adam' (also at [1])`);
      await writeFile(file, VALID);
      assert.equal((await loadSweepSpec(file, KNOWN)).name, 'mnist-optimizers');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  test('a missing file is a SpecError naming the path', async () => {
    await assert.rejects(loadSweepSpec('sweeps/does-not-exist.yaml', KNOWN), (err: Error) => err instanceof SpecError && err.exitCode === 2 && err.message === 'sweeps/does-not-exist.yaml: cannot read the sweep spec: no such file');
  });
});
