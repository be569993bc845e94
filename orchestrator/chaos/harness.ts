import { execaNode } from 'execa';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { writeMnistFixture } from '../../test/helpers/mnist-fixture.js';
import { SweepObserver } from './observer.js';
import { isRunning, killLeftovers, signalOurs } from './procs.js';
import { choose, planFaults, type FaultKind, type PlannedFault } from './schedule.js';
import { recordResultFiles, verifySweep, type CellVerdict, type ChaosCounters } from './verify.js';

const GRN = fileURLToPath(new URL('../../../bin/grn.js', import.meta.url));

export interface ChaosOptions {
  readonly cells: number;
  readonly kills: number;
  readonly seed: number;
  /** Local worker processes (one CPU slot each). */
  readonly workers: number;
  /** The consumers' ack wait for this sweep (GRN_ACK_WAIT_MS), so a stopped worker's lease lapses soon. */
  readonly ackWaitMs: number;
  /** Deliveries per cell (the spec's max_deliver). */
  readonly maxDeliver: number;
  /** The trials' `checkpoint_every` (0: none, to measure what checkpoints save). */
  readonly checkpointEvery: number;
  /** Give up (kill everything, count what is missing as lost) after this long. */
  readonly timeoutMs: number;
  /** Keep the run's folder (results, logs) instead of deleting it. */
  readonly keep?: boolean;
  readonly log?: (line: string) => void;
}

export const DEFAULT_OPTIONS = { cells: 200, kills: 20, seed: 1, workers: 3, ackWaitMs: 4000, maxDeliver: 5, checkpointEvery: 4 } as const;

export interface FaultRecord {
  readonly index: number;
  readonly kind: FaultKind;
  readonly afterResults: number;
  /** Results stored when it fired (≥ afterResults: faults fire one at a time). */
  firedAt: number | null;
  target: string;
  outcome: string;
}

export interface ChaosReport {
  readonly counters: ChaosCounters;
  readonly faults: FaultRecord[];
  readonly cells: CellVerdict[];
  readonly seconds: number;
  /** How each orchestrator process ended, in order: its exit code, or the signal (SIGKILL: the suite's). */
  readonly exits: Array<number | string>;
  /** Orchestrator runs that ended without writing the manifest (an uncaught error), with their last lines. */
  readonly crashes: Array<{ run: number; exit: number | string; tail: string }>;
  readonly timedOut: boolean;
  readonly dir: string | null;
}

/**
 * The sweep spec: `cells` seeds of SGD on the fixture, an MLP, 32 steps each (2 epochs of 256
 * samples, batch 16), a checkpoint every `checkpointEvery` steps (4 by default), so a killed
 * attempt's successor resumes and the wasted steps can be held to that interval.
 */
function specText(cells: number, dataDir: string, maxDeliver: number, checkpointEvery: number): string {
  return [
    'name: chaos',
    'grid:',
    '  optimizer: [sgd]',
    `  dataset: [{name: digits, kind: idx, path: ${JSON.stringify(dataDir)}}]`,
    `  seed: [${Array.from({ length: cells }, (_, i) => i + 1).join(', ')}]`,
    'train:',
    '  epochs: 2',
    '  batch_size: 16',
    '  train_limit: 256',
    `  checkpoint_every: ${checkpointEvery}`,
    '  test_limit: 32',
    '  model: mlp',
    '  backend: cpu',
    `max_deliver: ${maxDeliver}`,
    '',
  ].join('\n');
}

type ServerInfo = { url: string; pid: number; orchestratorCreds: string };

/**
 * Runs a real sweep through the real `grn` CLI (its embedded nats-server and local `grn worker`
 * processes, each with a trainer child) and hits it with the planned faults, one at a time, as
 * the results come in; then judges every cell (verify.ts).
 */
export async function runChaos(options: ChaosOptions): Promise<ChaosReport> {
  const log = options.log ?? (() => undefined);
  const started = Date.now();
  const deadline = started + options.timeoutMs;
  // The run's folder is the marker: every process the suite may signal names it (or descends from one that does).
  const dir = await mkdtemp(join(tmpdir(), 'grn-chaos-'));
  const dataDir = await writeMnistFixture({ train: 256, test: 32 });
  const id = `chaos-s${options.seed}`;
  const spec = join(dir, 'chaos.yaml');
  await writeFile(spec, specText(options.cells, dataDir, options.maxDeliver, options.checkpointEvery));
  const results = join(dir, 'results');
  const sweepDir = join(results, id);
  const serverFile = join(sweepDir, '.nats', 'server.json');
  const env = { ...process.env, GRN_ACK_WAIT_MS: String(options.ackWaitMs) };
  const workerArgs = ['--results', results, '--local-workers', String(options.workers), '--slots', '1'];

  const planned = await execaNode(GRN, ['sweep', 'plan', spec, '--json'], { env, reject: false });
  if (planned.exitCode !== 0) throw new Error(`chaos: grn sweep plan failed: ${planned.stderr}`);
  const cellIds = (JSON.parse(planned.stdout) as { cells: Array<{ id: string }> }).cells.map((c) => c.id);

  const observer = new SweepObserver(id);
  const firstSeen = new Map<string, string>();
  const exits: Array<number | string> = [];
  const crashes: Array<{ run: number; exit: number | string; tail: string }> = [];
  let runs = 0;
  const start = (args: string[]) => {
    runs++;
    const logFile = join(dir, `orchestrator-${runs}.log`);
    const child = execaNode(GRN, [...args, ...workerArgs], { env, reject: false, stdout: { file: logFile, append: true }, stderr: { file: logFile, append: true } });
    const exited = child.then((r) => {
      const how = r.signal ?? r.exitCode ?? '?';
      exits.push(how);
      log(`orchestrator ${runs} (pid ${child.pid}) ended: ${how}`);
      return how;
    });
    return { child, exited, ended: false as boolean, startedAt: Date.now() };
  };

  /** Waits for the sweep's embedded server (a new one when `previousPid` is given) and follows it. */
  const attach = async (previousPid: number | null): Promise<ServerInfo> => {
    for (;;) {
      const info = await readFile(serverFile, 'utf8')
        .then((t) => JSON.parse(t) as ServerInfo)
        .catch(() => null);
      if (info && info.pid !== previousPid && isRunning(info.pid)) {
        await observer.attach(info, deadline);
        return info;
      }
      if (Date.now() > deadline) throw new Error('chaos: the sweep’s embedded server did not come up');
      await new Promise((resolve) => setTimeout(resolve, 100)); // waiting for another process's file
    }
  };

  const faults: FaultRecord[] = planFaults(options).map((f) => ({ ...f, firedAt: null, target: '', outcome: 'not fired (the sweep ended first)' }));
  const plannedFaults = planFaults(options);
  let orchestrator = start(['sweep', 'run', spec, '--id', id]);
  void orchestrator.exited.then(() => (orchestrator.ended = true));
  let server = await attach(null);
  let timedOut = false;

  /** Waits (bounded) for something to change on the server, or the orchestrator to end. */
  const settle = (ms: number) => Promise.race([observer.changed(ms), orchestrator.exited.then(() => undefined)]);

  const candidatesUntil = async <T>(find: () => T[], what: string): Promise<T[]> => {
    for (const until = Date.now() + 30_000; Date.now() < until && !orchestrator.ended; await settle(1000)) {
      const found = find();
      if (found.length) return found;
    }
    log(`no ${what} to hit`);
    return [];
  };

  const workersOf = () => [...observer.nodes.values()].filter((n) => isRunning(n.pid)).sort((a, b) => a.node.localeCompare(b.node));

  const fire = async (plan: PlannedFault, record: FaultRecord): Promise<void> => {
    record.firedAt = observer.resultCount;
    const marker = dir;
    switch (plan.kind) {
      case 'kill-trainer': {
        const all = await candidatesUntil(
          () => workersOf().flatMap((n) => n.slots.filter((s) => s.trainer_pid !== null && isRunning(s.trainer_pid)).map((s) => ({ node: n.node, slot: s.slot, pid: s.trainer_pid!, cell: s.cell }))),
          'trainer',
        );
        const busy = all.filter((t) => t.cell !== null);
        const t = choose(busy.length ? busy : all, plan.pick);
        if (!t) return void (record.outcome = 'no trainer found');
        record.target = `trainer pid ${t.pid} (${t.node}/${t.slot}${t.cell ? `, ${t.cell}` : ', idle'})`;
        record.outcome = signalOurs(t.pid, 'SIGKILL', marker) ? 'SIGKILL' : 'gone before the signal';
        return;
      }
      case 'kill-worker': {
        const all = await candidatesUntil(workersOf, 'worker');
        const busy = all.filter((n) => n.slots.some((s) => s.cell !== null));
        const w = choose(busy.length ? busy : all, plan.pick);
        if (!w) return void (record.outcome = 'no worker found');
        record.target = `worker pid ${w.pid} (${w.node}${w.slots.map((s) => (s.cell ? `, ${s.cell}` : '')).join('')})`;
        record.outcome = signalOurs(w.pid, 'SIGKILL', marker) ? 'SIGKILL' : 'gone before the signal';
        return;
      }
      case 'stop-worker': {
        // A cell whose result was stored just before the signal tests no lease: another is stopped (3 tries).
        for (let tries = 1; ; tries++) {
          const running = await candidatesUntil(
            () => workersOf().flatMap((n) => [...observer.cells.values()].filter((c) => c.status === 'running' && c.node === n.node).map((c) => ({ node: n, cell: c.cell, attempt: c.attempt }))),
            'worker running a cell',
          );
          const r = choose(running, plan.pick);
          if (!r) return void (record.outcome = 'no running cell found');
          record.target = `worker pid ${r.node.pid} (${r.node.node}, ${r.cell} attempt ${r.attempt})`;
          if (!signalOurs(r.node.pid, 'SIGSTOP', marker)) return void (record.outcome = 'gone before the signal');
          const stoppedAt = Date.now();
          // Held stopped until its lease has visibly lapsed: the cell claimed again (a later attempt,
          // another node) or finished elsewhere — at most 3 ack waits and 20 s.
          const limit = stoppedAt + 3 * options.ackWaitMs + 20_000;
          let moved = false;
          while (Date.now() < limit && !orchestrator.ended) {
            const s = observer.cells.get(r.cell);
            if (s && (s.attempt > r.attempt || s.node !== r.node.node || s.status === 'done' || s.status === 'failed')) {
              moved = true;
              break;
            }
            await settle(1000);
          }
          signalOurs(r.node.pid, 'SIGCONT', marker);
          const s = observer.cells.get(r.cell);
          const finishedBefore = moved && s?.attempt === r.attempt && s.node === r.node.node;
          record.outcome = `SIGSTOP for ${((Date.now() - stoppedAt) / 1000).toFixed(1)} s, then SIGCONT; ${moved ? `the cell went on without it (${s?.status}, attempt ${s?.attempt}${s?.node ? ` on ${s.node}` : ''})` : 'its lease did not lapse in time'}`;
          if (!finishedBefore || tries >= 3) return;
          log(`  ${record.target}: it had finished that cell already; stopping another`);
          await settle(1000);
        }
      }
      case 'kill-server': {
        const pid = server.pid;
        record.target = `nats-server pid ${pid}`;
        if (!signalOurs(pid, 'SIGKILL', marker)) return void (record.outcome = 'gone before the signal');
        // The orchestrator's supervisor restarts it on the same port and store, and rewrites server.json.
        try {
          const before = Date.now();
          for (;;) {
            const info = await readFile(serverFile, 'utf8').then((t) => JSON.parse(t) as ServerInfo).catch(() => null);
            if (info && info.pid !== pid && isRunning(info.pid)) {
              server = info;
              record.outcome = `SIGKILL; restarted by the orchestrator as pid ${info.pid} in ${((Date.now() - before) / 1000).toFixed(1)} s`;
              return;
            }
            if (orchestrator.ended || Date.now() - before > 30_000) break;
            await new Promise((resolve) => setTimeout(resolve, 100)); // another process's file
          }
        } catch {
          // fall through
        }
        record.outcome = 'SIGKILL; no restart seen within 30 s';
        return;
      }
      case 'kill-orchestrator': {
        const pid = orchestrator.child.pid!;
        record.target = `orchestrator pid ${pid}`;
        if (!signalOurs(pid, 'SIGKILL', marker)) return void (record.outcome = 'gone before the signal');
        await orchestrator.exited;
        await observer.detach();
        const oldServer = server.pid;
        orchestrator = start(['sweep', 'resume', id]);
        void orchestrator.exited.then(() => (orchestrator.ended = true));
        server = await attach(oldServer);
        record.outcome = `SIGKILL; grn sweep resume ${id} (pid ${orchestrator.child.pid}) on a new server, pid ${server.pid}`;
        return;
      }
    }
  };

  try {
    let next = 0;
    for (;;) {
      await recordResultFiles(join(sweepDir, 'cells'), firstSeen);
      if (orchestrator.ended) {
        const how = exits.at(-1);
        // Every run that ends by itself writes the manifest; one that did not crashed (an uncaught error).
        const wrote = await stat(join(sweepDir, 'manifest.json')).then((st) => st.mtimeMs >= orchestrator.startedAt - 1000, () => false);
        if (!wrote) {
          const tail = (await readFile(join(dir, `orchestrator-${runs}.log`), 'utf8').catch(() => '')).trim().split('\n').slice(-12).join('\n');
          crashes.push({ run: runs, exit: how ?? '?', tail });
          log(`orchestrator ${runs} crashed (exit ${how}, no manifest written):\n${tail}`);
        }
        // A fault can leave a run stopped (exit 5: the server lost for good) or crashed: continue it
        // with grn sweep resume, as a user would.
        if ((wrote && (how === 0 || how === 1)) || runs >= plannedFaults.length + 3) break;
        log(`orchestrator ended with ${how}; resuming`);
        await observer.detach();
        const oldServer = server.pid;
        orchestrator = start(['sweep', 'resume', id]);
        void orchestrator.exited.then(() => (orchestrator.ended = true));
        server = await attach(oldServer).catch(() => server);
        continue;
      }
      if (Date.now() > deadline) {
        timedOut = true;
        log('chaos: timed out; stopping the run');
        break;
      }
      const plan = plannedFaults[next];
      if (plan && observer.resultCount >= plan.afterResults) {
        log(`fault ${plan.index}/${plannedFaults.length}: ${plan.kind} at ${observer.resultCount} results`);
        await fire(plan, faults[next]!);
        log(`  ${faults[next]!.target}: ${faults[next]!.outcome}`);
        next++;
        continue;
      }
      await settle(2000);
    }
  } finally {
    await observer.detach();
    if (!orchestrator.ended) {
      signalOurs(orchestrator.child.pid!, 'SIGKILL', dir);
      await orchestrator.exited;
    }
  }
  await recordResultFiles(join(sweepDir, 'cells'), firstSeen);
  const verdict = await verifySweep({ sweepDir, cellIds, observer, firstSeen });
  const left = killLeftovers(dir);
  if (left.length) log(`killed ${left.length} leftover process(es) of the run: ${left.join(', ')}`);
  await rm(dataDir, { recursive: true, force: true });
  if (!options.keep) await rm(dir, { recursive: true, force: true });
  return { counters: verdict.counters, faults, cells: verdict.cells, seconds: (Date.now() - started) / 1000, exits, crashes, timedOut, dir: options.keep ? dir : null };
}
