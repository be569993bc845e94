import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { execa } from 'execa';
import { UsageError } from '../../shared/errors.js';
import { readUserKey } from './credentials.js';
import { clusterMembers, initServer } from './init.js';
import { findNatsServer } from './process.js';

describe('initServer', { timeout: 30_000 }, () => {
  const dirs: string[] = [];
  const tempDir = async () => {
    const dir = await mkdtemp(join(tmpdir(), 'grn-init-'));
    dirs.push(dir);
    return dir;
  };
  after(async () => {
    for (const dir of dirs) await rm(dir, { recursive: true, force: true });
  });

  test('writes a valid config listing only public keys, and one private file per node', async () => {
    const out = await tempDir();
    const result = await initServer({ out, host: '0.0.0.0', port: 4222, nodes: ['a', 'gpu-box_2'], force: false });
    assert.deepEqual([...result.nodeCreds.keys()], ['a', 'gpu-box_2']);
    assert.equal(result.nodeCreds.get('a'), join(out, 'creds', 'node-a.nk'));
    const conf = await readFile(result.config, 'utf8');
    for (const file of [result.orchestratorCreds, ...result.nodeCreds.values()]) {
      assert.equal((await stat(file)).mode & 0o777, 0o600);
      const key = await readUserKey(file);
      assert.ok(conf.includes(key.publicKey), `${file}'s public key is in nats.conf`);
      assert.ok(!conf.includes(key.seed));
    }
    assert.match(await readFile(result.nodeCreds.get('a')!, 'utf8'), /^# grn NATS credentials: role worker, node a\n/);
    assert.match(conf, /"\$KV\.grn-nodes\.a"/);
    assert.match(conf, /"grn\.gpu\.gpu-box_2\.>"/);
    assert.match(conf, /listen: "0\.0\.0\.0:4222"/);
    assert.equal(result.storeDir, out);
    const check = await execa(await findNatsServer(), ['-c', result.config, '-t'], { reject: false, all: true });
    assert.equal(check.exitCode, 0, String(check.all));
  });

  test('refuses to replace existing keys unless forced', async () => {
    const out = await tempDir();
    const first = await initServer({ out, host: '0.0.0.0', port: 4222, nodes: ['a'], force: false });
    const before = await readFile(first.nodeCreds.get('a')!, 'utf8');
    await assert.rejects(initServer({ out, host: '0.0.0.0', port: 4222, nodes: ['a', 'b'], force: false }), (e: Error) => e instanceof UsageError && /already exists: pass --force/.test(e.message));
    assert.equal(await readFile(first.nodeCreds.get('a')!, 'utf8'), before);
    await assert.rejects(stat(join(out, 'creds', 'node-b.nk')), /ENOENT/, 'a refused run writes nothing');
    const forced = await initServer({ out, host: '0.0.0.0', port: 4222, nodes: ['a', 'b'], force: true });
    assert.notEqual(await readFile(forced.nodeCreds.get('a')!, 'utf8'), before);
    assert.equal((await stat(forced.nodeCreds.get('a')!)).mode & 0o777, 0o600);
  });

  test('rejects node names that are not subject tokens, duplicates and half TLS settings', async () => {
    const out = await tempDir();
    await assert.rejects(initServer({ out, host: '0.0.0.0', port: 4222, nodes: ['a.b'], force: false }), /node name 'a\.b' must be letters/);
    await assert.rejects(initServer({ out, host: '0.0.0.0', port: 4222, nodes: ['a', 'a'], force: false }), /listed twice/);
    await assert.rejects(
      initServer({ out, host: '0.0.0.0', port: 4222, nodes: ['a'], force: false, tls: { certFile: join(out, 'c.pem'), keyFile: join(out, 'k.pem') } }),
      /TLS file .*c\.pem does not exist/,
    );
  });

  test('--cluster 3: one config per server, same users, own name, ports, routes and store; nats-server -t accepts each', async () => {
    const out = await tempDir();
    const { members, warnings } = clusterMembers({ size: 3, port: 4222, clusterPort: 6222, monitorPort: 8222 });
    assert.deepEqual(warnings, []);
    assert.deepEqual(members.map((m) => [m.name, m.host, m.port, m.clusterPort, m.monitorPort]), [
      ['grn-1', '127.0.0.1', 4222, 6222, 8222],
      ['grn-2', '127.0.0.1', 4223, 6223, 8223],
      ['grn-3', '127.0.0.1', 4224, 6224, 8224],
    ]);
    const result = await initServer({ out, host: '127.0.0.1', port: 4222, nodes: ['a', 'b'], force: false, cluster: members });
    assert.deepEqual(result.members!.map((m) => m.config), [1, 2, 3].map((i) => join(out, `nats-${i}.conf`)));
    assert.deepEqual(result.members!.map((m) => m.url), ['nats://127.0.0.1:4222', 'nats://127.0.0.1:4223', 'nats://127.0.0.1:4224']);
    await assert.rejects(stat(join(out, 'nats.conf')), /ENOENT/, 'no single-server config');
    const texts = await Promise.all(result.members!.map((m) => readFile(m.config, 'utf8')));
    const keys = [result.orchestratorCreds, result.viewerCreds, ...result.nodeCreds.values()];
    const password = /password: "([^"]+)"/.exec(texts[0]!)![1]!;
    for (const [i, text] of texts.entries()) {
      assert.match(text, new RegExp(`server_name: "grn-${i + 1}"`));
      assert.match(text, new RegExp(`listen: "127\\.0\\.0\\.1:${4222 + i}"`));
      assert.match(text, new RegExp(`cluster \\{\\n  name: "grn"\\n  listen: "127\\.0\\.0\\.1:${6222 + i}"`));
      assert.ok(text.includes(`store_dir: ${JSON.stringify(join(out, `nats-${i + 1}`))}`));
      for (const port of [6222, 6223, 6224]) assert.ok(text.includes(`"nats-route://grn-route:${password}@127.0.0.1:${port}"`), `route to ${port}`);
      assert.ok(text.includes(`password: "${password}"`), 'one route secret for all');
      for (const file of keys) assert.ok(text.includes((await readUserKey(file)).publicKey), 'the same users on every server');
      assert.match(text, /"\$KV\.grn-nodes\.a"/);
      assert.equal((await stat(result.members![i]!.config)).mode & 0o777, 0o640, 'the route secret is not world-readable');
      const check = await execa(await findNatsServer(), ['-c', result.members![i]!.config, '-t'], { reject: false, all: true });
      assert.equal(check.exitCode, 0, String(check.all));
    }
    await assert.rejects(initServer({ out, host: '127.0.0.1', port: 4222, nodes: ['a'], force: false, cluster: members }), /nats-1\.conf already exists/);
  });

  test('cluster members on their own hosts share the ports; sizes below 3 refused, even sizes warned', async () => {
    const { members } = clusterMembers({ size: 3, peers: ['n1', 'n2', '10.0.0.3'], port: 4222, clusterPort: 6222 });
    assert.deepEqual(members.map((m) => `${m.host}:${m.port}/${m.clusterPort}`), ['n1:4222/6222', 'n2:4222/6222', '10.0.0.3:4222/6222']);
    assert.throws(() => clusterMembers({ size: 2, port: 4222, clusterPort: 6222 }), (e: Error) => e instanceof UsageError && /quorum/.test(e.message));
    assert.throws(() => clusterMembers({ size: 1, port: 4222, clusterPort: 6222 }), /leave out --cluster/);
    assert.match(clusterMembers({ size: 4, port: 4222, clusterPort: 6222 }).warnings.join(), /survives the loss of 1 server.*majority \(3 of 4\)/);
    assert.throws(() => clusterMembers({ size: 3, peers: ['n1', 'n2'], port: 4222, clusterPort: 6222 }), /lists 2 address\(es\) for --cluster 3/);
    assert.throws(() => clusterMembers({ size: 3, peers: ['n1', 'nats://n2', 'n3'], port: 4222, clusterPort: 6222 }), /not a host name/);
    // Client ports 4222-4224 run into cluster ports 4223-4225 on one host.
    assert.throws(() => clusterMembers({ size: 3, port: 4222, clusterPort: 4223 }), /port 4223 on 127\.0\.0\.1 is given twice \(grn-1 cluster and grn-2 client\)/);
    assert.throws(() => clusterMembers({ size: 3, peers: ['a', 'a', 'b'], port: 65535, clusterPort: 6222 }), /port 65536 is not a port number/);
    const out = await tempDir();
    const dup = [
      { name: 'grn-1', host: 'h', port: 4222, clusterPort: 6222 },
      { name: 'grn-2', host: 'h', port: 4222, clusterPort: 6223 },
      { name: 'grn-3', host: 'i', port: 4222, clusterPort: 6222 },
    ];
    await assert.rejects(initServer({ out, host: '0.0.0.0', port: 4222, nodes: [], force: false, cluster: dup }), /port 4222 on h is given twice/);
    await assert.rejects(initServer({ out, host: '0.0.0.0', port: 4222, nodes: [], force: false, cluster: dup.slice(0, 2) }), /quorum/);
  });
});

