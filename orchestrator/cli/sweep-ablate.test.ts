import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { parse as parseYaml } from 'yaml';
import { OPTIMIZERS } from '../../worker/engine/catalog.js';
import { seedList } from './sweep-ablate.js';

/** `grn sweep ablate … --out` as a user runs it: the real CLI, then `grn sweep plan` on what it wrote. */
const GRN = fileURLToPath(new URL('../../../bin/grn.js', import.meta.url));
const run = promisify(execFile);
const grn = (args: string[]) => run(process.execPath, [GRN, ...args]).then(
  (r) => ({ code: 0, stdout: r.stdout, stderr: r.stderr }),
  (e: { code: number; stdout: string; stderr: string }) => ({ code: e.code, stdout: e.stdout, stderr: e.stderr }),
);

let dir: string;
before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'grn-ablate-'));
});
after(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('grn sweep ablate --out', () => {
  test('writes a spec with an ablate: block that grn sweep plan accepts; the plan shows what each cell ablates', async () => {
    const file = join(dir, 'ablate.yaml');
    const out = await grn(['sweep', 'ablate', 'enhanced-sgd', '--base', 'seed', '--dataset', 'mnist,cifar10', '--seeds', '1-3', '--with', 'sgd', '--epochs', '1', '--model', 'mlp', '--target', 'mnist=0.9', '--out', file]);
    assert.equal(out.code, 0, out.stderr);
    const switches = OPTIMIZERS.get('enhanced-sgd').switches!.switches.length;
    // seed passes no loss: the four switches that need it are skipped, each with a note.
    const variants = 1 + 1 + switches - 4;
    assert.match(out.stderr, /note: ablate: 'q_controller' skipped, it cannot be flipped in the base enhanced-sgd\[seed\]: q_controller needs the loss/);
    assert.equal((out.stderr.match(/^note: /gm) ?? []).length, 4);
    assert.match(out.stderr, new RegExp(`wrote .*ablate\\.yaml: ablate-enhanced-sgd: ${variants * 6} cells \\(${variants} optimizer variants × 2 data sets × 3 seeds\\)`));

    const spec = parseYaml(await readFile(file, 'utf8'));
    assert.deepEqual(spec.grid, { optimizer: ['sgd'], dataset: ['mnist', 'cifar10'], seed: [1, 2, 3] });
    assert.deepEqual(spec.ablate, { optimizer: 'enhanced-sgd', base: { controller: 'seed' }, components: 'all' });
    assert.deepEqual(spec.train, { epochs: 1, model: 'mlp' });
    assert.deepEqual(spec.target, { mnist: 0.9 });

    const plan = await grn(['sweep', 'plan', file]);
    assert.equal(plan.code, 0, plan.stderr);
    const lines = plan.stdout.split('\n');
    assert.equal(lines[0], `ablate-enhanced-sgd: ${variants * 6} cells (${variants} optimizer variants × 2 data sets × 3 seeds)`);
    assert.equal(lines.filter((l) => l.startsWith('note: ablate: ')).length, 4);
    assert.match(plan.stdout, /\benhanced-sgd_seed_base-mnist-s1\s+enhanced-sgd\[seed\]\s+mnist\s+1\s/);
    assert.match(plan.stdout, /\benhanced-sgd_seed_minus_centering-cifar10-s3\s+enhanced-sgd\[seed −centering\]\s+cifar10\s+3\s/);
    assert.match(plan.stdout, /\benhanced-sgd_seed_plus_pass_loss-mnist-s2\s+enhanced-sgd\[seed \+pass_loss\]\s/);
    const json = JSON.parse((await grn(['sweep', 'plan', file, '--json'])).stdout) as { notes: string[]; cells: Array<{ id: string; ablation?: unknown }> };
    assert.equal(json.notes.length, 4);
    assert.deepEqual(json.cells.find((c) => c.id === 'enhanced-sgd_seed_minus_noise-mnist-s1')!.ablation, { base: 'enhanced-sgd[seed]', component: 'noise', kind: 'component', value: false });
    assert.equal(json.cells.find((c) => c.id === 'sgd-mnist-s1')!.ablation, undefined);
  });

  test('a problem is named by the flag that caused it (exit 2), every one at once', async () => {
    const bad = await grn(['sweep', 'ablate', 'enhanced-sgd', '--base', 'seed', '--dataset', 'mnist,cifr10', '--components', 'centring,q_controller', '--out', join(dir, 'bad.yaml')]);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /^grn: grn sweep ablate: 3 problems\n/);
    assert.match(bad.stderr, /\n {2}--dataset: unknown data set 'cifr10' \(did you mean 'cifar10'\?\)/);
    assert.match(bad.stderr, /\n {2}--components: unknown switch 'centring' of 'enhanced-sgd' \(did you mean 'centering'\?\)/);
    assert.match(bad.stderr, /\n {2}--components: 'q_controller' cannot be flipped in the base enhanced-sgd\[seed\]: q_controller needs the loss, which controller 'seed' does not pass/);
    const mode = await grn(['sweep', 'ablate', 'enhanced-sgd', '--base', 'intnded', '--dataset', 'mnist', '--out', join(dir, 'bad.yaml')]);
    assert.equal(mode.code, 2);
    assert.match(mode.stderr, /^grn: --base: expected a mode of enhanced-sgd \(intended, as-written, seed, off\), got 'intnded'/);
    const none = await grn(['sweep', 'ablate', 'sgd', '--dataset', 'mnist', '--out', join(dir, 'bad.yaml')]);
    assert.equal(none.code, 2);
    assert.match(none.stderr, /^grn: grn sweep ablate: optimizer 'sgd' has no switches to ablate; those that have: enhanced-sgd\n$/);
    const seeds = await grn(['sweep', 'ablate', 'enhanced-sgd', '--dataset', 'mnist', '--seeds', '5-1']);
    assert.equal(seeds.code, 2);
    assert.match(seeds.stderr, /option '--seeds <list>' argument '5-1' is invalid\. the range '5-1' runs backwards/);
  });

  test('--seeds takes ranges and lists', () => {
    assert.deepEqual(seedList('1-5'), [1, 2, 3, 4, 5]);
    assert.deepEqual(seedList('0,3, 7-8'), [0, 3, 7, 8]);
    assert.throws(() => seedList('1-x'), /expected seeds such as 1-5 or 1,2,7, got '1-x'/);
  });
});
