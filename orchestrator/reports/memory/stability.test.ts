import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { writeReport } from '../report.js';
import { writeSyntheticFolder, type SyntheticSpec } from '../synthetic.js';
import { runMemory } from './stability.js';
import { MEMORY_CSV_COLUMNS } from './tables.js';

const root = mkdtempSync(join(tmpdir(), 'grn-memory-'));
after(() => rmSync(root, { recursive: true, force: true }));

/** 10 seeds on a GPU, 4 epochs: adam's process grows 25 MB and its tensors 1.5 MB per epoch; the others hold steady. */
const SPEC: SyntheticSpec = {
  name: 'memory',
  optimizers: ['sgd', 'adam', 'enhanced-sgd'],
  datasets: ['mnist'],
  seeds: [1, 2, 3, 4, 5, 6, 7, 8, 9, 10],
  epochs: 4,
  stepsPerEpoch: 5,
  telemetryEvery: 5,
  gpu: true,
  memoryDrift: { adam: { ram: 25, tensor: 1.5 } },
};

test('one run: peaks, drift as the least-squares slope over epochs, no VRAM without a GPU, no drift from one epoch', () => {
  assert.deepEqual(runMemory({ ramMb: [900, 930, 950, 990], vramMb: [0, 0, 0, 0], tensorMb: [3, 3, 3, 3], gpu: false }), {
    peak_ram_mb: 990,
    ram_drift_mb_per_epoch: 29,
    peak_vram_mb: null,
    peak_tensor_mb: 3,
    tensor_drift_mb_per_epoch: 0,
  });
  const one = runMemory({ ramMb: [900], vramMb: [1500], tensorMb: [3], gpu: true });
  assert.equal(one.peak_vram_mb, 1500);
  assert.equal(one.ram_drift_mb_per_epoch, null);
});

test('a leak is measured and named against the baseline (Holm-corrected); GPU runs get peak VRAM', async () => {
  const dir = join(root, 'leak');
  await writeSyntheticFolder(dir, SPEC);
  const { model } = await writeReport(dir, { threads: 1, formats: ['md', 'csv', 'json'], png: false });
  const m = model.memory;
  assert.equal(m.perStep, false);
  const group = (label: string) => m.groups.find((g) => g.label === label)!;
  assert.ok(Math.abs(group('adam').measures.ram_drift_mb_per_epoch!.mean - 25) < 2, `adam drift ${group('adam').measures.ram_drift_mb_per_epoch!.mean}`);
  assert.ok(Math.abs(group('sgd').measures.ram_drift_mb_per_epoch!.mean) < 2);
  assert.ok(group('adam').measures.ram_drift_mb_per_epoch!.sd < 3, 'variability across seeds');
  assert.equal(group('adam').measures.tensor_drift_mb_per_epoch!.mean, 1.5);
  assert.ok(m.groups.every((g) => g.gpu && g.epochs === 4 && g.seeds.length === 10 && g.measures.peak_vram_mb!.mean > 1200));

  const cmp = (label: string, measure: string) => m.comparisons.find((c) => c.label === label && c.measure === measure)!;
  assert.equal(cmp('adam', 'ram_drift_mb_per_epoch').verdict, 'higher');
  assert.equal(cmp('adam', 'tensor_drift_mb_per_epoch').verdict, 'higher');
  assert.ok(Math.abs(cmp('adam', 'ram_drift_mb_per_epoch').test.meanDiff - 25) < 3);
  assert.equal(cmp('enhanced-sgd', 'ram_drift_mb_per_epoch').verdict, 'no significant difference');
  assert.equal(cmp('enhanced-sgd', 'peak_vram_mb').verdict, 'no significant difference');
  assert.ok(m.comparisons.every((c) => c.baseline === 'sgd'));
  assert.match(m.summary[0]!, /^Significant memory differences from the baseline \(Wilcoxon signed-rank, Holm-corrected over the \d+ memory comparisons that could be tested, α = 0\.05\): /);
  assert.match(m.summary[0]!, /adam vs sgd on MNIST: higher RAM drift \(\+2\d\.\d+ MB\/epoch\)/);
  assert.doesNotMatch(m.summary[0]!, /enhanced-sgd/);

  const md = readFileSync(join(dir, 'report.md'), 'utf8');
  assert.match(md, /\n## Memory\n/);
  assert.match(md, /\| optimizer \| seeds \| epochs \| peak RAM \(MB\) \| 95 % CI \| RAM drift \(MB\/epoch\) \| 95 % CI \| drift SD across seeds \| peak VRAM \(MB\) \| 95 % CI \| peak tensor memory \(MB\) \| tensor drift \(MB\/epoch\) \|/);
  assert.match(md, /\| adam \| RAM drift \(MB\/epoch\) \| 10 \| \+2\d\.?\d* \|.*\| higher \|/);
  const csv = readFileSync(join(dir, 'report-memory.csv'), 'utf8').trim().split('\n');
  assert.equal(csv[0], MEMORY_CSV_COLUMNS.join(','));
  assert.equal(csv.length, 1 + 3);
  for (const line of csv) assert.equal(line.split(',').length, MEMORY_CSV_COLUMNS.length, line);
  assert.equal(JSON.parse(readFileSync(join(dir, 'report.json'), 'utf8')).memory.groups.length, 3);
});

test('no difference is said plainly, and so is a family too small to find one', async () => {
  const steady = join(root, 'steady');
  await writeSyntheticFolder(steady, { ...SPEC, memoryDrift: undefined });
  const { model } = await writeReport(steady, { threads: 1, formats: ['json'], png: false });
  assert.match(model.memory.summary[0]!, /^No optimizer variant differs significantly from the baseline in peak RAM, RAM drift, peak VRAM or tensor-memory drift on any data set \(/);
  assert.doesNotMatch(model.memory.summary[0]!, /could have come out significant/);

  const few = join(root, 'few');
  await writeSyntheticFolder(few, { ...SPEC, name: 'few', seeds: [1, 2, 3], memoryDrift: undefined });
  const small = await writeReport(few, { threads: 1, formats: ['json'], png: false });
  assert.match(small.model.memory.summary[0]!, /; but with these seeds no comparison could have come out significant \(smallest possible Holm-corrected p: 1\)\.$/);
});
