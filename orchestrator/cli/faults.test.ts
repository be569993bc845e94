import assert from 'node:assert/strict';
import { execa, execaNode } from 'execa';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, test, type TestContext } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { Kvm } from '@nats-io/kv';
import { isAlive } from '../server/process.js';
import { connectNats } from '../../shared/protocol/connect.js';
import { CELLS_BUCKET } from '../../shared/protocol/names.js';

/**
 * Faults around a running `grn sweep run`, as a user meets them: the real CLI, its embedded
 * nats-server and local worker processes, real files. What each test does to the run is what the
 * defects issue found hanging or lost; the waits are for files and server state, each bounded.
 */
const GRN = fileURLToPath(new URL('../../../bin/grn.js', import.meta.url));
let dir: string;
before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'grn-cli-faults-'));
});
after(() => rm(dir, { recursive: true, force: true }));

const sleepSpec = (name: string, cells: number, ms: number) =>
  `name: ${name}\ngrid:\n  optimizer: [sgd]\n  dataset: [sleep]\n  seed: [${Array.from({ length: cells }, (_, i) => i + 1).join(', ')}]\ntrain:\n  epochs: 1\n  duration_ms: ${ms}\n`;

async function specFile(name: string, text: string): Promise<string> {
  const file = join(dir, `${name}.yaml`);
  await writeFile(file, text);
  return file;
}

async function cellFiles(sweepDir: string): Promise<string[]> {
  return (await readdir(join(sweepDir, 'cells')).catch(() => [] as string[])).filter((f) => f.endsWith('.json')).sort();
}

/** Polls `check` until it returns a value (the event happened), at most `ms`. */
async function until<T>(what: string, check: () => Promise<T | undefined | null | false>, ms = 60_000): Promise<T> {
  for (const start = Date.now(); Date.now() - start < ms; await sleep(50)) {
    const value = await check();
    if (value) return value;
  }
  throw new Error(`timed out waiting for ${what}`);
}

const serverInfo = async (sweepDir: string) => JSON.parse(await readFile(join(sweepDir, '.nats', 'server.json'), 'utf8')) as { url: string; pid: number; orchestratorCreds: string };

describe('grn sweep run under faults', { timeout: 180_000 }, () => {
  test('kill -9 of the embedded nats-server: the orchestrator says so, restarts it on the same store, and the sweep finishes', async () => {
    const results = join(dir, 'r-kill');
    const sweepDir = join(results, 'srv');
    const run = execaNode(GRN, ['sweep', 'run', await specFile('srv', sleepSpec('srv', 8, 600)), '--id', 'srv', '--results', results, '--local-workers', '1'], { reject: false, timeout: 150_000 });
    await until('two results', async () => (await cellFiles(sweepDir)).length >= 2);
    const { pid } = await serverInfo(sweepDir);
    process.kill(pid, 'SIGKILL');
    const outcome = await run;
    assert.equal(outcome.exitCode, 0, outcome.stderr);
    assert.match(outcome.stderr, new RegExp(`nats-server \\(pid ${pid}\\) killed by SIGKILL; restarting it on nats://127\\.0\\.0\\.1:\\d+ with the same JetStream store`));
    assert.match(outcome.stderr, /nats-server restarted \(pid \d+\)/);
    assert.equal((await cellFiles(sweepDir)).length, 8);
    assert.ok(!isAlive((await serverInfo(sweepDir).catch(() => ({ pid }))).pid), 'no server left running');
  });

  test('a local worker killed with -9 is reported and restarted, and its cell handed back at once', async () => {
    const results = join(dir, 'r-worker');
    const sweepDir = join(results, 'wk');
    const run = execaNode(GRN, ['sweep', 'run', await specFile('wk', sleepSpec('wk', 4, 2000)), '--id', 'wk', '--results', results, '--local-workers', '1'], { reject: false, timeout: 150_000 });
    const info = await until('the embedded server', () => serverInfo(sweepDir).catch(() => undefined));
    const nc = await connectNats(info.url, { creds: info.orchestratorCreds }, 'faults test');
    let killedAt = 0;
    let held = '';
    try {
      const cells = await new Kvm(nc).open(CELLS_BUCKET);
      // The worker is the process that claimed a cell: its node registry names its pid.
      const nodes = await new Kvm(nc).open('grn-nodes');
      const running = await until('a running cell', async () => {
        // server.json is written when the server is up, before the orchestrator creates the
        // buckets: until it has, the bucket's stream does not exist yet.
        const keys = await cells.keys('wk.>').catch((error: unknown) => {
          if (error instanceof Error && /stream not found/i.test(error.message)) return undefined;
          throw error;
        });
        for await (const key of keys ?? []) {
          const state = (await cells.get(key))?.json<{ status: string; node: string; cell: string }>();
          if (state?.status === 'running') return state;
        }
        return undefined;
      });
      const pid = (await nodes.get(running.node))!.json<{ pid: number }>().pid;
      held = running.cell;
      process.kill(pid, 'SIGKILL');
      killedAt = Date.now();
    } finally {
      await nc.close();
    }
    const outcome = await run;
    assert.equal(outcome.exitCode, 0, outcome.stderr);
    assert.match(outcome.stderr, new RegExp(`local worker \\S+ \\(pid \\d+\\) was killed by SIGKILL; its cell\\(s\\) ${held} handed back for redelivery; starting it again`));
    const manifest = JSON.parse(await readFile(join(sweepDir, 'manifest.json'), 'utf8')) as { cells: Array<{ cell: string; attempts: number }> };
    assert.equal(manifest.cells.find((c) => c.cell === held)?.attempts, 2);
    const redone = JSON.parse(await readFile(join(sweepDir, 'cells', `${held}.json`), 'utf8')) as { manifest: { started_at: string } };
    // Handed back, not left to the consumer's 30-second ack wait.
    assert.ok(Date.parse(redone.manifest.started_at) - killedAt < 20_000, `the second attempt started ${Date.parse(redone.manifest.started_at) - killedAt} ms after the kill`);
  });

  test('reusing a sweep id with another spec is refused, naming the way out; the same spec again is fine', async () => {
    const results = join(dir, 'r-reuse');
    const a = await specFile('reuse-a', 'name: reuse\ngrid:\n  optimizer: [sgd]\n  dataset: [noop]\n  seed: [1, 2]\n');
    const b = await specFile('reuse-b', 'name: reuse\ngrid:\n  optimizer: [sgd]\n  dataset: [noop]\n  seed: [1, 2, 3]\n');
    const first = await execaNode(GRN, ['sweep', 'run', a, '--id', 'x', '--results', results, '--local-workers', '1'], { reject: false });
    assert.equal(first.exitCode, 0, first.stderr);
    const manifest = await readFile(join(results, 'x', 'manifest.json'), 'utf8');
    const second = await execaNode(GRN, ['sweep', 'run', b, '--id', 'x', '--results', results, '--local-workers', '1'], { reject: false });
    assert.equal(second.exitCode, 2, second.stderr);
    assert.match(second.stderr, /sweep id 'x' already holds a different spec \(.*spec\.yaml\); run this spec under another id .*grn sweep resume x/);
    assert.equal(await readFile(join(results, 'x', 'manifest.json'), 'utf8'), manifest, 'the folder is left as it was');
    // Comments and spelled-out defaults do not make another spec.
    const same = await specFile('reuse-a2', `# the same grid\n${await readFile(a, 'utf8')}max_deliver: 3\n`);
    const third = await execaNode(GRN, ['sweep', 'run', same, '--id', 'x', '--results', results, '--local-workers', '1'], { reject: false });
    assert.equal(third.exitCode, 0, third.stderr);
  });

  test('a grid over the size limit is refused without --yes, before anything is expanded or started', async () => {
    const seeds = Array.from({ length: 20_001 }, (_, i) => i).join(', ');
    const big = await specFile('big', `name: big\ngrid:\n  optimizer: [sgd]\n  dataset: [noop]\n  seed: [${seeds}]\n`);
    const r = await execaNode(GRN, ['sweep', 'run', big, '--results', join(dir, 'r-big')], { reject: false });
    assert.equal(r.exitCode, 2, r.stderr);
    assert.match(r.stderr, /the grid has 20,001 cells, more than 10,000; check it with grn sweep plan .*, or pass --yes to run it/);
    assert.deepEqual(await readdir(join(dir, 'r-big')).catch(() => []), [], 'nothing was started');
  });

  test('the cells folder replaced by a file mid-sweep: said at once with the path, exit 5, and grn sweep export writes the results later', async () => {
    const results = join(dir, 'r-export');
    const sweepDir = join(results, 'exp');
    const run = execaNode(GRN, ['sweep', 'run', await specFile('exp', sleepSpec('exp', 6, 500)), '--id', 'exp', '--results', results, '--local-workers', '1'], { reject: false, all: true, timeout: 150_000 });
    await until('a first result', async () => (await cellFiles(sweepDir)).length >= 1);
    await rm(join(sweepDir, 'cells'), { recursive: true, force: true });
    await writeFile(join(sweepDir, 'cells'), 'in the way\n');
    const outcome = await run;
    assert.equal(outcome.exitCode, 5, outcome.all);
    assert.match(outcome.all!, /error: cannot write .*exp\/cells\/\S+\.json \((ENOTDIR|ENOENT)[^)]*\); results stay on the server — once the folder is fixed: grn sweep export exp/);
    assert.equal(outcome.all!.match(/error: cannot write/g)?.length, 1, 'said once, not once per file');
    assert.match(outcome.stderr, /result file\(s\) are not in the results folder; once it is fixed: grn sweep export exp/);
    await rm(join(sweepDir, 'cells'));
    const exported = await execaNode(GRN, ['sweep', 'export', 'exp', '--results', results, '--json'], { reject: false });
    assert.equal(exported.exitCode, 0, exported.stderr);
    assert.equal(JSON.parse(exported.stdout).written, 6);
    assert.equal((await cellFiles(sweepDir)).length, 6);
    const manifest = JSON.parse(await readFile(join(sweepDir, 'manifest.json'), 'utf8')) as { counts: { done: number } };
    assert.equal(manifest.counts.done, 6);
  });

  test('a full disk under the results folder: said within the run, results kept in JetStream, exit 5 with the resume command, no orphaned server; resume finishes once space is freed', async (t) => {
    const ns = await mountNamespace(t, join(dir, 'small'), '4m');
    if (!ns) return;
    try {
      const results = join(dir, 'small');
      const sweepDir = join(results, 'full');
      const spec = await specFile('full', sleepSpec('full', 8, 700));
      const run = ns.run(['sweep', 'run', spec, '--id', 'full', '--results', results, '--local-workers', '1']);
      const seen = ns.path(sweepDir);
      await until('a first result', async () => (await cellFiles(seen)).length >= 1);
      const { pid } = await serverInfo(seen);
      await execa('dd', ['if=/dev/zero', `of=${ns.path(join(results, 'fill'))}`, 'bs=64k'], { reject: false });
      const outcome = await run;
      assert.equal(outcome.exitCode, 5, outcome.stderr);
      assert.match(outcome.stderr, /FATAL: disk full: /);
      assert.match(outcome.stderr, /free some space, then continue with: grn sweep resume full/);
      assert.ok(!isAlive(pid), `nats-server ${pid} must not outlive the run`);
      await rm(ns.path(join(results, 'fill')));
      const resumed = await ns.run(['sweep', 'resume', 'full', '--results', results, '--local-workers', '1']);
      assert.equal(resumed.exitCode, 0, resumed.stderr);
      assert.equal((await cellFiles(seen)).length, 8);
    } finally {
      await ns.close();
    }
  });
});

/**
 * A small tmpfs at `where`, in a mount namespace of its own (nothing outside sees it, and it goes
 * away with the namespace), and a way to run `grn` inside that namespace. Needs the right to make
 * mount namespaces (root, as in CI); elsewhere the test is skipped, saying why.
 */
async function mountNamespace(t: TestContext, where: string, size: string) {
  await mkdir(where, { recursive: true });
  const holder = execa('unshare', ['--mount', '--propagation', 'private', 'sh', '-c', `mount -t tmpfs -o size=${size} tmpfs '${where}' && echo mounted && exec sleep 600`], { reject: false, buffer: false });
  const mounted = await new Promise<boolean>((resolve) => {
    holder.stdout?.once('data', () => resolve(true));
    void holder.then(() => resolve(false));
  });
  if (!mounted) {
    const why = (await holder).stderr || 'unshare --mount failed';
    t.skip(`cannot mount a small filesystem here (${String(why).trim()})`);
    return null;
  }
  const pid = holder.pid!;
  return {
    /** The namespace's view of a path, from outside it. */
    path: (p: string) => `/proc/${pid}/root${p}`,
    run: (args: string[]) => execa('nsenter', ['--target', String(pid), '--mount', process.execPath, GRN, ...args], { reject: false, timeout: 150_000 }),
    close: async () => {
      holder.kill('SIGKILL');
      await holder;
    },
  };
}
