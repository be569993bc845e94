import { createHash } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import seedrandom from 'seedrandom';
import { planAblation, type CellAblation } from '../../shared/sweep/ablation.js';
import type { HyperParameterValue } from '../../shared/trial.js';
import { OPTIMIZERS } from '../../worker/engine/catalog.js';

/**
 * Synthetic sweep results folders, in the exact shape `grn sweep` writes (spec.yaml, cells/,
 * manifest.json), for the report's tests and benchmark: no training needed. Curves are plausible
 * (loss decays with noise, accuracy rises toward an optimizer- and data-set-dependent ceiling,
 * EnhancedSGD's lr and momentum wander and it has a Q-table) so plots look like real ones.
 */
export interface SyntheticSpec {
  readonly name: string;
  readonly optimizers: readonly string[];
  /** Values of an `lr` axis per optimizer; none: one variant each. */
  readonly lrs?: readonly number[];
  readonly datasets: readonly string[];
  readonly seeds: readonly number[];
  readonly epochs: number;
  readonly stepsPerEpoch: number;
  readonly telemetryEvery: number;
  readonly target?: number;
  /** Data sets whose task is segmentation: their results are judged by mIoU (primary_metric miou). */
  readonly segmentation?: readonly string[];
  /** Cell ids (or a predicate) that end failed / cancelled / queued without a result file. */
  readonly fate?: (cell: string, index: number) => 'done' | 'failed' | 'cancelled' | 'queued';
  /**
   * An ablation of enhanced-sgd (planned as `ablate:` plans it, from the catalog's switches): the
   * base's hyper-parameters and, per switch to flip, its known effect on the final accuracy.
   */
  readonly ablation?: { readonly base: Record<string, HyperParameterValue>; readonly effects: Readonly<Record<string, number>> };
  /** Per optimizer or variant label: RSS growth (MB per epoch) and tensor-memory growth; default none. */
  readonly memoryDrift?: Readonly<Record<string, { readonly ram?: number; readonly tensor?: number }>>;
  /** Runs on a GPU: results carry VRAM readings. */
  readonly gpu?: boolean;
}

interface Planned {
  id: string;
  label: string;
  optimizer: string;
  lr: number | null;
  dataset: string;
  seed: number;
  ablation?: CellAblation;
  /** Added to the accuracy the run reaches (an ablation's known effect). */
  effect?: number;
}

const BASE_LR: Record<string, number> = { sgd: 0.01, 'enhanced-sgd': 0.01, adam: 0.001, adamw: 0.001, rmsprop: 0.001, nadamw: 0.001 };
const SKILL: Record<string, number> = { sgd: 0, 'enhanced-sgd': 0.01, adam: 0.03, adamw: 0.032, rmsprop: 0.02, nadamw: 0.031 };

export function plannedCells(s: SyntheticSpec): Planned[] {
  const cells: Planned[] = [];
  for (const optimizer of s.optimizers)
    for (const lr of s.lrs ?? [null])
      for (const dataset of s.datasets)
        for (const seed of s.seeds) {
          const label = lr === null ? optimizer : `${optimizer}[lr=${lr}]`;
          const id = `${optimizer}${lr === null ? '' : `_lr${String(lr).replace('.', 'p')}`}-${dataset}-s${seed}`;
          cells.push({ id, label, optimizer, lr, dataset, seed });
        }
  if (s.ablation) {
    const plan = planAblation({ optimizer: 'enhanced-sgd', base: s.ablation.base, components: Object.keys(s.ablation.effects) }, OPTIMIZERS.get('enhanced-sgd').switches);
    if (plan.problems.length) throw new Error(`synthetic ablation: ${plan.problems.map((p) => p.message).join('; ')}`);
    for (const v of plan.variants)
      for (const dataset of s.datasets)
        for (const seed of s.seeds) {
          const effect = v.ablation.component === null ? 0 : (s.ablation.effects[v.ablation.component] ?? 0);
          cells.push({ id: `enhanced-sgd_${v.idPart}-${dataset}-s${seed}`, label: v.label, optimizer: 'enhanced-sgd', lr: null, dataset, seed, ablation: v.ablation, effect });
        }
  }
  return cells;
}

/** One trial result as `grn train` writes it. */
export function syntheticResult(c: Planned, s: SyntheticSpec): Record<string, unknown> {
  // Alea's first draws follow its seed string closely (ids that differ in one digit gave draws in
  // a line): seeded from a hash, cells' noise is independent, so a flip with no effect shows none.
  const random = seedrandom.alea(createHash('sha256').update(`synthetic:${c.id}`).digest('hex'));
  const noise = () => random() - 0.5;
  const hard = (c.dataset.length % 5) * 0.04;
  const lrFit = c.lr === null ? 0 : -0.02 * Math.abs(Math.log10(c.lr / (BASE_LR[c.optimizer] ?? 0.01)));
  const ceiling = Math.min(0.995, 0.93 - hard + (SKILL[c.optimizer] ?? 0) + lrFit + (c.effect ?? 0) + 0.01 * noise());
  const total = s.epochs * s.stepsPerEpoch;
  const loss = (step: number) => 0.08 + 2.2 * Math.exp(-step / (total * 0.25)) * (1 + 0.15 * noise());
  const steps: number[] = [];
  for (let i = 0; i < total; i += s.telemetryEvery) steps.push(i);
  const enhanced = c.optimizer === 'enhanced-sgd';
  let lr = c.lr ?? BASE_LR[c.optimizer] ?? 0.01;
  let momentum = 0.9;
  let mix = 0.8;
  const lrs: number[] = [];
  const moms: number[] = [];
  const mixes: number[] = [];
  for (const _ of steps) {
    if (enhanced) {
      lr *= 1 + 0.05 * Math.round(noise() * 2) * (random() < 0.3 ? 1 : 0);
      momentum = Math.min(0.99, Math.max(0.85, momentum + 0.005 * Math.round(noise() * 2)));
      mix = Math.max(0.1, Math.min(0.8, mix * (random() < 0.5 ? 0.98 : 1.049)));
    }
    lrs.push(lr);
    moms.push(momentum);
    mixes.push(mix);
  }
  const epochTime = Array.from({ length: s.epochs }, () => 40 * (1 + 0.1 * noise()) * (enhanced ? 1.1 : 1));
  const accuracy = Array.from({ length: s.epochs }, (_, e) => Math.min(0.999, ceiling - (ceiling - 0.6) * Math.exp(-(e + 1) * 1.3) + 0.005 * noise()));
  const drift = s.memoryDrift?.[c.label] ?? s.memoryDrift?.[c.optimizer] ?? {};
  const ram = 900 + 100 * random();
  const result: Record<string, unknown> = {
    format: 'grn.trial-result/1',
    status: 'completed',
    loss: accuracy.map((_, e) => loss((e + 0.5) * s.stepsPerEpoch)),
    accuracy,
    test_loss: accuracy.map((a) => (1 - a) * 1.5),
    epoch_time: epochTime,
    samples_per_s: epochTime.map((t) => (s.stepsPerEpoch * 64) / t),
    memory_usage: accuracy.map((_, e) => [s.gpu ? 1200 + 5 * e + 2 * noise() : 0, ram + (drift.ram ?? 0) * e + 4 * noise()]),
    tensor_memory_mb: accuracy.map((_, e) => 3.2 + (drift.tensor ?? 0) * e),
    batch_step: steps,
    batch_loss: steps.map(loss),
    learning_rate: lrs,
    gradient_variance: steps.map((st) => 1e-5 * (1 + st / total) * (1 + 0.3 * noise())),
    entropy: steps.map((st) => 1.4 - 0.8 * (st / total) + 0.1 * noise()),
    momentum: c.optimizer === 'sgd' || enhanced ? moms : undefined,
    raw_gradient_variance: steps.map(() => 1e-5 * (1 + 0.5 * noise())),
    grad_norm: steps.map((st) => 1.5 - st / total + 0.2 * noise()),
    telemetry_every: s.telemetryEvery,
    manifest: {
      backend: 'tensorflow',
      device: s.gpu ? 'GPU (synthetic)' : 'CPU (synthetic)',
      gpu: s.gpu === true,
      versions: { 'grad-retention-net': '0.1.0' },
      git_commit: null,
      seed: c.seed,
      dataset: { name: c.dataset, sha256: {}, train_samples: s.stepsPerEpoch * 64, test_samples: 10000 },
      model: 'simple-cnn',
      optimizer: c.optimizer,
      hyperparameters: { lr: c.lr ?? BASE_LR[c.optimizer] ?? 0.01 },
      epochs: s.epochs,
      batch_size: 64,
      host: 'synthetic',
      started_at: new Date(Date.UTC(2026, 0, 1) + c.seed * 1000).toISOString(),
      ended_at: new Date(Date.UTC(2026, 0, 1) + c.seed * 1000 + 60000).toISOString(),
    },
  };
  if (s.segmentation?.includes(c.dataset)) {
    // A segmentation result as the engine writes it: pixel accuracy in `accuracy`, mIoU primary.
    result.task = 'segmentation';
    result.primary_metric = 'miou';
    result.pixel_accuracy = accuracy;
    result.miou = accuracy.map((a) => a * 0.6);
  }
  if (enhanced) {
    result.mix_prob = mixes;
    const table: Record<string, number[]> = {};
    const visits: Record<string, number> = {};
    for (let i = 0; i < steps.length; i++) {
      const key = `${loss(steps[i]!).toFixed(1)}0|0.00|${(1.4 - 0.8 * (steps[i]! / total)).toFixed(1)}0|${Math.floor(steps[i]! / s.stepsPerEpoch)}|1`;
      visits[key] = (visits[key] ?? 0) + 1;
      table[key] ??= [0, 0, 0, 0, 0, 0];
      const k = Math.floor(random() * 6);
      table[key]![k]! += 0.01 * noise();
    }
    result.optimizer_state = {
      mode: 'intended',
      controller: { q_table: table, q_entries: ['lr_mult', 'lr_add', 'momentum_mult', 'momentum_add', 'grad_mult', 'grad_add'], visits, epsilon: 0.3, mix_prob: mix, scales: { lr: 1, momentum: 1, grad: 1 } },
    };
  }
  return result;
}

export function specYaml(s: SyntheticSpec): string {
  const lines = [`name: ${s.name}`, 'description: synthetic results for report tests and benchmarks', 'grid:', ...(s.optimizers.length ? [`  optimizer: [${s.optimizers.join(', ')}]`] : []), `  dataset: [${s.datasets.join(', ')}]`, `  seed: [${s.seeds.join(', ')}]`];
  if (s.ablation) lines.push('ablate:', '  optimizer: enhanced-sgd', `  base: ${JSON.stringify(s.ablation.base)}`, `  components: [${Object.keys(s.ablation.effects).join(', ')}]`);
  if (s.lrs) lines.push('params:', ...s.optimizers.flatMap((o) => [`  ${o}:`, `    lr: [${s.lrs!.join(', ')}]`]));
  lines.push('train:', `  epochs: ${s.epochs}`, `  telemetry_every: ${s.telemetryEvery}`);
  if (s.target !== undefined) lines.push('target:', ...s.datasets.map((d) => `  ${d}: ${s.target}`));
  return `${lines.join('\n')}\n`;
}

/**
 * Writes the folder; returns the planned cells with their fates. `manifest: false` leaves out
 * manifest.json, as a sweep still running (or killed) does.
 */
export async function writeSyntheticFolder(dir: string, s: SyntheticSpec, options: { manifest?: boolean } = {}): Promise<Array<Planned & { status: string }>> {
  await mkdir(join(dir, 'cells'), { recursive: true });
  await writeFile(join(dir, 'spec.yaml'), specYaml(s));
  const cells = plannedCells(s).map((c, i) => ({ ...c, status: s.fate?.(c.id, i) ?? 'done' }));
  for (let i = 0; i < cells.length; i += 64) {
    await Promise.all(
      cells.slice(i, i + 64).map((c) => (c.status === 'done' ? writeFile(join(dir, 'cells', `${c.id}.json`), JSON.stringify(syntheticResult(c, s))) : undefined)),
    );
  }
  if (options.manifest !== false) {
    const manifest = {
      format: 'grn.sweep-manifest/1',
      sweep: `${s.name}-synthetic`,
      name: s.name,
      status: cells.every((c) => c.status === 'done') ? 'done' : 'failed',
      started_at: '2026-01-01T00:00:00.000Z',
      ended_at: '2026-01-01T01:00:00.000Z',
      backends: ['tensorflow on CPU (synthetic)'],
      cells: cells.map((c) => ({
        cell: c.id,
        label: c.label,
        ...(c.ablation ? { ablation: c.ablation } : {}),
        dataset: c.dataset,
        seed: c.seed,
        status: c.status,
        attempts: c.status === 'queued' ? 0 : c.status === 'failed' ? 3 : 1,
        error: c.status === 'failed' ? 'trainer exited with code 1: out of memory' : null,
        final_score: null,
        result: c.status === 'done' ? `cells/${c.id}.json` : null,
      })),
    };
    await writeFile(join(dir, 'manifest.json'), JSON.stringify(manifest, null, 2));
  }
  return cells;
}
