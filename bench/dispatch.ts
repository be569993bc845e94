import { Kvm } from '@nats-io/kv';
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { median } from 'simple-statistics';
import { connectNats } from '../shared/protocol/connect.js';
import { NODES_BUCKET } from '../shared/protocol/names.js';
import { TrialConfigSchema, type TrialConfigInput } from '../shared/trial.js';
import { startEmbeddedServer } from '../orchestrator/server/embedded.js';
import { ensureStores } from '../orchestrator/sweep/infrastructure.js';
import { startLocalWorkers } from '../orchestrator/sweep/local-workers.js';
import type { ProgressView } from '../orchestrator/sweep/progress.js';
import { runSweep, type PlannedSweep } from '../orchestrator/sweep/run.js';
import { benchArgs, numberFlag } from './args.js';
import { probeFileCreate } from './disk-probe.js';
import { CpuLedger } from './process-cpu.js';
import { pairedRatio, RATIO_METHOD, ratioJson } from './paired-ratio.js';

/**
 * `npm run bench -- dispatch`: the sweep machinery through a real nats-server (embedded, with
 * credentials) and real `grn worker` processes.
 *   1. no-op cells/s end to end (publish → claim → result stored → collected → file written);
 *   2. overhead on 1-second trials: wall time vs the ideal ceil(N/k)·1 s for N cells on k slots
 *      (the sleep trials run in the trainer processes, so the IPC hop is included);
 *   3. real short trainings on k = 1 and k = 2 CPU slots: speed-up vs one slot, over
 *      --train-rounds paired rounds (1 slot and 2 slots back to back, which goes first alternating),
 *      with its 95 % interval (paired-ratio.ts).
 * Workers are started and registered before each timing (a warm fleet), as in a long sweep; the
 * clock runs from the call that publishes the sweep to the return after its summary is written.
 */
const quiet: ProgressView = { event: () => undefined, line: () => undefined, stop: () => undefined };

function plan(id: string, n: number, trial: Partial<TrialConfigInput>): PlannedSweep {
  return {
    id,
    name: id,
    specYaml: `name: ${id}\n`,
    maxDeliver: 3,
    cells: Array.from({ length: n }, (_, i) => ({
      id: `c${i}`,
      label: 'sgd',
      optimizer: 'sgd',
      dataset: trial.dataset ?? 'noop',
      seed: i,
      trial: TrialConfigSchema.parse({ dataset: 'noop', optimizer: 'sgd', epochs: 1, seed: i, ...trial }),
    })),
  };
}

interface Fleet {
  url: string;
  orchestratorCreds: string;
  /** CPU use of the orchestrator (this process), each worker and nats-server. */
  cpu: CpuLedger;
  stop(): Promise<void>;
}

async function fleet(dir: string, workers: number, slots: number): Promise<Fleet> {
  const server = await startEmbeddedServer({ dir: join(dir, '.nats') });
  const nc = await connectNats(server.url, { creds: server.orchestratorCreds }, 'bench');
  await ensureStores(nc);
  const procs = await startLocalWorkers({ server: server.url, creds: server.workerCreds, count: workers, slots, logDir: join(dir, 'logs'), nodePrefix: 'bench' });
  const nodes = await new Kvm(nc).open(NODES_BUCKET);
  for (let waited = 0; ; waited += 100) {
    let count = 0;
    for await (const _ of await nodes.keys()) count++;
    if (count >= workers) break;
    if (waited > 60_000) throw new Error(`only ${count} of ${workers} workers registered within 60 s (see ${join(dir, 'logs')})`);
    await sleep(100);
  }
  await nc.close();
  return {
    url: server.url,
    orchestratorCreds: server.orchestratorCreds,
    cpu: new CpuLedger({ orchestrator: process.pid, 'nats-server': server.pid, ...Object.fromEntries(procs.pids().map((pid, i) => [`worker-${i + 1}`, pid])) }),
    async stop() {
      await procs.stop();
      await server.stop();
    },
  };
}

interface Timing {
  /** From the call to the return (summary written). */
  seconds: number;
  /** From the call until the first cell ran (publish, consumer, workers noticing). */
  firstStartS: number;
  /** From the last result to the return (status, consumer removal, summary). */
  windDownS: number;
  /** CPU milliseconds per cell, by process (trainer children not included). */
  cpuMsPerCell: Record<string, number | null>;
}

async function timeSweep(f: Fleet, p: PlannedSweep, dir: string): Promise<Timing> {
  const cpu0 = f.cpu.take();
  const t0 = performance.now();
  let first: number | undefined;
  let last = 0;
  const outcome = await runSweep(p, {
    server: f.url,
    auth: { creds: f.orchestratorCreds },
    localWorkers: 0,
    resultsDir: join(dir, p.id),
    view: quiet,
    onEvent: (e) => {
      if (e.type === 'cell' && e.state.status === 'running') first ??= performance.now();
      if (e.type === 'result') last = performance.now();
    },
  });
  const end = performance.now();
  if (outcome.counts.done !== p.cells.length) throw new Error(`${p.id}: ${outcome.counts.done}/${p.cells.length} cells done: ${JSON.stringify(outcome.failed.slice(0, 3))}`);
  return { seconds: (end - t0) / 1000, firstStartS: ((first ?? end) - t0) / 1000, windDownS: (end - last) / 1000, cpuMsPerCell: f.cpu.since(cpu0, p.cells.length) };
}

export async function run(args: string[]): Promise<void> {
  const flags = benchArgs(args, {
    cells: { type: 'string' },
    'noop-slots': { type: 'string' },
    'sleep-cells': { type: 'string' },
    'sleep-slots': { type: 'string' },
    'train-cells': { type: 'string' },
    'train-limit': { type: 'string' },
    'train-rounds': { type: 'string' },
    backend: { type: 'string' },
    skip: { type: 'string' },
    results: { type: 'string' },
  });
  const skip = new Set(String(flags.skip ?? '').split(',').filter(Boolean));
  const say = (s: string) => process.stderr.write(`${s}\n`);
  const dir = await mkdtemp(join(tmpdir(), 'grn-bench-dispatch-'));
  // Where the sweeps' results folders go (cells/<id>.json and the rest): by default beside the
  // nats-server store; `--results /dev/shm` shows what the file system costs.
  const results = flags.results ? await mkdtemp(join(String(flags.results), 'grn-bench-results-')) : dir;
  const summary: Record<string, unknown> = { workers: 2, results_parent: flags.results ?? tmpdir() };
  try {
    settleDisk();
    if (!skip.has('noop')) {
      const cells = Math.round(numberFlag(flags.cells, 'cells', 10_000));
      // A no-op cell needs no trainer process, so a slot is just a cell in flight: many per worker
      // keep the round trips of claim, store and ack overlapping.
      const slots = Math.round(numberFlag(flags['noop-slots'], 'noop-slots', 256));
      say(`no-op: ${cells} cells, 2 workers × ${slots} slots`);
      const f = await fleet(join(dir, 'noop'), 2, slots);
      try {
        await timeSweep(f, plan('warmup', 200, {}), results);
        const createUs = probeFileCreate(results);
        if (createUs > 100) say(`note: creating a file here takes ${Math.round(createUs)} µs (settled: 20–50 µs): many files were deleted near ${results} in the last minutes (an earlier run?), which slows this run's result files; rerun in a few minutes for a representative figure`);
        const t = await timeSweep(f, plan('noop', cells, {}), results);
        summary.noop = {
          cells,
          slots_per_worker: slots,
          seconds: round(t.seconds, 3),
          cells_per_s: Math.round(cells / t.seconds),
          target_cells_per_s: 2000,
          // The fixed costs around the stream of cells: publishing until the first cell runs, and
          // from the last result to the summary written (status, consumer, manifest, files).
          first_cell_started_ms: round(t.firstStartS * 1000, 0),
          wind_down_ms: round(t.windDownS * 1000, 0),
          // One result file written alone just before: whether the disk was settled (disk-probe.ts).
          file_create_us: round(createUs, 0),
          cpu_ms_per_cell: t.cpuMsPerCell,
        };
      } finally {
        await f.stop();
      }
    }
    // Each part leaves files and a JetStream store behind (the no-op part ~10,000 files): let the
    // kernel write them back before the next timing, or its writeback competes for the cores.
    settleDisk();
    if (!skip.has('sleep')) {
      const slots = Math.round(numberFlag(flags['sleep-slots'], 'sleep-slots', 2));
      const k = 2 * slots;
      const cells = Math.round(numberFlag(flags['sleep-cells'], 'sleep-cells', 20 * k));
      say(`1-second trials: ${cells} cells on 2 workers × ${slots} slots`);
      const f = await fleet(join(dir, 'sleep'), 2, slots);
      try {
        await timeSweep(f, plan('warm-trainers', k * 2, { dataset: 'sleep', durationMs: 10 }), results);
        const t = await timeSweep(f, plan('sleep', cells, { dataset: 'sleep', durationMs: 1000 }), results);
        const seconds = t.seconds;
        const ideal = Math.ceil(cells / k);
        const waves = ideal;
        summary.sleep = {
          cells,
          slots: k,
          trial_s: 1,
          seconds: round(seconds, 3),
          ideal_s: ideal,
          overhead_pct: round((seconds / ideal - 1) * 100, 2),
          // What each wave of k cells costs beyond its second (start-up and wind-down included).
          overhead_ms_per_wave: round(((seconds - ideal) / waves) * 1000, 1),
          // The same split into the sweep's start and end, and what remains per wave.
          first_cell_started_ms: round(t.firstStartS * 1000, 0),
          wind_down_ms: round(t.windDownS * 1000, 0),
          between_waves_ms: round(((seconds - t.firstStartS - t.windDownS - ideal) / waves) * 1000, 1),
          target_overhead_pct: 1,
        };
      } finally {
        await f.stop();
      }
    }
    settleDisk();
    if (!skip.has('train')) {
      const dataRoot = process.env.GRN_DATA_ROOT ?? resolve('../shared/datasets');
      const dataDir = join(dataRoot, 'mnist');
      if (!existsSync(dataDir)) throw new Error(`real trainings need MNIST under ${dataDir} (set GRN_DATA_ROOT), or pass --skip train`);
      const cells = Math.round(numberFlag(flags['train-cells'], 'train-cells', 6));
      const trainLimit = Math.round(numberFlag(flags['train-limit'], 'train-limit', 4000));
      const backend = (flags.backend as TrialConfigInput['backend']) ?? 'auto';
      const trial = { dataset: 'mnist', dataDir, epochs: 1, trainLimit, testLimit: 1000, backend };
      const trainRounds = Math.round(numberFlag(flags['train-rounds'], 'train-rounds', 3));
      const timings: Record<1 | 2, number[]> = { 1: [], 2: [] };
      for (let r = 0; r < trainRounds; r++) {
        // Alternating which goes first cancels a steady drift of the machine's speed.
        for (const slots of r % 2 === 0 ? ([1, 2] as const) : ([2, 1] as const)) {
          say(`real trainings, round ${r + 1}/${trainRounds}: ${cells} SimpleCNN cells (${trainLimit} samples) on 1 worker × ${slots} CPU slot(s), backend ${backend}`);
          const f = await fleet(join(dir, `train${slots}-${r}`), 1, slots);
          try {
            await timeSweep(f, plan(`warm${slots}-${r}`, slots, { ...trial, trainLimit: 64, testLimit: 64 }), results);
            timings[slots].push((await timeSweep(f, plan(`train${slots}-${r}`, cells, trial), results)).seconds);
          } finally {
            await f.stop();
          }
        }
      }
      // The speed-up of 2 slots: 1-slot seconds over 2-slot seconds, round by round.
      const speedup = ratioJson(pairedRatio(timings[1], timings[2]));
      summary.train = {
        cells,
        train_limit: trainLimit,
        backend,
        rounds: trainRounds,
        seconds_1_slot: round(median(timings[1]), 2),
        seconds_2_slots: round(median(timings[2]), 2),
        seconds_per_round: { 1: timings[1].map((t) => round(t, 2)), 2: timings[2].map((t) => round(t, 2)) },
        speedup_2_vs_1: speedup.ratio,
        speedup_2_vs_1_ci95: speedup.ci95,
        ratio_method: RATIO_METHOD,
      };
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
    await rm(results, { recursive: true, force: true });
    // The deletions' writeback is done here rather than during the next run. (They still slow
    // file creation near this folder for ~6 minutes; see disk-probe.ts.)
    settleDisk();
  }
  if (flags.json) {
    process.stdout.write(`${JSON.stringify(summary, null, 2)}\n`);
    return;
  }
  const out = (s: string) => process.stdout.write(`${s}\n`);
  const noop = summary.noop as { cells_per_s: number; cells: number; seconds: number; file_create_us: number } | undefined;
  if (noop) out(`no-op cells end to end:   ${noop.cells_per_s} cells/s (${noop.cells} in ${noop.seconds} s; target ≥ 2000; one result file alone: ${noop.file_create_us} µs)`);
  const s = summary.sleep as { overhead_pct: number; seconds: number; ideal_s: number; cells: number; slots: number } | undefined;
  if (s) out(`1-second trials overhead: ${s.overhead_pct} % (${s.cells} cells on ${s.slots} slots: ${s.seconds} s vs ideal ${s.ideal_s} s; target ≤ 1 %)`);
  const t = summary.train as { speedup_2_vs_1: number; speedup_2_vs_1_ci95: [number, number] | null; rounds: number; seconds_1_slot: number; seconds_2_slots: number } | undefined;
  if (t) {
    const interval = t.speedup_2_vs_1_ci95 ? ` [${t.speedup_2_vs_1_ci95.join(', ')}]` : ' (1 round: no interval)';
    out(`real trainings, 2 slots vs 1: ${t.speedup_2_vs_1}×${interval} over ${t.rounds} paired rounds (medians ${t.seconds_1_slot} s vs ${t.seconds_2_slots} s; ${RATIO_METHOD})`);
  }
}

function settleDisk(): void {
  try {
    execFileSync('sync', { stdio: 'ignore', timeout: 60_000 });
  } catch {
    // no sync(1) here (Windows): the timings may include some writeback
  }
}

function round(x: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}
