import { cpus } from 'node:os';
import { fileURLToPath } from 'node:url';
import { median } from 'simple-statistics';
import { UsageError } from '../shared/errors.js';
import { loadBackends, safeProbe } from '../worker/engine/backends/index.js';
import { DATASETS } from '../worker/engine/catalog.js';
import { benchArgs, numberFlag } from './args.js';
import { alternateBlocks, LineWorker } from './line-worker.js';
import { describeMachine, loadAverage, machineRecord, oneDnnFromLog } from './machine.js';
import { formatRatio, pairedRatio, RATIO_METHOD, ratioJson, ratioOfRounds, type RatioEstimate } from './paired-ratio.js';

/**
 * `npm run bench -- engine [--dataset mnist|cifar10]`: samples/s of the SimpleCNN training step
 * (batch 64, the data set's sample shape: MNIST's 28x28x1 by default, CIFAR-10's 32x32x3) on
 * every available backend, side by side, and against PyTorch CPU with the same thread count when
 * torch is importable. Each backend and PyTorch run in their own long-lived process; fast ones
 * alternate block by block (so load on the machine hits all alike) and each ratio to PyTorch comes
 * from the per-round ratios with its 95 % interval (paired-ratio.ts). Backends slower than 100
 * samples/s get one short block. The JSON and the header record what it ran on: the CPU and its
 * vector flags, cores, load average at start and end, TensorFlow's version, oneDNN state (from its
 * own start-up log) and thread settings, PyTorch's threads and mkldnn.
 */

/** Forward FLOPs of SimpleCNN on one h×w×c image (multiply-adds count 2): two 3x3 convs, two dense. */
function forwardFlops([h, w, c]: readonly [number, number, number]): number {
  const quarter = Math.floor(h / 4) * Math.floor(w / 4);
  return 2 * (h * w * 32 * 9 * c + (h / 2) * (w / 2) * 64 * 9 * 32 + quarter * 64 * 128 + 128 * 10);
}
const SLOW = 100;

interface BackendFigure {
  device: string;
  gpu: boolean;
  batch: number;
  samples_per_s: number;
  blocks: number[];
  step_gflops: number;
  matmul_gflops: number;
  /** Geometric mean of the per-round ratios to PyTorch (paired-ratio.ts). */
  ratio_vs_pytorch?: number;
  ratio_vs_pytorch_ci95?: [number, number] | null;
  ratio_vs_pytorch_per_round?: number[];
  /** The backend's versions (e.g. libtensorflow) and the thread settings its process inherited. */
  versions: Record<string, string>;
  environment: Record<string, string | null>;
  /** tensorflow: TensorFlow's oneDNN custom operations, as its start-up log says. */
  onednn?: string;
}

export async function run(args: string[]): Promise<void> {
  const flags = benchArgs(args, {
    seconds: { type: 'string' },
    rounds: { type: 'string' },
    backends: { type: 'string' },
    dataset: { type: 'string' },
    'no-pytorch': { type: 'boolean', default: false },
    'tf-kernels': { type: 'string' },
    'tf-threads': { type: 'string' },
    'without-statistics': { type: 'boolean', default: false },
  });
  const dataset = typeof flags.dataset === 'string' ? flags.dataset : 'mnist';
  const sample = DATASETS.get(dataset).sample;
  if (!sample) throw new UsageError(`--dataset ${dataset}: its samples have no fixed image shape to benchmark (try mnist or cifar10)`);
  const shape = sample.shape;
  // A training step is about three forward passes (forward, input gradients, weight gradients).
  const STEP_FLOPS_PER_SAMPLE = 3 * forwardFlops(shape);
  const seconds = numberFlag(flags.seconds, 'seconds', 3);
  const rounds = Math.round(numberFlag(flags.rounds, 'rounds', 5));
  const wanted = typeof flags.backends === 'string' ? flags.backends.split(',') : null;
  const log = (m: string) => process.stderr.write(`${m}\n`);
  const threads = cpus().length;
  const workerScript = fileURLToPath(new URL('./engine-worker.js', import.meta.url));
  const machine = machineRecord();
  // The tensorflow backend once per GRN_TF_KERNELS setting (tensorflow-kernels.ts), side by side:
  // each override's gain measured against tfjs-node's own kernels in the same run.
  const kernelSettings = typeof flags['tf-kernels'] === 'string' ? flags['tf-kernels'].split(',').filter(Boolean) : [];
  // And once per thread setting INTRA/INTER (TensorFlow's TF_NUM_INTRAOP_THREADS and
  // TF_NUM_INTEROP_THREADS; its default is the schedulable CPUs for both), against the first.
  const threadSettings = typeof flags['tf-threads'] === 'string' ? flags['tf-threads'].split(',').filter(Boolean).map(threadSetting) : [];
  if (kernelSettings.length && threadSettings.length) throw new UsageError('--tf-kernels and --tf-threads: one at a time (each compares its settings with its first)');

  const workers = new Map<string, LineWorker>();
  /** A variant's reference in the same run: its figures are also given as a ratio to it, round by round. */
  const references: Record<string, string> = {};
  const unavailable: Record<string, string> = {};
  const figures: Record<string, BackendFigure> = {};
  let torch: LineWorker | null = null;
  let torchUnavailable: string | undefined;
  const torchBlocks: number[] = [];
  const pairRatios: Record<string, number[]> = {};
  let machineMatmul: number | undefined;
  try {
    const entries: Array<{ name: string; backend: string; env?: Record<string, string>; vs?: string }> = [];
    for (const backend of await loadBackends()) {
      if (wanted && !wanted.includes(backend.name)) continue;
      const availability = await safeProbe(backend);
      if (!availability.ok) {
        unavailable[backend.name] = availability.reason;
        continue;
      }
      if (backend.name === 'tensorflow' && kernelSettings.length) {
        const first = `tensorflow[kernels=${kernelSettings[0]}]`;
        for (const k of kernelSettings) entries.push({ name: `tensorflow[kernels=${k}]`, backend: backend.name, env: { GRN_TF_KERNELS: k }, ...(k === kernelSettings[0] ? {} : { vs: first }) });
      } else if (backend.name === 'tensorflow' && threadSettings.length) {
        const name = (t: ThreadSetting) => `tensorflow[threads=${t.intra}/${t.inter}]`;
        for (const t of threadSettings) {
          const env = { TF_NUM_INTRAOP_THREADS: String(t.intra), TF_NUM_INTEROP_THREADS: String(t.inter) };
          entries.push({ name: name(t), backend: backend.name, env, ...(t === threadSettings[0] ? {} : { vs: name(threadSettings[0]!) }) });
        }
      } else entries.push({ name: backend.name, backend: backend.name });
      // The same step without the gradient statistics (the step bench/pytorch/simplecnn_step.py
      // runs), against the backend as it trains (with every kernel override, where there are settings).
      if (flags['without-statistics'] && backend.name !== 'cpu') {
        const vs =
          backend.name === 'tensorflow' && kernelSettings.length
            ? kernelSettings.includes('all')
              ? 'tensorflow[kernels=all]'
              : undefined
            : backend.name === 'tensorflow' && threadSettings.length
              ? undefined
              : backend.name;
        entries.push({ name: `${backend.name}[no statistics]`, backend: backend.name, env: { GRN_BENCH_STATISTICS: '0' }, ...(vs ? { vs } : {}) });
      }
    }
    for (const { name, backend, env, vs } of entries) {
      if (vs) references[name] = vs;
      // The pure-JS backend takes seconds per SimpleCNN step: it is measured on a smaller batch.
      const batch = backend === 'cpu' ? 16 : 64;
      log(`${name}: starting`);
      const worker = await LineWorker.start(process.execPath, [workerScript, backend, String(batch), shape.join('x')], env);
      if (!(worker instanceof LineWorker)) {
        unavailable[name] = worker.unavailable;
        continue;
      }
      workers.set(name, worker);
      const matmul = (await worker.ask(`matmul ${backend === 'cpu' ? 256 : 512}`)).gflops!;
      const probe = (await worker.ask(`run ${Math.min(1, seconds)}`)).samples_per_s!;
      log(`${name}: ${worker.ready.device}, first block ${probe.toFixed(1)} samples/s`);
      figures[name] = {
        device: String(worker.ready.device),
        gpu: worker.ready.gpu === true,
        batch,
        samples_per_s: probe,
        blocks: probe >= SLOW ? [] : [probe],
        step_gflops: 0,
        matmul_gflops: matmul,
        versions: (worker.ready.versions ?? {}) as Record<string, string>,
        environment: (worker.ready.environment ?? {}) as Record<string, string | null>,
        // Logged when TensorFlow's library loads, so it is in by the first block's answer.
        ...(backend === 'tensorflow' ? { onednn: oneDnnFromLog(worker.stderr()) } : {}),
      };
      if (probe < SLOW) {
        await worker.stop();
        workers.delete(name);
      }
    }
    if (!flags['no-pytorch']) {
      const script = fileURLToPath(new URL('../../bench/pytorch/simplecnn_step.py', import.meta.url));
      const started = await LineWorker.start(process.env.GRN_PYTHON ?? 'python3', [script, String(threads), '64', shape.join('x')]);
      if (started instanceof LineWorker) torch = started;
      else torchUnavailable = started.unavailable;
    }
    const alternated = await alternateBlocks(torch, workers, rounds, seconds, (round, name, block, torchBlock) =>
      log(`round ${round + 1}/${rounds} ${name}: ${Math.round(block)} samples/s${torchBlock ? `, pytorch ${Math.round(torchBlock)}` : ''}`),
    );
    torchBlocks.push(...alternated.torch);
    Object.assign(pairRatios, alternated.ratios);
    for (const [name, blocks] of Object.entries(alternated.blocks)) figures[name]!.blocks.push(...blocks);
    // The machine's matmul rate through PyTorch's BLAS where available: the roof a step can reach.
    if (torch) machineMatmul = (await torch.ask('matmul 1024')).gflops;
  } finally {
    for (const worker of workers.values()) await worker.stop().catch(() => undefined);
    if (torch) await torch.stop().catch(() => undefined);
  }

  const estimates: Record<string, RatioEstimate> = {};
  for (const [name, f] of Object.entries(figures)) {
    f.samples_per_s = median(f.blocks);
    f.step_gflops = (f.samples_per_s * STEP_FLOPS_PER_SAMPLE) / 1e9;
    if (pairRatios[name]) {
      estimates[name] = ratioOfRounds(pairRatios[name]!);
      const r = ratioJson(estimates[name]);
      f.ratio_vs_pytorch = r.ratio;
      f.ratio_vs_pytorch_ci95 = r.ci95;
      f.ratio_vs_pytorch_per_round = r.per_round;
    }
  }
  // Each variant against its reference (kernels=all against kernels=none, …), paired by round.
  const variantComparisons: Record<string, { vs: string; ratio: number; ci95: [number, number] | null; per_round: number[] }> = {};
  const variantEstimates: Array<[string, string, RatioEstimate]> = [];
  for (const [name, vs] of Object.entries(references)) {
    const mine = figures[name];
    const reference = figures[vs];
    if (!reference || !mine || mine.blocks.length !== reference.blocks.length || mine.blocks.length === 0) continue;
    const estimate = pairedRatio(mine.blocks, reference.blocks);
    variantEstimates.push([name, vs, estimate]);
    variantComparisons[name] = { vs, ...ratioJson(estimate) };
  }
  const loadEnd = loadAverage();
  const fastestCpu = Object.entries(figures)
    .filter(([, f]) => !f.gpu)
    .sort((a, b) => b[1].samples_per_s - a[1].samples_per_s)[0];
  const pytorch = torch && torchBlocks.length
    ? {
        version: String(torch.ready.torch),
        threads: Number(torch.ready.threads),
        interop_threads: Number(torch.ready.interop_threads),
        mkldnn_available: torch.ready.mkldnn_available === true,
        mkldnn_enabled: torch.ready.mkldnn_enabled === true,
        environment: torch.ready.environment ?? {},
        samples_per_s: median(torchBlocks),
        blocks: torchBlocks,
      }
    : undefined;
  const summary = {
    benchmark: 'engine',
    machine: { ...machine, load_average_end: loadEnd },
    ratio_method: RATIO_METHOD,
    dataset,
    shape,
    model: 'simple-cnn',
    batch: 64,
    threads,
    seconds_per_block: seconds,
    rounds,
    step_mflops_per_sample: STEP_FLOPS_PER_SAMPLE / 1e6,
    machine_matmul_gflops: machineMatmul ?? Math.max(0, ...Object.values(figures).map((f) => f.matmul_gflops)),
    backends: figures,
    unavailable,
    pytorch: pytorch ?? { unavailable: torchUnavailable ?? 'disabled with --no-pytorch' },
    fastest_cpu_backend: fastestCpu?.[0] ?? null,
    fastest_cpu_ratio_vs_pytorch: fastestCpu?.[1].ratio_vs_pytorch ?? null,
    fastest_cpu_ratio_vs_pytorch_ci95: fastestCpu?.[1].ratio_vs_pytorch_ci95 ?? null,
    ...(Object.keys(references).length ? { variant_comparisons: variantComparisons } : {}),
  };
  if (flags.json) {
    process.stdout.write(`${JSON.stringify(summary, null, 2)}\n`);
    return;
  }
  process.stdout.write(`SimpleCNN on ${dataset}'s ${shape.join('x')} samples, batch 64\nmachine: ${describeMachine(machine, loadEnd)}\n${threads} threads, 1024x1024 matmul ${summary.machine_matmul_gflops.toFixed(1)} GFLOP/s${machineMatmul ? ' (PyTorch)' : ''}\n`);
  const tfFigure = figures.tensorflow ?? Object.entries(figures).find(([n]) => n.startsWith('tensorflow'))?.[1];
  if (tfFigure) {
    const env = Object.entries(tfFigure.environment).map(([k, v]) => `${k}=${v ?? 'unset'}`).join(' ');
    process.stdout.write(`tensorflow: libtensorflow ${tfFigure.versions.libtensorflow ?? '?'}, oneDNN custom ops ${tfFigure.onednn ?? '?'}; ${env}\n`);
  }
  if (pytorch) {
    process.stdout.write(`pytorch: ${pytorch.version}, ${pytorch.threads} intra-op / ${pytorch.interop_threads} inter-op threads, mkldnn ${pytorch.mkldnn_available ? (pytorch.mkldnn_enabled ? 'available and enabled' : 'available, disabled') : 'not available'}\n`);
  }
  process.stdout.write(`vs PyTorch: ${RATIO_METHOD}\n`);
  const rows = Object.entries(figures).map(([name, f]) => [
    name,
    f.device,
    String(f.batch),
    f.samples_per_s.toFixed(1),
    f.step_gflops.toFixed(2),
    f.matmul_gflops.toFixed(1),
    estimates[name] ? formatRatio(estimates[name], 2) : '-',
  ]);
  if (pytorch) rows.push(['pytorch', `torch ${pytorch.version}, ${pytorch.threads} threads`, '64', pytorch.samples_per_s.toFixed(1), ((pytorch.samples_per_s * STEP_FLOPS_PER_SAMPLE) / 1e9).toFixed(2), '-', 'reference']);
  printTable(['backend', 'device', 'batch', 'samples/s', 'step GFLOP/s', 'matmul GFLOP/s', 'vs PyTorch'], rows);
  for (const [name, vs, estimate] of variantEstimates) process.stdout.write(`${name} vs ${vs} (same rounds): ${formatRatio(estimate)}\n`);
  for (const [name, reason] of Object.entries(unavailable)) process.stdout.write(`${name}: unavailable (${reason})\n`);
  if (!pytorch) process.stdout.write(`pytorch: not measured (${torchUnavailable ?? 'disabled'})\n`);
}

export function printTable(header: string[], rows: string[][]): void {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i]!)).join('  ');
  process.stdout.write(`${line(header)}\n${widths.map((w) => '-'.repeat(w)).join('  ')}\n${rows.map(line).join('\n')}\n`);
}

interface ThreadSetting {
  intra: number;
  inter: number;
}

/** `--tf-threads` item INTRA/INTER, e.g. 2/1: positive integers. */
function threadSetting(item: string): ThreadSetting {
  const match = /^(\d+)\/(\d+)$/.exec(item.trim());
  const [intra, inter] = match ? [Number(match[1]), Number(match[2])] : [0, 0];
  if (!(intra > 0 && inter > 0)) throw new UsageError(`--tf-threads: '${item}' is not INTRA/INTER with two positive integers (e.g. 2/1)`);
  return { intra, inter };
}
