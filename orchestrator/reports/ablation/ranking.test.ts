import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { writeReport } from '../report.js';
import { holm } from '../statistics/paired.js';
import { writeSyntheticFolder, type SyntheticSpec } from '../synthetic.js';
import { ABLATION_CSV_COLUMNS } from './tables.js';
import { POOLED } from './ranking.js';

const root = mkdtempSync(join(tmpdir(), 'grn-ablation-'));
after(() => rmSync(root, { recursive: true, force: true }));

/**
 * Synthetic results of a one-switch ablation with known effects on the final accuracy: −centering
 * lowers it by 5 points, +retention raises it by 3, −noise does nothing (the generator adds the
 * effect to the accuracy a run converges to; after 3 epochs the final accuracy has 98 % of it).
 */
const SPEC: SyntheticSpec = {
  name: 'ablation',
  optimizers: ['sgd'],
  datasets: ['mnist', 'cifar-10'],
  seeds: [1, 2, 3, 4, 5, 6, 7, 8],
  epochs: 3,
  stepsPerEpoch: 5,
  telemetryEvery: 5,
  target: 0.8,
  ablation: { base: { controller: 'intended' }, effects: { centering: -0.05, noise: 0, retention: 0.03 } },
};
const REACHED = 1 - Math.exp(-3 * 1.3);
const FORMATS = ['md', 'html', 'csv', 'json', 'tex'] as const;

test('known effects are recovered, ranked by |Δ| and tested per data set and pooled, with Δ time to target', async () => {
  const dir = join(root, 'effects');
  await writeSyntheticFolder(dir, SPEC);
  const { model } = await writeReport(dir, { threads: 1, formats: FORMATS, png: false });
  const a = model.ablation!;
  assert.deepEqual(a.bases, ['enhanced-sgd[intended]']);
  assert.deepEqual(a.scopes.map((s) => s.scope), ['mnist', 'cifar-10', POOLED]);
  for (const s of a.scopes) {
    const pairs = s.scope === POOLED ? 16 : 8;
    assert.deepEqual(s.rows.map((r) => [r.rank, r.flip, r.effect]), [
      [1, '−centering', 'hurts'],
      [2, '+retention', 'helps'],
      [3, '−noise', 'no significant difference'],
    ], s.scope);
    const [centering, retention, noise] = s.rows;
    assert.ok(Math.abs(centering!.test.meanDiff - -0.05 * REACHED) < 0.004, `${s.scope} centering Δ ${centering!.test.meanDiff}`);
    assert.ok(Math.abs(retention!.test.meanDiff - 0.03 * REACHED) < 0.004, `${s.scope} retention Δ ${retention!.test.meanDiff}`);
    assert.ok(Math.abs(noise!.test.meanDiff) < 0.004, `${s.scope} noise Δ ${noise!.test.meanDiff}`);
    assert.ok(centering!.test.diffInterval!.hi < 0 && retention!.test.diffInterval!.lo > 0);
    assert.ok(noise!.test.diffInterval!.lo < 0 && noise!.test.diffInterval!.hi > 0);
    assert.ok(s.rows.every((r) => r.test.n === pairs && r.kind === 'component'));
    // Holm over the flips of this scope only.
    assert.deepEqual(s.rows.map((r) => r.wilcoxonHolm), holm(s.rows.map((r) => r.test.wilcoxon!.p)));
    // Time to target: seconds, over the pairs where both got there; every pair accounted for.
    for (const r of s.rows) {
      const t = r.timeToTarget!;
      assert.equal(t.unit, 'seconds');
      assert.equal(t.target, s.scope === POOLED ? null : 0.8);
      assert.equal(t.bothReached + t.onlyBase + t.onlyFlip + t.neither, pairs);
    }
    assert.match(s.sentence, /flips that significantly lower the final accuracy: −centering \(-4\.\d\d pp\); that significantly raise it: \+retention \(\+2\.\d\d pp\) \(Wilcoxon signed-rank, Holm-corrected over the 3 flips that could be tested, α = 0\.05\)\.$/);
  }
  // Removing centering costs CIFAR-10's 80 % target on every seed (its accuracy there tops out below it).
  assert.equal(a.scopes[1]!.rows[0]!.timeToTarget!.onlyBase, 8);

  const md = readFileSync(join(dir, 'report.md'), 'utf8');
  assert.match(md, /\n## Ablation\n/);
  assert.match(md, /\n### Ablation: MNIST\n/);
  assert.match(md, /\n### Ablation: All data sets pooled\n/);
  assert.match(md, /\| rank \| flip \| kind \| pairs \| Δ accuracy \(pp\) \| 95 % CI \|/);
  assert.match(md, /\| 1 \| −centering \| component \| 8 \| -4\.\d\d \|/);
  for (const plot of ['mnist-ablation', 'cifar-10-ablation', 'pooled-ablation']) {
    assert.ok(md.includes(`(plots/${plot}.svg)`), plot);
    assert.match(readFileSync(join(dir, 'plots', `${plot}.svg`), 'utf8'), /−centering/);
  }
  const html = readFileSync(join(dir, 'report.html'), 'utf8');
  assert.match(html, /<h2>Ablation<\/h2>/);
  assert.match(html, /<h3>Ablation: All data sets pooled<\/h3>/);
  const csv = readFileSync(join(dir, 'report-ablation.csv'), 'utf8').trim().split('\n');
  assert.equal(csv[0], ABLATION_CSV_COLUMNS.join(','));
  assert.equal(csv.length, 1 + 3 * 3);
  assert.match(csv[1]!, /^mnist,enhanced-sgd\[intended\],1,enhanced-sgd\[intended −centering\],centering,component,false,accuracy,8,-0\.0/);
  const json = JSON.parse(readFileSync(join(dir, 'report.json'), 'utf8'));
  assert.equal(json.ablation.scopes.length, 3);
  assert.equal(json.ablation.scopes[2].rows[0].effect, 'hurts');
  const tex = readFileSync(join(dir, 'report.tex'), 'utf8');
  assert.match(tex, /\\label\{tab:ablation-pooled\}/);
  assert.match(tex, /\n\$-\$centering & 8 & -4\.\d\d \[/);
});

test('"none" when no flip matters; without ablation cells no format has an Ablation section', async () => {
  const dir = join(root, 'nothing');
  await writeSyntheticFolder(dir, { ...SPEC, datasets: ['mnist'], ablation: { base: { controller: 'intended' }, effects: { noise: 0, clipping: 0 } } });
  const { model } = await writeReport(dir, { threads: 1, formats: ['md'], png: false });
  assert.deepEqual(model.ablation!.scopes.map((s) => s.scope), ['mnist'], 'one data set: nothing to pool');
  assert.match(model.ablation!.scopes[0]!.sentence, /^MNIST \(base enhanced-sgd\[intended\]\): flips that significantly lower the final accuracy: none; that significantly raise it: none \(/);

  const plain = join(root, 'plain');
  await writeSyntheticFolder(plain, { ...SPEC, name: 'plain', optimizers: ['sgd', 'adam'], ablation: undefined });
  const outcome = await writeReport(plain, { threads: 1, formats: FORMATS, png: false });
  assert.equal(outcome.model.ablation, undefined);
  assert.doesNotMatch(readFileSync(join(plain, 'report.md'), 'utf8'), /Ablation/);
  assert.doesNotMatch(readFileSync(join(plain, 'report.html'), 'utf8'), /Ablation/);
  assert.doesNotMatch(readFileSync(join(plain, 'report.tex'), 'utf8'), /[Aa]blation/);
  assert.equal('ablation' in JSON.parse(readFileSync(join(plain, 'report.json'), 'utf8')), false);
  assert.equal(existsSync(join(plain, 'report-ablation.csv')), false);
});
