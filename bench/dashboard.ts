import { EventEmitter } from 'node:events';
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { quantile } from 'simple-statistics';
import type { CellState } from '../shared/protocol/messages.js';
import type { DashboardStore as Store } from '../orchestrator/dashboard/state/store.js';
import { benchArgs, numberFlag } from './args.js';

/**
 * `npm run bench -- dashboard`: is the dashboard responsive with a 10,000-cell sweep and 16 GPUs
 * streaming telemetry? No NATS: a synthetic producer feeds the store at a fleet's rates (per
 * trial ≤ 4 telemetry records/s, per GPU one metrics record/s, cells finishing and starting),
 * then
 *   1. frame time: after each 100-ms batch of updates, one whole frame is rendered to a string
 *      (React render of every panel + Yoga layout + output; a fresh mount each time, so an upper
 *      bound of what an update costs), N frames, p50 / p95 / max;
 *   2. live: the real Ink renderer into a simulated TTY with the dashboard's throttle, for some
 *      seconds of the same stream: frames written per second (≤ 10 by design), Ink's own render
 *      time per frame, and the event loop's delay (what a key press waits for, at worst).
 * Target: ≤ 100 ms per frame.
 */

const LABELS = 100;
const DATASETS = 10;
const SEEDS = 10;
const NODES = 2;
const GPUS_PER_NODE = 8;

type Producer = { batch(ms: number): number; store: Store };

async function syntheticSweep(): Promise<Producer> {
  const { DashboardStore } = await import('../orchestrator/dashboard/state/store.js');
  const { nodeRecord, sweepRecord } = await import('../orchestrator/dashboard/test-fixtures.js');
  const store = new DashboardStore('sw');
  const cells: Array<{ id: string; label: string; optimizer: string; dataset: string; seed: number }> = [];
  for (let l = 0; l < LABELS; l++) {
    const optimizer = ['sgd', 'adam', 'adamw', 'rmsprop', 'enhanced-sgd'][l % 5]!;
    const label = `${optimizer}[lr=${(0.001 * (1 + Math.floor(l / 5))).toFixed(3)}]`;
    for (let d = 0; d < DATASETS; d++) for (let s = 1; s <= SEEDS; s++) cells.push({ id: `c${l}-${d}-${s}`, label, optimizer, dataset: `data${d}`, seed: s });
  }
  store.setPlan(cells);
  store.applySweep(sweepRecord('running', cells.length));
  store.setConnection('connected', 'nats://127.0.0.1:4222');
  const now = () => new Date().toISOString();
  // A third done, a few failed, one running per GPU, the rest queued.
  let next = 0;
  for (; next < cells.length / 3; next++) {
    const c = cells[next]!;
    const failed = next % 97 === 0;
    store.applyCell({ sweep: 'sw', cell: c.id, status: failed ? 'failed' : 'done', attempt: failed ? 3 : 1, error: failed ? 'synthetic failure' : undefined, final_score: failed ? undefined : 0.9 + 0.05 * Math.sin(next), updated_at: now() });
  }
  const slots: Array<{ node: string; slot: string; gpu: number; cell: string }> = [];
  for (let n = 0; n < NODES; n++) {
    const node = `gpu-node-${n + 1}`;
    const gpuSlots = Array.from({ length: GPUS_PER_NODE }, (_, g) => ({ slot: `gpu${g}`, device: g }));
    store.applyNode(node, nodeRecord(node, gpuSlots));
    for (let g = 0; g < GPUS_PER_NODE; g++) slots.push({ node, slot: `gpu${g}`, gpu: g, cell: '' });
  }
  const start = (s: (typeof slots)[number]) => {
    const c = cells[next++ % cells.length]!;
    s.cell = c.id;
    const state: CellState = { sweep: 'sw', cell: c.id, status: 'running', attempt: 1, node: s.node, slot: s.slot, updated_at: now() };
    store.applyCell(state);
  };
  // Cell (0,0)'s first seed runs too, so the trial panel has a live trial to draw.
  slots[0]!.cell = cells[0]!.id;
  store.applyCell({ sweep: 'sw', cell: cells[0]!.id, status: 'running', attempt: 2, node: slots[0]!.node, slot: 'gpu0', updated_at: now() });
  for (const s of slots.slice(1)) start(s);

  let step = 0;
  let carry = { telemetry: 0, gpu: 0, cells: 0 };
  return {
    store,
    /** Feeds `ms` worth of a fleet's traffic; returns the number of updates applied. */
    batch(ms: number) {
      // Rates per second: 16 trials × 4 telemetry, 16 GPUs × 1 metrics + 2 hosts, 20 cells finishing.
      carry = { telemetry: carry.telemetry + (slots.length * 4 * ms) / 1000, gpu: carry.gpu + (slots.length * ms) / 1000, cells: carry.cells + (20 * ms) / 1000 };
      let updates = 0;
      for (; carry.telemetry >= 1; carry.telemetry--, updates++) {
        const s = slots[step % slots.length]!;
        step++;
        store.applyTelemetry({
          sweep: 'sw',
          cell: s.cell,
          node: s.node,
          slot: s.slot,
          at: now(),
          kind: 'step',
          record: { epoch: 1, epochs: 2, batch: step % 938, batches: 938, loss: 2 / (1 + step / 50) + 0.05 * Math.random(), lr: 0.01 * (1 + 0.1 * Math.sin(step / 9)), momentum: 0.9, grad_var: Math.random(), entropy: 3 + Math.random(), epsilon: 0.05, mix_prob: 0.3, action: 'lr×1.05', samples_per_s: 2400 + Math.round(100 * Math.random()) },
        });
      }
      for (; carry.gpu >= 1; carry.gpu--, updates++) {
        const s = slots[step++ % slots.length]!;
        store.applyGpuMetrics({ node: s.node, gpu: s.gpu, name: 'NVIDIA H100 80GB HBM3', utilisation_pct: 80 + 20 * Math.random(), vram_used_mb: 40_000 + 1000 * Math.random(), vram_total_mb: 81_559, temperature_c: 60 + 10 * Math.random(), power_w: 300 + 50 * Math.random(), at: now() });
      }
      for (; carry.cells >= 1; carry.cells--, updates += 2) {
        const s = slots[1 + (step++ % (slots.length - 1))]!;
        store.applyCell({ ...store.cellState(s.cell)!, status: 'done', final_score: 0.9 + 0.05 * Math.random(), updated_at: now() });
        start(s);
      }
      return updates;
    },
  };
}

function summary(values: number[]) {
  const round = (x: number) => Math.round(x * 100) / 100;
  return { p50: round(quantile(values, 0.5)), p95: round(quantile(values, 0.95)), max: round(Math.max(...values)) };
}

/** A stdout that Ink takes for a terminal: counts the frames written. */
class FakeTty extends EventEmitter {
  readonly isTTY = true;
  writes = 0;
  constructor(
    readonly columns: number,
    readonly rows: number,
  ) {
    super();
  }
  write(_chunk: string): boolean {
    this.writes++;
    return true;
  }
}

class FakeStdin extends EventEmitter {
  readonly isTTY = true;
  setRawMode() {}
  setEncoding() {}
  resume() {}
  pause() {}
  ref() {}
  unref() {}
  read() {
    return null;
  }
}

export async function run(args: string[]): Promise<void> {
  const flags = benchArgs(args, { frames: { type: 'string' }, seconds: { type: 'string' }, columns: { type: 'string' }, rows: { type: 'string' } });
  const frames = numberFlag(flags.frames, 'frames', 100);
  const seconds = numberFlag(flags.seconds, 'seconds', 5);
  const columns = numberFlag(flags.columns, 'columns', 160);
  const rows = numberFlag(flags.rows, 'rows', 50);
  // Ink prints only the last frame when it thinks it runs in CI; this measures a terminal. React's
  // production build, as `grn dashboard` loads it (both are read when React is first imported).
  delete process.env.CI;
  delete process.env.CONTINUOUS_INTEGRATION;
  process.env.NODE_ENV ??= 'production';
  const { createElement } = await import('react');
  const { render, renderToString } = await import('ink');
  const { Dashboard } = await import('../orchestrator/dashboard/app.js');
  const { MAX_FPS, INK_MAX_FPS, frameProbe } = await import('../orchestrator/dashboard/hooks/use-store-frame.js');

  const producer = await syntheticSweep();
  const control = { setStatus: async () => undefined, retry: async () => 0 };
  const element = (size: { columns: number; rows: number }) => createElement(Dashboard, { store: producer.store, control, onExit: () => undefined, reattach: 'grn dashboard --sweep sw', size });

  // 1. Frame time, rendered to a string after each 100 ms of traffic.
  const times: Record<string, number[]> = { wide: [], small: [] };
  for (const [name, size] of [['wide', { columns, rows }], ['small', { columns: 80, rows: 24 }]] as const) {
    renderToString(element(size), { columns: size.columns }); // warm-up
    for (let i = 0; i < frames; i++) {
      producer.batch(100);
      const t0 = performance.now();
      const text = renderToString(element(size), { columns: size.columns });
      times[name]!.push(performance.now() - t0);
      if (i === 0 && !text.includes('Grid')) throw new Error(`the frame did not render the grid:\n${text}`);
    }
  }

  // 2. Live, through Ink's renderer with the dashboard's throttle, traffic every 10 ms. A frame
  //    is timed from the throttle's tick (store changes handed to React) to the end of Ink's
  //    output: React render and commit, layout, the string written.
  const stdout = new FakeTty(columns, rows);
  const inkTimes: number[] = [];
  const frameTimes: number[] = [];
  let frameStart: number | null = null;
  frameProbe.onFrame = () => (frameStart = performance.now());
  const ink = render(element({ columns, rows }), {
    stdout: stdout as unknown as NodeJS.WriteStream,
    stdin: new FakeStdin() as unknown as NodeJS.ReadStream,
    exitOnCtrlC: false,
    patchConsole: false,
    maxFps: INK_MAX_FPS,
    onRender: ({ renderTime }) => {
      inkTimes.push(renderTime);
      if (frameStart !== null) frameTimes.push(performance.now() - frameStart);
      frameStart = null;
    },
  });
  await sleep(300);
  const loop = monitorEventLoopDelay({ resolution: 5 });
  const writesBefore = stdout.writes;
  const rendersBefore = inkTimes.length;
  const framesBefore = frameTimes.length;
  loop.enable();
  let updates = 0;
  const started = performance.now();
  // Traffic by the clock: a batch covers the time since the last one, however long a frame took.
  for (let last = started; performance.now() - started < seconds * 1000; ) {
    await sleep(10);
    const now = performance.now();
    updates += producer.batch(now - last);
    last = now;
  }
  const elapsed = (performance.now() - started) / 1000;
  loop.disable();
  const liveFrames = inkTimes.length - rendersBefore;
  const live = {
    seconds: Math.round(elapsed * 10) / 10,
    updates_per_s: Math.round(updates / elapsed),
    frames_per_s: Math.round((liveFrames / elapsed) * 10) / 10,
    writes_per_s: Math.round(((stdout.writes - writesBefore) / elapsed) * 10) / 10,
    frame_ms: summary(frameTimes.slice(framesBefore)),
    ink_render_ms: summary(inkTimes.slice(rendersBefore)),
    event_loop_delay_ms: { p50: Math.round(loop.percentile(50) / 1e4) / 100, p99: Math.round(loop.percentile(99) / 1e4) / 100, max: Math.round(loop.max / 1e4) / 100 },
  };
  ink.unmount();

  const result = {
    react: process.env.NODE_ENV,
    cells: producer.store.cells.length,
    gpus: NODES * GPUS_PER_NODE,
    frames,
    [`frame_ms_${columns}x${rows}`]: summary(times.wide!),
    frame_ms_80x24: summary(times.small!),
    target_frame_ms: 100,
    live,
  };
  if (flags.json) {
    process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
    return;
  }
  const f = (s: { p50: number; p95: number; max: number }) => `p50 ${s.p50} ms, p95 ${s.p95} ms, max ${s.max} ms`;
  process.stdout.write(
    [
      `dashboard: ${result.cells} cells, ${result.gpus} GPUs streaming (${live.updates_per_s} store updates/s)`,
      `frame (render to string, fresh mount), ${columns}×${rows}: ${f(summary(times.wide!))}`,
      `frame (render to string, fresh mount), 80×24: ${f(summary(times.small!))}`,
      `live Ink renderer, ${live.seconds} s: ${live.frames_per_s} frames/s (throttle ${MAX_FPS}/s); frame (update) ${f(live.frame_ms)}; of which Ink output ${f(live.ink_render_ms)}`,
      `event loop delay while streaming: p50 ${live.event_loop_delay_ms.p50} ms, p99 ${live.event_loop_delay_ms.p99} ms, max ${live.event_loop_delay_ms.max} ms`,
      `target ≤ 100 ms per frame: ${Math.max(summary(times.wide!).p95, summary(times.small!).p95, live.frame_ms.p95) <= 100 ? 'met' : 'NOT met'} (p95)`,
      '',
    ].join('\n'),
  );
}
