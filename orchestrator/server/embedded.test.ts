import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, describe, test } from 'node:test';
import { jetstreamManager } from '@nats-io/jetstream';
import { Kvm } from '@nats-io/kv';
import { GrnError } from '../../shared/errors.js';
import { connectNats } from '../../shared/protocol/connect.js';
import { NODES_BUCKET, TRIALS_PREFIX, TRIALS_STREAM, workerInboxPrefix } from '../../shared/protocol/names.js';
import { embeddedPaths, readServerInfo, startEmbeddedServer } from './embedded.js';
import { findNatsServer, freePort, isAlive } from './process.js';

async function waitDead(pid: number, ms: number): Promise<boolean> {
  for (const start = Date.now(); Date.now() - start < ms; await sleep(50)) if (!isAlive(pid)) return true;
  return !isAlive(pid);
}

describe('embedded nats-server', { timeout: 90_000 }, () => {
  const dirs: string[] = [];
  const tempDir = async () => {
    const dir = await mkdtemp(join(tmpdir(), 'grn-embedded-'));
    dirs.push(dir);
    return dir;
  };
  after(async () => {
    for (const dir of dirs) await rm(dir, { recursive: true, force: true });
  });

  test('starts on loopback with private keys; the orchestrator key creates streams and buckets; stop() kills it', async () => {
    const dir = await tempDir();
    const server = await startEmbeddedServer({ dir });
    try {
      assert.match(server.url, /^nats:\/\/127\.0\.0\.1:\d+$/);
      assert.ok(isAlive(server.pid));
      for (const creds of [server.orchestratorCreds, server.workerCreds]) {
        assert.equal((await stat(creds)).mode & 0o777, 0o600, `${creds} must be private`);
        assert.match(await readFile(creds, 'utf8'), /^# grn NATS credentials: role /);
      }
      const conf = await readFile(join(dir, 'nats.conf'), 'utf8');
      assert.match(conf, /listen: "127\.0\.0\.1:\d+"/);
      assert.doesNotMatch(conf, /SU[A-Z2-7]{56}/, 'seeds never go into the config');
      assert.deepEqual(await readServerInfo(dir), { url: server.url, pid: server.pid, orchestratorCreds: server.orchestratorCreds, workerCreds: server.workerCreds });

      const nc = await connectNats(server.url, { creds: server.orchestratorCreds }, 'test orchestrator');
      const jsm = await jetstreamManager(nc);
      await jsm.streams.add({ name: TRIALS_STREAM, subjects: [`${TRIALS_PREFIX}.>`] });
      const kv = await new Kvm(nc).create(NODES_BUCKET);
      await kv.put('x', 'y');
      await nc.close();

      // The shared local-worker key may write any node's registry entry.
      const wc = await connectNats(server.url, { creds: server.workerCreds }, 'test worker', { inboxPrefix: workerInboxPrefix('any-node-1') });
      const nodes = await new Kvm(wc).open(NODES_BUCKET);
      assert.ok((await nodes.put('any-node-1', 'r')) > 0);
      await wc.close();
      await assert.rejects(connectNats(server.url, {}, 'anon'), /Authorization Violation/);
    } finally {
      await server.stop();
    }
    assert.equal(isAlive(server.pid), false);
    assert.equal(await readServerInfo(dir), null);
    await server.stop(); // idempotent
  });

  test('a second start on the same dir reuses the keys and the JetStream store', async () => {
    const dir = await tempDir();
    const first = await startEmbeddedServer({ dir });
    const keys = await readFile(first.workerCreds, 'utf8');
    let nc = await connectNats(first.url, { creds: first.orchestratorCreds }, 't');
    await (await new Kvm(nc).create('grn-cells')).put('s.c', 'kept');
    await nc.close();
    await first.stop();

    const second = await startEmbeddedServer({ dir });
    try {
      assert.equal(await readFile(second.workerCreds, 'utf8'), keys);
      nc = await connectNats(second.url, { creds: second.orchestratorCreds }, 't');
      assert.equal((await (await new Kvm(nc).open('grn-cells')).get('s.c'))?.string(), 'kept');
      await nc.close();
      assert.ok((await stat(join(dir, 'jetstream'))).isDirectory());
    } finally {
      await second.stop();
    }
  });

  test('the server does not outlive a kill -9 of its parent, and a stale one is killed on the next start', async () => {
    const dir = await tempDir();
    const script = join(dir, 'parent.mjs');
    await writeFile(
      script,
      `import { startEmbeddedServer } from ${JSON.stringify(new URL('./embedded.js', import.meta.url).href)};
       const s = await startEmbeddedServer({ dir: ${JSON.stringify(join(dir, 'srv'))} });
       console.log(JSON.stringify({ pid: s.pid }));
       setInterval(() => {}, 1000);`,
    );
    const parent = spawn(process.execPath, [script], { stdio: ['ignore', 'pipe', 'inherit'] });
    const line = await new Promise<string>((resolve, reject) => {
      parent.stdout.once('data', (d: Buffer) => resolve(d.toString()));
      parent.once('exit', (code) => reject(new Error(`parent exited ${code}`)));
    });
    const { pid } = JSON.parse(line) as { pid: number };
    assert.ok(isAlive(pid));
    parent.kill('SIGKILL');
    // Linux: setpriv --pdeathsig delivers SIGTERM to the server when its parent dies.
    const diedWithParent = await waitDead(pid, 5000);
    if (process.platform === 'linux') assert.ok(diedWithParent, 'nats-server should die with its parent (setpriv --pdeathsig)');

    // Elsewhere (or without setpriv) the orphan stays: the next start kills the pid in server.json.
    // Simulate exactly that orphan: the same config, started outside our control.
    const paths = embeddedPaths(join(dir, 'srv'));
    const orphan = spawn(await findNatsServer(), ['-c', paths.config], { stdio: 'ignore', detached: true });
    orphan.unref();
    const info = JSON.parse(await readFile(paths.info, 'utf8')) as Record<string, unknown>;
    await writeFile(paths.info, JSON.stringify({ ...info, pid: orphan.pid }));
    await sleep(300);
    assert.ok(isAlive(orphan.pid!));
    assert.ok(await readServerInfo(paths.root), 'a live stale server is reported');
    const next = await startEmbeddedServer({ dir: paths.root });
    try {
      assert.ok(await waitDead(orphan.pid!, 2000), 'the stale server was stopped');
      const nc = await connectNats(next.url, { creds: next.orchestratorCreds }, 't');
      await nc.close();
    } finally {
      await next.stop();
    }
  });

  test('a server that another live grn process owns is left alone', async () => {
    const dir = await tempDir();
    const server = await startEmbeddedServer({ dir });
    const owner = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 30000)'], { stdio: 'ignore' });
    try {
      const paths = embeddedPaths(dir);
      const info = JSON.parse(await readFile(paths.info, 'utf8')) as Record<string, unknown>;
      await writeFile(paths.info, JSON.stringify({ ...info, ownerPid: owner.pid }));
      await assert.rejects(startEmbeddedServer({ dir }), new RegExp(`already runs from .* for grn process ${owner.pid}`));
      assert.ok(isAlive(server.pid));
    } finally {
      owner.kill('SIGKILL');
      await server.stop();
    }
  });

  test('a port that is taken: the error says so, with the server log', async () => {
    const port = await freePort();
    const sockets: import('node:net').Socket[] = [];
    const blocker = createServer((socket) => sockets.push(socket));
    await new Promise<void>((resolve) => blocker.listen(port, '127.0.0.1', resolve));
    try {
      await assert.rejects(startEmbeddedServer({ dir: await tempDir(), port }), /could not bind nats:\/\/127\.0\.0\.1:\d+: address already in use/);
    } finally {
      for (const socket of sockets) socket.destroy();
      blocker.close();
    }
  });

  test('a missing nats-server binary is one clear error', async () => {
    const saved = process.env.GRN_NATS_SERVER;
    process.env.GRN_NATS_SERVER = '/nonexistent';
    try {
      await assert.rejects(startEmbeddedServer({ dir: await tempDir() }), (e: Error) => {
        assert.ok(e instanceof GrnError);
        assert.match(e.message, /^nats-server not found \(looked for \$GRN_NATS_SERVER=\/nonexistent, not an executable file\)/);
        assert.match(e.message, /apt-get install nats-server/);
        return true;
      });
    } finally {
      if (saved === undefined) delete process.env.GRN_NATS_SERVER;
      else process.env.GRN_NATS_SERVER = saved;
    }
    await assert.rejects(
      findNatsServer({ PATH: await tempDir() }, []),
      new GrnError(
        'nats-server not found (looked for $GRN_NATS_SERVER, then PATH): install it — Debian/Ubuntu: apt-get install nats-server; macOS: brew install nats-server; others: https://github.com/nats-io/nats-server/releases',
      ),
    );
  });
});
