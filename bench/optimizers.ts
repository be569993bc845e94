import * as tf from '@tensorflow/tfjs-core';
import { median } from 'simple-statistics';
import { UsageError } from '../shared/errors.js';
import { activateBackend } from '../worker/engine/backends/index.js';
import '../worker/engine/tfjs-setup.js';
import { benchArgs, numberFlag } from './args.js';
import { withHostStatistics } from './host-statistics.js';
import { interleavePairs, type Contender, type PairedRounds, type RoundFigure } from './interleave.js';
import { describeMachine, loadAverage, machineRecord } from './machine.js';
import { fixedGradients, fullStepContender, syntheticBatch, updateContender, type Disposable, type Variant } from './optimizer-contenders.js';
import { formatDifference, formatRatio, halfWidthPercent, pairedDifference, pairedRatio, RATIO_METHOD, ratioJson, type DifferenceEstimate, type RatioEstimate } from './paired-ratio.js';

/**
 * `npm run bench -- optimizers`: what each optimizer costs against SGD on SimpleCNN (batch 64) on
 * the fastest available backend, measured twice:
 *
 * - the full training step (the loop's trainStep: forward, backward, gradient statistics, update,
 *   host read), which is what a training pays;
 * - the optimizer update alone (apply() on fixed gradients of SimpleCNN's shapes with the loop's
 *   statistics context), where what an optimizer adds is not diluted by the ~40 ms forward and
 *   backward pass that every optimizer shares.
 *
 * Each variant is measured against SGD in a phase of its own (two models and optimizers, built
 * afresh and warmed up untimed): in every round the two take turns, SGD or the variant first at
 * random, each turn one untimed step and one timed step (interleave.ts says why); the first round
 * is discarded. A phase of its own, because a variant that leaves garbage behind
 * (the host-copy one: 1.7 MB of arrays a step) slowed whatever ran after it when all eight shared
 * the rounds. Every step records wall time and the process's CPU time. A variant's ratio to SGD
 * comes from its per-round ratios with the 95 % interval (paired-ratio.ts), and the update's added
 * milliseconds from the per-round differences. EnhancedSGD is measured as configured by default
 * (intended mode), in the seed-faithful mode with the retention buffer on, and with every gradient
 * copied to the host for its statistics, as the original did.
 *
 * The defaults (about 6 minutes) are sized to resolve a 5 % difference of EnhancedSGD's full step,
 * an interval half-width of at most 2.5 %, on the 2-core VM while it is not overloaded; the other
 * variants get a third of its rounds. `--variants enhanced_sgd` measures that one alone.
 */
const VARIANTS: Variant[] = [
  { name: 'sgd', optimizer: 'sgd' },
  { name: 'adam', optimizer: 'adam' },
  { name: 'adamw', optimizer: 'adamw' },
  { name: 'rmsprop', optimizer: 'rmsprop' },
  { name: 'nadamw', optimizer: 'nadamw' },
  // The optimizer under study, whose target is a 5 % question: three times the rounds.
  { name: 'enhanced_sgd', optimizer: 'enhanced-sgd', share: 3 },
  { name: 'enhanced_sgd_seed_retention', optimizer: 'enhanced-sgd', hyperparameters: { controller: 'seed', retention: true } },
  { name: 'enhanced_sgd_host_copy', optimizer: 'enhanced-sgd', wrap: withHostStatistics },
];

/** EnhancedSGD's per-step target (issue 17): at most 1.05× SGD, the interval's upper end included. */
const TARGET = 1.05;
const BATCH = 64;
/** Updates per turn in the update-alone phases (an update takes a few ms: longer turns cost no pairing). */
const UPDATE_TURN = 5;

/** One phase's figures for a variant, against the SGD steps paired with it. */
interface PhaseFigures {
  /** Medians over rounds of the per-round means. */
  wallMs: number;
  cpuMs: number;
  wall: RatioEstimate;
  cpu: RatioEstimate;
  addedMs: DifferenceEstimate;
  rounds: number;
}

function phaseFigures(run: PairedRounds, name: string): PhaseFigures {
  const pick = (rounds: RoundFigure[], key: 'wallMs' | 'cpuMs') => rounds.map((r) => r[key]);
  const mine = run.contender[name]!;
  const partner = run.partner[name]!;
  return {
    wallMs: median(pick(mine, 'wallMs')),
    cpuMs: median(pick(mine, 'cpuMs')),
    wall: pairedRatio(pick(mine, 'wallMs'), pick(partner, 'wallMs')),
    cpu: pairedRatio(pick(mine, 'cpuMs'), pick(partner, 'cpuMs')),
    addedMs: pairedDifference(pick(mine, 'wallMs'), pick(partner, 'wallMs')),
    rounds: mine.length,
  };
}

/** SGD's own figures over every phase's rounds (its ms per step; its ratios are 1 by definition). */
function sgdFigures(runs: PairedRounds[]): PhaseFigures {
  const wall = runs.flatMap((r) => r.baseline.map((f) => f.wallMs));
  const cpu = runs.flatMap((r) => r.baseline.map((f) => f.cpuMs));
  return { wallMs: median(wall), cpuMs: median(cpu), wall: pairedRatio(wall, wall), cpu: pairedRatio(cpu, cpu), addedMs: pairedDifference(wall, wall), rounds: wall.length };
}

export async function run(args: string[]): Promise<void> {
  const flags = benchArgs(args, {
    seconds: { type: 'string' },
    rounds: { type: 'string' },
    'warmup-rounds': { type: 'string' },
    'update-seconds': { type: 'string' },
    'update-rounds': { type: 'string' },
    'turn-steps': { type: 'string' },
    'lead-in': { type: 'string' },
    backend: { type: 'string' },
    variants: { type: 'string' },
    'no-update': { type: 'boolean', default: false },
    'no-step': { type: 'boolean', default: false },
  });
  const seconds = numberFlag(flags.seconds, 'seconds', 3);
  const rounds = Math.round(numberFlag(flags.rounds, 'rounds', 10));
  const warmupRounds = flags['warmup-rounds'] === '0' ? 0 : Math.round(numberFlag(flags['warmup-rounds'], 'warmup-rounds', 1));
  const updateSeconds = numberFlag(flags['update-seconds'], 'update-seconds', 1);
  const updateRounds = Math.round(numberFlag(flags['update-rounds'], 'update-rounds', 8));
  const turnUnits = Math.round(numberFlag(flags['turn-steps'], 'turn-steps', 1));
  const leadInUnits = flags['lead-in'] === '0' ? 0 : Math.round(numberFlag(flags['lead-in'], 'lead-in', 1));
  if (rounds < 2 || updateRounds < 2) throw new UsageError('--rounds and --update-rounds need at least 2 (an interval needs two rounds)');
  const variants = selectVariants(flags.variants);
  const device = await activateBackend((flags.backend as 'auto' | undefined) ?? 'auto');
  const machine = machineRecord();
  const log = (m: string) => process.stderr.write(`${m}\n`);
  log(`optimizers on ${device.backend} (${device.device}); ${describeMachine(machine)}`);

  const data = syntheticBatch(BATCH);
  const owned: Disposable[] = [data];
  const steps: Record<string, PairedRounds> = {};
  const updates: Record<string, PairedRounds> = {};
  let loadAfterSteps: [number, number, number] | undefined;
  /** The load average around each phase: others' work on the shared cores is the noise to read the figures against. */
  const loads: Record<string, Record<string, { start: number[]; end: number[] }>> = { step: {}, update: {} };
  const sgd = variants[0]!;
  /** One variant against SGD: both built afresh, interleaved, then disposed. */
  const phase = async (v: Variant, make: (v: Variant) => Promise<Contender & Disposable>, kind: string, n: number, secs: number, turn: number, leadIn: number): Promise<PairedRounds> => {
    const pair: Array<Contender & Disposable> = [];
    const start = loadAverage();
    try {
      pair.push(await make(sgd), await make(v));
      return await interleavePairs(pair[0]!, [pair[1]!], {
        rounds: n,
        warmupRounds,
        seconds: secs,
        turnUnits: turn,
        leadInUnits: leadIn,
        seed: `bench-optimizers-${kind}-${v.name}`,
        onRound: (round, f, warmup) => log(`${kind} ${v.name} ${warmup ? 'warm-up' : `round ${round + 1}/${n}`}: ${describeRound(f)}`),
      });
    } finally {
      for (const c of pair) c.dispose();
      loads[kind]![v.name] = { start, end: loadAverage() };
    }
  };
  try {
    const others = variants.slice(1);
    if (!flags['no-step']) {
      for (const v of others) steps[v.name] = await phase(v, (x) => fullStepContender(x, data, 10), 'step', rounds * (v.share ?? 1), seconds, turnUnits, leadInUnits);
      loadAfterSteps = loadAverage();
    }
    if (!flags['no-update']) {
      const fixed = await fixedGradients(data);
      owned.push(fixed);
      for (const v of others) updates[v.name] = await phase(v, (x) => updateContender(x, fixed, device.gpu, 20), 'update', updateRounds * (v.share ?? 1), updateSeconds, UPDATE_TURN, 1);
    }
  } finally {
    for (const d of owned.reverse()) d.dispose();
  }
  const loadEnd = loadAverage();

  const figures: Record<string, { step?: PhaseFigures; update?: PhaseFigures }> = {};
  const stepRuns = Object.values(steps);
  const updateRuns = Object.values(updates);
  figures.sgd = { ...(stepRuns.length ? { step: sgdFigures(stepRuns) } : {}), ...(updateRuns.length ? { update: sgdFigures(updateRuns) } : {}) };
  for (const v of variants.slice(1)) {
    figures[v.name] = { ...(steps[v.name] ? { step: phaseFigures(steps[v.name]!, v.name) } : {}), ...(updates[v.name] ? { update: phaseFigures(updates[v.name]!, v.name) } : {}) };
  }
  const summary: Record<string, unknown> = {
    benchmark: 'optimizers',
    machine: { ...machine, load_average_end: loadEnd, ...(loadAfterSteps ? { load_average_after_full_steps: loadAfterSteps } : {}) },
    ratio_method: RATIO_METHOD,
    backend: device.backend,
    device: device.device,
    model: 'simple-cnn',
    batch: BATCH,
    rounds: Object.fromEntries(variants.slice(1).map((v) => [v.name, rounds * (v.share ?? 1)])),
    seconds_per_round: seconds,
    update_rounds: Object.fromEntries(variants.slice(1).map((v) => [v.name, updateRounds * (v.share ?? 1)])),
    update_seconds_per_round: updateSeconds,
    warmup_rounds_discarded: warmupRounds,
    steps_per_turn: turnUnits,
    updates_per_turn: UPDATE_TURN,
    untimed_lead_in_per_turn: { step: leadInUnits, update: 1 },
    tensors_after: tf.memory().numTensors,
    ...flatFields(variants, figures),
  };
  const esgd = figures.enhanced_sgd?.step;
  if (esgd) summary.enhanced_sgd_target = { max_ratio: TARGET, ratio: ratioJson(esgd.wall).ratio, ci95: ratioJson(esgd.wall).ci95, met: targetMet(esgd.wall), half_width_pct: round(halfWidthPercent(esgd.wall) ?? Number.NaN, 2) };
  summary.per_round = {
    step: Object.fromEntries(Object.entries(steps).map(([name, run]) => [name, { ...perRound(run, name), load_average: loads.step![name] }])),
    update: Object.fromEntries(Object.entries(updates).map(([name, run]) => [name, { ...perRound(run, name), load_average: loads.update![name] }])),
  };
  if (flags.json) {
    process.stdout.write(`${JSON.stringify(summary, null, 2)}\n`);
    return;
  }
  printTable(variants, figures, [
    `SimpleCNN, batch ${BATCH}, on ${device.backend} (${device.device})`,
    `machine: ${describeMachine(machine, loadEnd)}`,
    `each variant against SGD in a phase of its own; full step: ${rounds} rounds of ${seconds} s (× its share: ${shares(variants)}), turns of ${leadInUnits} untimed + ${turnUnits} timed steps; update alone: ${updateRounds} rounds of ${updateSeconds} s (× its share), turns of 1 + ${UPDATE_TURN}; ${warmupRounds} warm-up round(s) discarded`,
    `ratios: ${RATIO_METHOD}`,
  ]);
}

const shares = (variants: readonly Variant[]) => variants.filter((v) => (v.share ?? 1) !== 1).map((v) => `${v.name} ${v.share}`).join(', ') || 'none';

const targetMet = (r: RatioEstimate) => r.ratio <= TARGET && r.ci95 !== null && r.ci95[1] < TARGET;

function round(x: number, digits = 3): number {
  return Math.round(x * 10 ** digits) / 10 ** digits;
}

/**
 * `<variant>_ms_per_step`, `<variant>_ratio_vs_sgd` (+ `_ci95`), their CPU-time twins, and the same
 * for the update alone (`<variant>_update_…`, with `_update_added_ms_vs_sgd`).
 */
function flatFields(variants: readonly Variant[], figures: Record<string, { step?: PhaseFigures; update?: PhaseFigures }>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const v of variants) {
    const { step, update } = figures[v.name]!;
    if (step) {
      out[`${v.name}_ms_per_step`] = round(step.wallMs, 2);
      out[`${v.name}_cpu_ms_per_step`] = round(step.cpuMs, 2);
      out[`${v.name}_ratio_vs_sgd`] = ratioJson(step.wall).ratio;
      out[`${v.name}_ratio_vs_sgd_ci95`] = ratioJson(step.wall).ci95;
      out[`${v.name}_cpu_ratio_vs_sgd`] = ratioJson(step.cpu).ratio;
      out[`${v.name}_cpu_ratio_vs_sgd_ci95`] = ratioJson(step.cpu).ci95;
    }
    if (update) {
      out[`${v.name}_update_ms`] = round(update.wallMs);
      out[`${v.name}_update_cpu_ms`] = round(update.cpuMs);
      out[`${v.name}_update_ratio_vs_sgd`] = ratioJson(update.wall).ratio;
      out[`${v.name}_update_ratio_vs_sgd_ci95`] = ratioJson(update.wall).ci95;
      out[`${v.name}_update_cpu_ratio_vs_sgd`] = ratioJson(update.cpu).ratio;
      out[`${v.name}_update_cpu_ratio_vs_sgd_ci95`] = ratioJson(update.cpu).ci95;
      out[`${v.name}_update_added_ms_vs_sgd`] = round(update.addedMs.difference);
      out[`${v.name}_update_added_ms_vs_sgd_ci95`] = update.addedMs.ci95 && update.addedMs.ci95.map((x) => round(x));
    }
  }
  return out;
}

/** A phase's rounds, for re-analysis: the variant's and its SGD partner's mean ms per round, and timed units. */
function perRound(run: PairedRounds, name: string): Record<string, unknown> {
  const series = (rounds: RoundFigure[]) => ({ wall_ms: rounds.map((r) => round(r.wallMs)), cpu_ms: rounds.map((r) => round(r.cpuMs)), units: rounds.map((r) => r.units) });
  return { ...series(run.contender[name]!), sgd: series(run.partner[name]!) };
}

function selectVariants(flag: string | boolean | undefined): Variant[] {
  if (typeof flag !== 'string') return VARIANTS;
  const wanted = new Set(flag.split(','));
  for (const w of wanted) if (!VARIANTS.some((v) => v.name === w)) throw new UsageError(`--variants: unknown variant '${w}' (known: ${VARIANTS.map((v) => v.name).join(', ')})`);
  // SGD is every ratio's denominator, and first.
  return VARIANTS.filter((v) => v.name === 'sgd' || wanted.has(v.name));
}

function describeRound(f: Record<string, RoundFigure>): string {
  return Object.entries(f).map(([name, x]) => `${name} ${x.wallMs.toFixed(2)}/${x.cpuMs.toFixed(2)} ms (${x.units})`).join(', ');
}

function printTable(variants: readonly Variant[], figures: Record<string, { step?: PhaseFigures; update?: PhaseFigures }>, header: string[]): void {
  const out = (s: string) => process.stdout.write(`${s}\n`);
  header.forEach(out);
  const columns = ['variant', 'ms/step', 'step vs sgd (wall)', 'step vs sgd (CPU)', 'update ms', 'update vs sgd (wall)', 'update ms added'];
  const rows = variants.map((v) => {
    const { step, update } = figures[v.name]!;
    const base = v.name === 'sgd';
    return [
      v.name,
      step ? step.wallMs.toFixed(1) : '-',
      step && !base ? formatRatio(step.wall) : base ? 'reference' : '-',
      step && !base ? formatRatio(step.cpu) : base ? 'reference' : '-',
      update ? update.wallMs.toFixed(2) : '-',
      update && !base ? formatRatio(update.wall, 2) : base ? 'reference' : '-',
      update && !base ? formatDifference(update.addedMs) : '-',
    ];
  });
  const widths = columns.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i]!)).join('  ');
  out(`${line(columns)}\n${widths.map((w) => '-'.repeat(w)).join('  ')}\n${rows.map(line).join('\n')}`);
  const esgd = figures.enhanced_sgd?.step;
  if (esgd) {
    out(`EnhancedSGD (intended) per full step: ${formatRatio(esgd.wall)} SGD (±${(halfWidthPercent(esgd.wall) ?? Number.NaN).toFixed(1)} %); CPU time ${formatRatio(esgd.cpu)}`);
    out(`target ≤ ${TARGET}× SGD with the interval's upper end under it: ${targetMet(esgd.wall) ? 'met' : 'not met'}`);
  }
}
