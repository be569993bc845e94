import { Kvm } from '@nats-io/kv';
import { execaNode } from 'execa';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startEmbeddedServer } from '../orchestrator/server/embedded.js';
import { ensureStores } from '../orchestrator/sweep/infrastructure.js';
import { planSweepFromText } from '../orchestrator/sweep/plan.js';
import type { ProgressView } from '../orchestrator/sweep/progress.js';
import { runSweep } from '../orchestrator/sweep/run.js';
import { connectNats } from '../shared/protocol/connect.js';
import { decodeJson, NodeRecordSchema, type NodeRecord } from '../shared/protocol/messages.js';
import { NODES_BUCKET } from '../shared/protocol/names.js';
import { benchArgs, numberFlag } from './args.js';
import { processCpuSeconds } from './process-cpu.js';

/**
 * `npm run bench -- scale [--workers 1000] [--cells 5000] [--procs 4] [--json]`: a fleet of
 * `--workers` real worker agents (WorkerAgent, as `grn worker` runs it: a NATS connection each,
 * a registry entry re-put every 3 s, metrics every second, pulling cells) spread over `--procs`
 * child processes, against one nats-server on loopback; an orchestrator (runSweep, as
 * `grn sweep run --server`) dispatches `--cells` no-op cells to them. Reports:
 *   - fleet start: time for every agent to connect and register;
 *   - registry load: entries, heartbeat puts/s (idle fleet, 10 s), time to list the registry the
 *     way `grn nodes` does (keys, then one get each);
 *   - dispatch: cells/s end to end (publish → claim → store → ack → collected → file written);
 *   - dashboard load: time for a fresh dashboard state store (the dashboard's feed, as
 *     `grn dashboard` opens it) to ingest the whole nodes registry and every cell of the sweep;
 *   - nats-server CPU seconds (over the idle window and the sweep) and RSS.
 * Bounded: every wait has a limit (--max-s, default 300 s overall).
 */
const quiet: ProgressView = { event: () => undefined, line: () => undefined, stop: () => undefined };
const WORKERS_JS = fileURLToPath(new URL('./scale-workers.js', import.meta.url));

async function rssMb(pid: number): Promise<number | null> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8').catch(() => '');
  const kb = /VmRSS:\s+(\d+) kB/.exec(status)?.[1];
  return kb ? Math.round(Number(kb) / 1024) : null;
}

const round = (x: number, d = 1) => Math.round(x * 10 ** d) / 10 ** d;

export async function run(args: string[]): Promise<void> {
  const flags = benchArgs(args, { workers: { type: 'string' }, cells: { type: 'string' }, procs: { type: 'string' }, 'max-s': { type: 'string' } });
  const workers = numberFlag(flags.workers, 'workers', 1000);
  const cells = numberFlag(flags.cells, 'cells', 5000);
  const procs = Math.min(workers, numberFlag(flags.procs, 'procs', 4));
  const deadline = Date.now() + numberFlag(flags['max-s'], 'max-s', 300) * 1000;
  const say = (line: string) => process.stderr.write(`${line}\n`);
  const dir = await mkdtemp(join(tmpdir(), 'grn-bench-scale-'));
  const server = await startEmbeddedServer({ dir: join(dir, '.nats') });
  const nc = await connectNats(server.url, { creds: server.orchestratorCreds }, 'bench scale');
  const children: Array<ReturnType<typeof execaNode>> = [];
  try {
    const stores = await ensureStores(nc);
    const cpu0 = processCpuSeconds(server.pid) ?? 0;

    // 1. The fleet.
    const t0 = performance.now();
    const per = Math.ceil(workers / procs);
    const readies: Array<Promise<{ ready: number; ms: number; errors: string[] }>> = [];
    for (let p = 0; p < procs; p++) {
      const n = Math.min(per, workers - p * per);
      if (n <= 0) break;
      const child = execaNode(WORKERS_JS, [server.url, server.workerCreds, String(n), `sim${p}`], { reject: false, stderr: 'inherit', buffer: false });
      children.push(child);
      readies.push(
        new Promise((resolve, reject) => {
          child.stdout!.once('data', (d: Buffer) => resolve(JSON.parse(String(d)) as { ready: number; ms: number; errors: string[] }));
          void child.then((r) => reject(new Error(`scale workers ${p} exited (${r.exitCode ?? r.signal})`)));
          setTimeout(() => reject(new Error('the fleet did not start in time')), Math.max(1000, deadline - Date.now())).unref();
        }),
      );
    }
    const ready = await Promise.all(readies);
    const fleetS = (performance.now() - t0) / 1000;
    say(`fleet: ${workers} agents in ${procs} processes registered in ${round(fleetS)} s`);
    const cpuFleet = processCpuSeconds(server.pid) ?? 0;

    // 2. Registry load over an idle window: heartbeat puts/s.
    const nodes = await new Kvm(nc).open(NODES_BUCKET);
    let puts = 0;
    const watch = await nodes.watch({ key: '>' });
    let counting = false;
    void (async () => {
      for await (const e of watch) if (counting && e.isUpdate && e.operation === 'PUT') puts++;
    })().catch(() => undefined);
    counting = true;
    const windowS = 10;
    const cpuIdle0 = processCpuSeconds(server.pid) ?? 0;
    await new Promise((resolve) => setTimeout(resolve, windowS * 1000)); // a measuring window, not a synchronisation
    counting = false;
    const idlePuts = puts;
    const cpuIdle = (processCpuSeconds(server.pid) ?? 0) - cpuIdle0;
    const tList = performance.now();
    const listed: NodeRecord[] = [];
    for await (const key of await stores.nodes.keys()) {
      const entry = await stores.nodes.get(key);
      if (entry?.operation === 'PUT') listed.push(decodeJson(NodeRecordSchema, entry.value, `node ${key}`));
    }
    const listS = (performance.now() - tList) / 1000;
    say(`registry: ${listed.length} entries, ${round(idlePuts / windowS)} puts/s idle, listing ${round(listS, 2)} s`);

    // 3. Dispatch.
    const spec = `name: scale\ngrid:\n  optimizer: [sgd]\n  dataset: [noop]\n  seed: [${Array.from({ length: cells }, (_, i) => i).join(', ')}]\n`;
    const plan = await planSweepFromText(spec, 'scale.yaml', { id: 'scale', maxCells: undefined });
    const cpuSweep0 = processCpuSeconds(server.pid) ?? 0;
    puts = 0;
    counting = true;
    const tSweep = performance.now();
    // Bounded: past the deadline the sweep is interrupted and the rate is what was done by then.
    const outcome = await runSweep(plan, {
      server: server.url,
      auth: { creds: server.orchestratorCreds },
      localWorkers: 0,
      resultsDir: join(dir, 'scale'),
      view: quiet,
      signal: AbortSignal.timeout(Math.max(10_000, deadline - Date.now() - 30_000)),
    });
    const sweepS = (performance.now() - tSweep) / 1000;
    counting = false;
    const sweepPuts = puts;
    const cpuSweep = (processCpuSeconds(server.pid) ?? 0) - cpuSweep0;
    const done = outcome.counts.done;
    say(`dispatch: ${done} of ${cells} no-op cells in ${round(sweepS, 2)} s = ${Math.round(done / sweepS)} cells/s on ${workers} workers${outcome.status === 'interrupted' ? ' (stopped at the time limit)' : ''}`);
    const serverRss = await rssMb(server.pid);
    watch.stop();

    // 4. Dashboard load: a fresh state store fed from the server, until it holds the fleet and every cell.
    const { DashboardStore } = await import('../orchestrator/dashboard/state/store.js');
    const { openBuckets, startFeed } = await import('../orchestrator/dashboard/state/feed.js');
    const dnc = await connectNats(server.url, { creds: server.orchestratorCreds }, 'bench scale dashboard');
    const store = new DashboardStore('scale');
    const tDash = performance.now();
    const feed = await startFeed(dnc, await openBuckets(dnc), store, 'scale');
    let nodesS: number | null = null;
    let dashS: number | null = null;
    for (;;) {
      const now = performance.now();
      if (nodesS === null && store.nodes().length >= workers) nodesS = (now - tDash) / 1000;
      if (store.counts().done >= done && nodesS !== null) {
        dashS = (now - tDash) / 1000;
        break;
      }
      if (Date.now() > deadline) break;
      await new Promise((resolve) => setTimeout(resolve, 20)); // sampling the store's progress
    }
    feed.stop();
    await dnc.close();
    say(`dashboard: ${store.nodes().length} nodes in ${nodesS === null ? '-' : round(nodesS, 2)} s, ${store.counts().done} cells + nodes in ${dashS === null ? '-' : round(dashS, 2)} s`);

    const figures = {
      workers,
      procs,
      cells,
      fleet_start_s: round(fleetS, 1),
      agent_start_ms: ready.map((r) => r.ms),
      // keys() while heartbeats land can name a key twice: entries are the distinct nodes.
      registry_entries: new Set(listed.map((n) => n.node)).size,
      registry_keys_listed: listed.length,
      registry_puts_per_s_idle: round(idlePuts / windowS, 1),
      registry_puts_per_s_sweep: round(sweepPuts / sweepS, 1),
      registry_list_s: round(listS, 3),
      cells_done: done,
      dispatch_complete: done === cells,
      dispatch_s: round(sweepS, 2),
      dispatch_cells_per_s: Math.round(done / sweepS),
      dashboard_nodes_s: nodesS === null ? null : round(nodesS, 3),
      dashboard_all_s: dashS === null ? null : round(dashS, 3),
      server_cpu_s_fleet_start: round(cpuFleet - cpu0, 2),
      server_cpu_pct_idle_fleet: round((cpuIdle / windowS) * 100, 1),
      server_cpu_ms_per_cell: round((cpuSweep * 1000) / Math.max(1, done), 3),
      server_rss_mb: serverRss,
    };
    if (flags.json) process.stdout.write(`${JSON.stringify(figures)}\n`);
    else for (const [k, v] of Object.entries(figures)) process.stdout.write(`${k.padEnd(28)} ${Array.isArray(v) ? v.join(', ') : String(v)}\n`);
  } finally {
    for (const c of children) c.kill('SIGTERM');
    await Promise.race([Promise.all(children), new Promise((resolve) => setTimeout(resolve, 15_000))]);
    for (const c of children) c.kill('SIGKILL');
    await nc.close().catch(() => undefined);
    await server.stop();
    await rm(dir, { recursive: true, force: true });
  }
}
