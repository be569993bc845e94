import { cpus } from 'node:os';
import { fileURLToPath } from 'node:url';
import { median } from 'simple-statistics';
import { loadBackends, safeProbe } from '../worker/engine/backends/index.js';
import { benchArgs, numberFlag } from './args.js';
import { printTable } from './engine.js';
import { alternateBlocks, LineWorker } from './line-worker.js';
import { describeMachine, loadAverage, machineRecord } from './machine.js';
import { formatRatio, RATIO_METHOD, ratioJson, ratioOfRounds, type RatioEstimate } from './paired-ratio.js';

/**
 * `npm run bench -- text-models`: training samples/s of each text model (embedding-bag,
 * transformer, bert at its random size) at batch 16, length 128 (the original's text settings),
 * vocabulary 30,522 (bert-base-uncased's) and 4 classes (AG_NEWS), on every available backend,
 * beside PyTorch CPU with the same threads running the same models (bench/pytorch/text_models.py;
 * bert through transformers). As `bench -- engine`: one process per backend and model, blocks
 * alternating with PyTorch's, each ratio from the per-round ratios with its 95 % interval
 * (paired-ratio.ts). A backend whose first
 * timed step (after an untimed one) takes over SLOW_MS gets that one figure only; the pure-JS cpu
 * backend runs embedding-bag only unless --backends names it.
 */
const MODELS = ['embedding-bag', 'transformer', 'bert'] as const;
const SLOW_MS = 3000;

interface Figure {
  device: string;
  samples_per_s: number;
  blocks: number[];
  /** Geometric mean of the per-round ratios; a too-slow backend's single step against PyTorch's median is unpaired (no interval). */
  ratio_vs_pytorch?: number;
  ratio_vs_pytorch_ci95?: [number, number] | null;
  ratio_vs_pytorch_per_round?: number[];
  note?: string;
}

export async function run(args: string[]): Promise<void> {
  const flags = benchArgs(args, {
    seconds: { type: 'string' },
    rounds: { type: 'string' },
    backends: { type: 'string' },
    models: { type: 'string' },
    batch: { type: 'string' },
    length: { type: 'string' },
    'torch-threads': { type: 'string' },
    'no-pytorch': { type: 'boolean', default: false },
  });
  const seconds = numberFlag(flags.seconds, 'seconds', 3);
  const rounds = Math.round(numberFlag(flags.rounds, 'rounds', 3));
  const batch = Math.round(numberFlag(flags.batch, 'batch', 16));
  const length = Math.round(numberFlag(flags.length, 'length', 128));
  const vocab = 30_522;
  const classes = 4;
  const wantedBackends = typeof flags.backends === 'string' ? flags.backends.split(',') : null;
  const models = typeof flags.models === 'string' ? flags.models.split(',') : [...MODELS];
  for (const m of models) if (!(MODELS as readonly string[]).includes(m)) throw new Error(`--models: unknown text model '${m}' (known: ${MODELS.join(', ')})`);
  const log = (m: string) => process.stderr.write(`${m}\n`);
  const threads = cpus().length;
  // PyTorch's intra-op threads (default: the cores, as tensorflow uses). On a machine other work
  // keeps busy, torch's OpenMP threads wait on each other: 2 threads ran the transformer at ~5
  // samples/s where 1 thread ran it at ~35, so busy machines are measured with 1 as well.
  const torchThreads = Math.round(numberFlag(flags['torch-threads'], 'torch-threads', threads));
  const workerScript = fileURLToPath(new URL('./text-models-worker.js', import.meta.url));
  const torchScript = fileURLToPath(new URL('../../bench/pytorch/text_models.py', import.meta.url));
  const shape = [String(batch), String(length), String(vocab), String(classes)];

  const machine = machineRecord();
  const estimates = new Map<Figure, RatioEstimate>();
  const backends = [];
  const unavailable: Record<string, string> = {};
  for (const backend of await loadBackends()) {
    if (wantedBackends && !wantedBackends.includes(backend.name)) continue;
    const availability = await safeProbe(backend);
    if (availability.ok) backends.push(backend.name);
    else unavailable[backend.name] = availability.reason;
  }

  const results: Record<string, { backends: Record<string, Figure>; pytorch: { samples_per_s: number; blocks: number[]; torch: string; threads: number } | { unavailable: string } }> = {};
  for (const model of models) {
    const workers = new Map<string, LineWorker>();
    const figures: Record<string, Figure> = {};
    let torch: LineWorker | null = null;
    let torchUnavailable = flags['no-pytorch'] ? 'disabled with --no-pytorch' : '';
    const torchBlocks: number[] = [];
    const ratios: Record<string, number[]> = {};
    try {
      for (const name of backends) {
        if (name === 'cpu' && model !== 'embedding-bag' && !wantedBackends?.includes('cpu')) {
          figures[name] = { device: 'CPU (JavaScript)', samples_per_s: Number.NaN, blocks: [], note: 'not run: the pure-JS backend takes minutes per step here (--backends cpu runs it)' };
          continue;
        }
        log(`${model} on ${name}: starting`);
        const worker = await LineWorker.start(process.execPath, [workerScript, name, model, ...shape]);
        if (!(worker instanceof LineWorker)) {
          figures[name] = { device: '-', samples_per_s: Number.NaN, blocks: [], note: `unavailable: ${worker.unavailable}` };
          continue;
        }
        figures[name] = { device: String(worker.ready.device), samples_per_s: 0, blocks: [] };
        // One timed step after the warm-up one says whether blocks are affordable.
        const one = (await worker.ask('run 0')).samples_per_s!;
        if ((batch / one) * 1000 > SLOW_MS) {
          // Too slow to alternate blocks with: that one step is its figure.
          figures[name]!.blocks.push(one);
          figures[name]!.note = `one step (${Math.round(batch / one * 1000)} ms): too slow for blocks`;
          await worker.stop();
          log(`${model} on ${name}: ${one.toFixed(2)} samples/s (one step)`);
          continue;
        }
        workers.set(name, worker);
      }
      if (!flags['no-pytorch']) {
        const started = await LineWorker.start(process.env.GRN_PYTHON ?? 'python3', [torchScript, model, String(torchThreads), ...shape]);
        if (started instanceof LineWorker) torch = started;
        else torchUnavailable = started.unavailable;
      }
      const alternated = await alternateBlocks(torch, workers, rounds, seconds, (round, name, block, torchBlock) =>
        log(`${model} round ${round + 1}/${rounds} ${name}: ${block.toFixed(1)} samples/s${torchBlock ? `, pytorch ${torchBlock.toFixed(1)}` : ''}`),
      );
      torchBlocks.push(...alternated.torch);
      Object.assign(ratios, alternated.ratios);
      for (const [name, blocks] of Object.entries(alternated.blocks)) figures[name]!.blocks.push(...blocks);
    } finally {
      for (const worker of workers.values()) await worker.stop().catch(() => undefined);
      if (torch) await torch.stop().catch(() => undefined);
    }
    for (const [name, f] of Object.entries(figures)) {
      if (f.blocks.length) f.samples_per_s = median(f.blocks);
      const estimate = ratios[name] ? ratioOfRounds(ratios[name]!) : torchBlocks.length && f.blocks.length ? ratioOfRounds([f.samples_per_s / median(torchBlocks)]) : undefined;
      if (estimate) {
        const r = ratioJson(estimate);
        estimates.set(f, estimate);
        f.ratio_vs_pytorch = r.ratio;
        f.ratio_vs_pytorch_ci95 = r.ci95;
        f.ratio_vs_pytorch_per_round = r.per_round;
      }
    }
    results[model] = {
      backends: figures,
      pytorch: torch && torchBlocks.length
        ? { samples_per_s: median(torchBlocks), blocks: torchBlocks, torch: String(torch.ready.torch), threads: Number(torch.ready.threads) }
        : { unavailable: torchUnavailable || 'no blocks measured' },
    };
  }

  const summary = { benchmark: 'text-models', machine: { ...machine, load_average_end: loadAverage() }, ratio_method: RATIO_METHOD, batch, length, vocab, classes, threads, torch_threads: torchThreads, seconds_per_block: seconds, rounds, optimizer: 'sgd', models: results, unavailable };
  if (flags.json) {
    process.stdout.write(`${JSON.stringify(summary, null, 2)}\n`);
    return;
  }
  const rows: string[][] = [];
  for (const [model, r] of Object.entries(results)) {
    for (const [name, f] of Object.entries(r.backends)) {
      const estimate = estimates.get(f);
      rows.push([model, name, f.device, f.samples_per_s.toFixed(1), estimate ? formatRatio(estimate, 2) : '-', f.note ?? '']);
    }
    if ('samples_per_s' in r.pytorch) rows.push([model, 'pytorch', `torch ${r.pytorch.torch}, ${r.pytorch.threads} threads`, r.pytorch.samples_per_s.toFixed(1), 'reference', '']);
    else rows.push([model, 'pytorch', '-', '-', '-', r.pytorch.unavailable]);
  }
  process.stdout.write(`text models, batch ${batch}, length ${length}, vocabulary ${vocab}, ${classes} classes, SGD train step, ${threads} threads\nmachine: ${describeMachine(machine, summary.machine.load_average_end)}\nvs PyTorch: ${RATIO_METHOD}\n`);
  printTable(['model', 'backend', 'device', 'samples/s', 'vs PyTorch', 'note'], rows);
  for (const [name, reason] of Object.entries(unavailable)) process.stdout.write(`${name}: unavailable (${reason})\n`);
}
