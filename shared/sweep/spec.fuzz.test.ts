import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import fc from 'fast-check';
import { parse as parseYaml, stringify } from 'yaml';
import { engineKnownNames } from '../../orchestrator/sweep/known-names.js';
import { SpecError } from './errors.js';
import { MAX_SPEC_DEPTH, parseSweepSpec } from './load.js';
import { SweepSpecSchema } from './spec.js';

/**
 * Hostile input for the sweep spec parser, checked against the engine's real registries: random
 * text, random YAML-shaped values over the spec's own keys, and the repository's sweeps/*.yaml
 * mutated (a value replaced anywhere in the tree, a key dropped or added, the text cut, characters
 * inserted). Each parses, or throws a SpecError whose every line is `FILE[:line:col]: …`; nothing
 * else (no TypeError, no stack overflow) and no input takes long. Fixed seed and run counts.
 */
const SEED = 20240611;
const RUNS = 250;
const SLOW_MS = 2000;
const FILE = 'sweeps/fuzz.yaml';
const known = engineKnownNames();

const SWEEPS = join(process.cwd(), 'sweeps');
const specs = readdirSync(SWEEPS)
  .filter((f) => f.endsWith('.yaml'))
  .sort()
  .map((f) => readFileSync(join(SWEEPS, f), 'utf8'));

/** Parses, or fails with a SpecError naming the file on every line. */
function check(text: string): void {
  const started = performance.now();
  try {
    parseSweepSpec(text, FILE, known);
  } catch (err) {
    assert.ok(err instanceof SpecError, `expected a SpecError, got ${(err as Error)?.constructor?.name}: ${(err as Error)?.message}`);
    assert.ok(err.problems.length > 0);
    for (const line of err.message.split('\n')) assert.ok(line.replace(/^ {2}/, '').startsWith(FILE), `every line names the file: ${JSON.stringify(line)}`);
    for (const p of err.problems) assert.ok(p.message.length > 0 && !p.message.includes('[object Object]'), `a readable problem: ${p.message}`);
  }
  assert.ok(performance.now() - started < SLOW_MS, `parsed in bounded time (${text.length} chars)`);
}

/** Keys a spec uses anywhere, so random mappings hit the schema and the semantic checks, not only "unknown key". */
const KEYS = [
  ...Object.keys(SweepSpecSchema.shape),
  'optimizer', 'dataset', 'seed', 'epochs', 'batch_size', 'train_limit', 'test_limit', 'model', 'model_options', 'backend', 'gradcam', 'samples', 'layer',
  'name', 'kind', 'path', 'holdout', 'on_bad_sample', 'size', 'channels', 'mean', 'std', 'hyperparameters', 'lr', 'momentum', 'controller',
  'mnist', 'cifar10', 'sgd', 'adam', 'enhanced-sgd', 'image-folder', 'csv-text', '__proto__', 'constructor', '<<', '',
];
const scalar = fc.oneof(
  fc.constantFrom('sgd', 'adam', 'mnist', 'cifar10', 'image-folder', 'auto', 'simple-cnn', 'intended', '', '~', 'null', 'yes', '0x1F', '.inf', '-.nan', '1e400'),
  fc.integer({ min: -3, max: 70_000 }),
  fc.double(),
  fc.boolean(),
  fc.constant(null),
  fc.string({ maxLength: 12 }),
);
const { value: yamlValue } = fc.letrec<{ value: unknown }>((tie) => ({
  value: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    scalar,
    fc.array(tie('value'), { maxLength: 4 }),
    fc.dictionary(fc.oneof(fc.constantFrom(...KEYS), fc.string({ maxLength: 8 })), tie('value'), { maxKeys: 5 }),
  ),
}));

/** A spec parsed to plain data with one value replaced (anywhere), one key dropped, or one added. */
function mutateTree(tree: unknown, choices: number[], replacement: unknown): unknown {
  const copy = structuredClone(tree) as Record<string, unknown>;
  let node: unknown = copy;
  for (const [step, choice] of choices.entries()) {
    if (node === null || typeof node !== 'object') break;
    const keys = Object.keys(node);
    if (keys.length === 0) break;
    const key = keys[choice % keys.length]!;
    const last = step === choices.length - 1 || (node as Record<string, unknown>)[key] === null || typeof (node as Record<string, unknown>)[key] !== 'object';
    if (last) {
      const target = node as Record<string, unknown>;
      if (choice % 7 === 0 && !Array.isArray(target)) delete target[key];
      else if (choice % 7 === 1 && !Array.isArray(target)) target[typeof replacement === 'string' && replacement !== '' ? replacement.slice(0, 12) : 'added'] = replacement;
      else target[key] = replacement;
      break;
    }
    node = (node as Record<string, unknown>)[key];
  }
  return copy;
}

test('fuzz parseSweepSpec: random text parses or is a SpecError naming the file', () => {
  fc.assert(fc.property(fc.oneof(fc.string({ maxLength: 200 }), fc.string({ unit: 'binary', maxLength: 200 })), check), { seed: SEED, numRuns: RUNS });
});

test('fuzz parseSweepSpec: random YAML values over the spec keys', () => {
  fc.assert(fc.property(yamlValue, (value) => check(stringify(value))), { seed: SEED, numRuns: RUNS });
});

test('fuzz parseSweepSpec: random mappings with a name and grid of the right shape', () => {
  const grid = fc.record({ optimizer: fc.array(scalar, { maxLength: 3 }), dataset: fc.array(fc.oneof(scalar, yamlValue), { maxLength: 3 }), seed: fc.array(scalar, { maxLength: 3 }) });
  const spec = fc.record({ name: fc.oneof(fc.constant('fz'), scalar), grid, train: yamlValue, params: yamlValue, train_overrides: yamlValue, target: yamlValue }, { requiredKeys: ['name', 'grid'] });
  fc.assert(fc.property(spec, (value) => check(stringify(value))), { seed: SEED, numRuns: RUNS });
});

test('fuzz parseSweepSpec: sweeps/*.yaml with one value replaced, dropped or added', () => {
  const trees = specs.map((s) => parseYaml(s) as unknown);
  assert.ok(trees.length >= 3);
  fc.assert(
    fc.property(fc.nat({ max: trees.length - 1 }), fc.array(fc.nat(), { minLength: 1, maxLength: 5 }), yamlValue, (which, choices, replacement) => {
      check(stringify(mutateTree(trees[which], choices, replacement)));
    }),
    { seed: SEED, numRuns: RUNS },
  );
});

test('fuzz parseSweepSpec: sweeps/*.yaml text cut short or with characters inserted', () => {
  const edits = fc.array(fc.tuple(fc.nat(), fc.constantFrom('[', ']', '{', '}', ':', '-', ' ', '\n', '\t', '"', "'", '&a', '*a', '!!', '#', '---', '? ', '\u0000', '\ufeff', ',')), { minLength: 1, maxLength: 6 });
  fc.assert(
    fc.property(fc.nat({ max: specs.length - 1 }), fc.option(fc.nat()), edits, (which, cut, inserts) => {
      let text = specs[which]!;
      if (cut !== null) text = text.slice(0, cut % (text.length + 1));
      for (const [at, piece] of inserts) {
        const i = at % (text.length + 1);
        text = text.slice(0, i) + piece + text.slice(i);
      }
      check(text);
    }),
    { seed: SEED, numRuns: RUNS },
  );
});

test('every sweeps/*.yaml parses (the mutations above start from valid specs)', () => {
  for (const text of specs) parseSweepSpec(text, FILE, known);
});

test('regression (fuzz): deep nesting is one SpecError with a location, not a stack overflow per level', () => {
  // Found by hand-written hostile input: 785 problems "YAML: Maximum call stack size exceeded", and a
  // spec nested a few hundred levels reached the schema and the checks.
  for (const text of ['['.repeat(20_000), `name: x\ngrid: ${'['.repeat(5000)}${']'.repeat(5000)}`, Array.from({ length: 3000 }, (_, i) => `${' '.repeat(i)}a:`).join('\n'), `name: x\ngrid: ${'['.repeat(MAX_SPEC_DEPTH + 1)}${']'.repeat(MAX_SPEC_DEPTH + 1)}`]) {
    const started = performance.now();
    assert.throws(
      () => parseSweepSpec(text, FILE, known),
      (err: Error) => err instanceof SpecError && err.problems.length === 1 && /^sweeps\/fuzz\.yaml:\d+:\d+: YAML: lists and mappings nested more than 64 levels deep/.test(err.message),
    );
    assert.ok(performance.now() - started < SLOW_MS);
  }
  // At the limit it is still a spec problem of the ordinary kind.
  assert.throws(() => parseSweepSpec(`name: x\ngrid: ${'['.repeat(MAX_SPEC_DEPTH - 1)}${']'.repeat(MAX_SPEC_DEPTH - 1)}`, FILE, known), /grid: expected a mapping with optimizer, dataset and seed, got a list/);
});
