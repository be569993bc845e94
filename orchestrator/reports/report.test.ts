import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { promisify } from 'node:util';
import { CSV_COLUMNS } from './renderers/csv.js';
import { escapeTex } from './renderers/tex.js';
import { parseFormats, writeReport } from './report.js';
import { writeSyntheticFolder, type SyntheticSpec } from './synthetic.js';

const root = mkdtempSync(join(tmpdir(), 'grn-report-'));
after(() => rmSync(root, { recursive: true, force: true }));

/** 3 optimizers × 2 data sets × 3 seeds, with a failed, a cancelled and a never-run cell. */
const SPEC: SyntheticSpec = {
  name: 'partial',
  optimizers: ['sgd', 'adam', 'enhanced-sgd'],
  datasets: ['mnist', 'cifar-10'],
  seeds: [1, 2, 3],
  epochs: 3,
  stepsPerEpoch: 40,
  telemetryEvery: 2,
  target: 0.8,
  fate: (cell) => (cell === 'adam-mnist-s2' ? 'failed' : cell === 'sgd-cifar-10-s3' ? 'cancelled' : cell === 'enhanced-sgd-cifar-10-s1' ? 'queued' : 'done'),
};

test('a partial folder with failed, cancelled, unrun and unreadable cells renders and says what is missing', async () => {
  const dir = join(root, 'partial');
  await writeSyntheticFolder(dir, SPEC);
  writeFileSync(join(dir, 'cells', 'adam-cifar-10-s3.json'), '{"format": "grn.trial-result/1", trunc');
  const outcome = await writeReport(dir, { threads: 2 });
  const m = outcome.model;
  assert.equal(m.cells.planned, 18);
  assert.equal(m.cells.reported, 14);
  assert.deepEqual(m.missing.map((x) => [x.cell, x.status]).sort(), [
    ['adam-cifar-10-s3', 'done'],
    ['adam-mnist-s2', 'failed'],
    ['enhanced-sgd-cifar-10-s1', 'queued'],
    ['sgd-cifar-10-s3', 'cancelled'],
  ]);
  for (const f of ['report.md', 'report.html', 'report.csv', 'report.json', 'report.tex']) assert.ok(existsSync(join(dir, f)), f);

  const md = readFileSync(join(dir, 'report.md'), 'utf8');
  assert.match(md, /14 of 18 cells have results \(4 missing or failed, listed at the end\)/);
  assert.match(md, /## Missing and failed cells/);
  assert.match(md, /\| adam-mnist-s2 \| adam \| MNIST \| 2 \| failed \| failed after 3 attempt\(s\): trainer exited with code 1: out of memory \|/);
  assert.match(md, /\| adam-cifar-10-s3 \| .* result unreadable: unreadable JSON/);
  assert.match(md, /\| sgd-cifar-10-s3 \| .* \| cancelled \| cancelled \|/);
  assert.match(md, /\| enhanced-sgd-cifar-10-s1 \| .* \| queued \| queued \(no result yet\) \|/);
  // The method says which of EnhancedSGD's corrections are the spec's and which are ours (issue 18).
  assert.match(md, /enhanced-sgd: its corrections of the original's quirks .* are the reference spec's \(`fixed_base_lr`, `exploit_as_own_kind`, `probability_entropy`\) and 3 of ours beyond the spec \(`fixed_base_momentum`, `deferred_reward`, `spike_lr_kept`\)/);
  // adam on MNIST has 2 of 3 seeds; the comparison pairs the 2 shared ones and says it is too few.
  assert.match(md, /\| adam \| 2\/3 \|/);
  assert.match(md, /\| adam \| 2 \| \+[\d.]+ \| .* \| too few seeds \|/);
  assert.match(md, /time to 80\.00 % test accuracy/);
  for (const name of ['mnist-training', 'mnist-accuracy-vs-time', 'mnist-enhanced-sgd-paths', 'mnist-q-table', 'cifar-10-training', 'performance-profile']) {
    assert.ok(md.includes(`(plots/${name}.png)`), name);
    const png = readFileSync(join(dir, 'plots', `${name}.png`));
    assert.deepEqual([...png.subarray(1, 4)], [...Buffer.from('PNG')]);
    assert.match(readFileSync(join(dir, 'plots', `${name}.svg`), 'utf8'), /^<svg[^>]*width="\d+/);
  }

  // HTML: self-contained (inline SVG, no external resources), escaped, with the same tables.
  const html = readFileSync(join(dir, 'report.html'), 'utf8');
  assert.match(html, /^<!doctype html>/);
  assert.equal((html.match(/<svg/g) ?? []).length, outcome.plots);
  assert.doesNotMatch(html, /<(img|script|link)\b[^>]*(src|href)="(?!#|data:)/);
  assert.match(html, /failed after 3 attempt\(s\)/);
  // Unique ids across the inline plots (vega repeats clip ids from plot to plot).
  const ids = [...html.matchAll(/\bid="([^"]+)"/g)].map((x) => x[1]);
  assert.equal(new Set(ids).size, ids.length);

  // CSV: one header, one row per data set × variant, every row as wide as the header.
  const csv = readFileSync(join(dir, 'report.csv'), 'utf8').trim().split('\n');
  assert.equal(csv[0], CSV_COLUMNS.join(','));
  assert.equal(csv.length, 1 + 6);
  for (const line of csv) assert.equal(line.split(',').length, CSV_COLUMNS.length, line);
  assert.match(csv.find((l) => l.startsWith('mnist,sgd,'))!, /,baseline$/);

  // JSON: parseable, Infinity as null, everything missing listed.
  const json = JSON.parse(readFileSync(join(dir, 'report.json'), 'utf8'));
  assert.equal(json.format, 'grn.sweep-report/1');
  assert.equal(json.missing.length, 4);
  assert.equal(json.groups.length, 6);
  assert.ok(json.plots.every((p: { svg: string }) => existsSync(join(dir, p.svg))));

  // LaTeX: a booktabs table per data set, names escaped.
  const tex = readFileSync(join(dir, 'report.tex'), 'utf8');
  assert.equal((tex.match(/\\begin\{tabular\}/g) ?? []).length, 2);
  assert.match(tex, /enhanced-sgd & 3 & /);

  // TensorBoard: one run folder per readable cell.
  const tb = join(dir, 'tensorboard', 'mnist', 'enhanced-sgd');
  assert.deepEqual(readdirSync(tb).sort(), ['seed1', 'seed2', 'seed3']);
  assert.match(readdirSync(join(tb, 'seed1'))[0]!, /^events\.out\.tfevents\.\d+\.grn$/);
});

test('the same folder gives the same numbers (seeded bootstrap)', async () => {
  const dir = join(root, 'partial');
  const a = await writeReport(dir, { formats: ['csv'], threads: 1 });
  const b = await writeReport(dir, { formats: ['csv'], threads: 2 });
  assert.deepEqual(a.model.groups, b.model.groups);
  assert.deepEqual(a.model.comparisons, b.model.comparisons);
});

test('without manifest.json (sweep still running) cells come from the spec; formats limit the output', async () => {
  const dir = join(root, 'running');
  await writeSyntheticFolder(dir, { ...SPEC, datasets: ['mnist'], lrs: [0.01, 0.001], fate: (c) => (c.endsWith('-s3') ? 'queued' : 'done') }, { manifest: false });
  const outcome = await writeReport(dir, { formats: ['md', 'json'], png: false, out: join(root, 'running-out') });
  const m = outcome.model;
  assert.equal(m.sweep.status, 'unknown');
  assert.equal(m.cells.planned, 18);
  assert.equal(m.cells.reported, 12);
  assert.ok(m.missing.every((x) => x.reason === 'no result yet'));
  assert.ok(m.sweep.warnings.some((w) => /no manifest\.json/.test(w)));
  // Two sgd variants: the baseline is the better of them; labels carry the lr.
  assert.match(m.baselineOf.mnist!, /^sgd\[lr=/);
  const out = readdirSync(join(root, 'running-out')).sort();
  assert.deepEqual(out, ['plots', 'report.json', 'report.md']);
  assert.ok(readdirSync(join(root, 'running-out', 'plots')).every((f) => f.endsWith('.svg')));
});

test("a comma-list baseline is the best of those optimizers on each data set (the protocol's best-tuned baseline)", async () => {
  const dir = join(root, 'partial');
  const outcome = await writeReport(dir, { formats: ['json'], baseline: 'sgd,adam', out: join(root, 'best-of') });
  const m = outcome.model;
  for (const dataset of ['mnist', 'cifar-10']) {
    const candidates = m.groups.filter((g) => g.dataset === dataset && (g.optimizer === 'sgd' || g.optimizer === 'adam'));
    const best = candidates.sort((a, b) => b.score.mean - a.score.mean)[0]!;
    assert.equal(m.baselineOf[dataset], best.label, dataset);
    // Every other variant of the data set, enhanced-sgd included, is compared with it.
    const compared = m.comparisons.filter((c) => c.dataset === dataset);
    assert.ok(compared.length > 0 && compared.every((c) => c.baseline === best.label));
  }
  // The synthetic adam beats sgd on MNIST: a single-name baseline would have been sgd.
  assert.equal(m.baselineOf.mnist, 'adam');
});

test('an empty folder (nothing run yet) still gives a report', async () => {
  const dir = join(root, 'empty');
  await writeSyntheticFolder(dir, { ...SPEC, fate: () => 'queued' });
  const outcome = await writeReport(dir, { formats: ['md', 'csv'] });
  assert.equal(outcome.model.cells.reported, 0);
  assert.equal(outcome.plots, 0);
  assert.match(readFileSync(join(dir, 'report.md'), 'utf8'), /MNIST: no results yet/);
});

test('formats and LaTeX escaping', () => {
  assert.deepEqual(parseFormats('md, HTML,md'), ['md', 'html']);
  assert.throws(() => parseFormats('md,pdf'), /unknown format 'pdf'; known: md, html, csv, json, tex, tensorboard/);
  assert.throws(() => parseFormats(''), /unknown format/);
  assert.equal(escapeTex('adam[lr=1e-3]_50% & #1 {x} ~ ^ \\'), 'adam[lr=1e-3]\\_50\\% \\& \\#1 \\{x\\} \\textasciitilde{} \\textasciicircum{} \\textbackslash{}');
});

test('grn report: a missing folder and a bad format are one-line errors', async () => {
  const run = promisify(execFile);
  const bin = new URL('../../../bin/grn.js', import.meta.url).pathname;
  const missing = await run('node', [bin, 'report', 'no-such-sweep', '--results', root]).catch((e) => e);
  assert.equal(missing.code, 1);
  assert.match(missing.stderr, /grn: no results folder 'no-such-sweep' \(looked for no-such-sweep and .*no-such-sweep\)/);
  const bad = await run('node', [bin, 'report', join(root, 'partial'), '--format', 'md,docx']).catch((e) => e);
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /unknown format 'docx'/);
  const ok = await run('node', [bin, 'report', 'partial', '--results', root, '--format', 'csv', '--json']);
  assert.equal(JSON.parse(ok.stdout).cells.reported, 14);
  // --out naming an existing file (it once ended in an EEXIST stack trace after the work).
  const file = join(root, 'not-a-folder');
  writeFileSync(file, 'x');
  const clash = await run('node', [bin, 'report', 'partial', '--results', root, '--out', file]).catch((e) => e);
  assert.equal(clash.code, 2);
  assert.match(clash.stderr, /^grn: --out .*not-a-folder: is a file, not a folder; give a folder for the report\n$/);
});

test('a segmentation data set is reported by its primary metric, mIoU: table headings, captions, plots and the CSV say so', async () => {
  const dir = join(root, 'segmentation');
  await writeSyntheticFolder(dir, { name: 'seg', optimizers: ['sgd', 'adam'], datasets: ['mnist', 'voc'], segmentation: ['voc'], seeds: [1, 2], epochs: 2, stepsPerEpoch: 10, telemetryEvery: 2, target: 0.3 });
  const outcome = await writeReport(dir, { threads: 1, formats: parseFormats('md,csv') });
  const voc = outcome.model.groups.filter((g) => g.dataset === 'voc');
  assert.ok(voc.every((g) => g.metric === 'miou'));
  assert.ok(outcome.model.groups.filter((g) => g.dataset === 'mnist').every((g) => g.metric === 'accuracy'));
  const md = readFileSync(join(dir, 'report.md'), 'utf8');
  assert.match(md, /\| optimizer \| seeds \| mIoU % \(mean\) \|/);
  assert.match(md, /\| optimizer \| seeds \| accuracy % \(mean\) \|/);
  assert.match(md, /time to 30\.00 % test mIoU/);
  assert.match(md, /highest mean mIoU/);
  assert.ok(md.includes('(plots/voc-miou-vs-time.png)') && md.includes('(plots/mnist-accuracy-vs-time.png)'));
  const csv = readFileSync(join(dir, 'report.csv'), 'utf8').trim().split('\n');
  const metricColumn = CSV_COLUMNS.indexOf('metric');
  assert.deepEqual(new Set(csv.slice(1).map((l) => `${l.split(',')[0]}:${l.split(',')[metricColumn]}`)), new Set(['mnist:accuracy', 'voc:miou']));
  // The mIoU values, not the pixel accuracy that the result's `accuracy` key also holds.
  const vocSgd = voc.find((g) => g.label === 'sgd')!;
  assert.ok(vocSgd.score.mean < 0.7, `mIoU mean ${vocSgd.score.mean}`);
});

test('a data set with Grad-CAM images gets an optimizer × sample grid of them, from one seed, in md and html', async () => {
  const dir = join(root, 'gradcam');
  await writeSyntheticFolder(dir, { name: 'cam', optimizers: ['sgd', 'adam'], datasets: ['cifar-10', 'mnist'], seeds: [1, 2], epochs: 2, stepsPerEpoch: 5, telemetryEvery: 1 });
  // Grad-CAM records as the orchestrator writes them: images in gradcam/<cell>/, named relative to the cell file.
  for (const optimizer of ['sgd', 'adam']) {
    for (const seed of [1, 2]) {
      const cell = `${optimizer}-cifar-10-s${seed}`;
      const path = join(dir, 'cells', `${cell}.json`);
      const result = JSON.parse(readFileSync(path, 'utf8'));
      const files = [0, 1, 2].map((i) => `cifar-10-${optimizer}-seed${seed}-${i}.png`);
      result.gradcam = {
        layer: 'conv2',
        target: 'predicted',
        score: 'logit',
        dir: `../gradcam/${cell}`,
        images: files.map((file, i) => ({ file, index: i * 10, label: i, predicted: (i + seed) % 10, width: 2, height: 2, sha256: '0'.repeat(64) })),
      };
      writeFileSync(path, JSON.stringify(result));
      mkdirSync(join(dir, 'gradcam', cell), { recursive: true });
      // adam's seed-1 third image is missing on disk: the grid says so.
      for (const file of files) if (!(optimizer === 'adam' && seed === 1 && file.endsWith('-2.png'))) writeFileSync(join(dir, 'gradcam', cell, file), Buffer.from('png'));
    }
  }
  const out = join(root, 'gradcam-report');
  const outcome = await writeReport(dir, { threads: 1, formats: ['md', 'html'], out, png: false });
  assert.deepEqual(outcome.model.gradcam.map((g) => [g.dataset, g.layer, g.seed, g.rows.map((r) => r.label)]), [['cifar-10', 'conv2', 1, ['sgd', 'adam']]]);
  const md = readFileSync(join(out, 'report.md'), 'utf8');
  assert.match(md, /### Grad-CAM: cifar-10/);
  assert.match(md, /\| optimizer \| #0 \(class 0\) \| #10 \(class 1\) \| #20 \(class 2\) \|/);
  assert.match(md, /\| sgd \| !\[sgd, sample 0\]\(\.\.\/gradcam\/gradcam\/sgd-cifar-10-s1\/cifar-10-sgd-seed1-0\.png\)<br>predicted 1 \|/);
  assert.match(md, /\| adam \| .*cifar-10-adam-seed1-1\.png\)<br>predicted 2 \| missing \|/);
  assert.doesNotMatch(md, /seed2-\d\.png/, 'one seed only');
  assert.doesNotMatch(md, /Grad-CAM: MNIST/, 'no section without images');
  const html = readFileSync(join(out, 'report.html'), 'utf8');
  assert.match(html, /<img src="\.\.\/gradcam\/gradcam\/sgd-cifar-10-s1\/cifar-10-sgd-seed1-0\.png" alt="sgd, sample 0">/);
  assert.equal((html.match(/<td class="cam">/g) ?? []).length, 6);
});
