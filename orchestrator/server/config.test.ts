import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { execa } from 'execa';
import { generateServerConfig } from './config.js';
import { newUserKey } from './credentials.js';
import { orchestratorPermissions, workerPermissions } from './permissions.js';
import { findNatsServer } from './process.js';

/** `nats-server -t`: parse the config (and load TLS files) without starting. */
async function configTest(file: string) {
  return execa(await findNatsServer(), ['-c', file, '-t'], { reject: false, all: true });
}

describe('generateServerConfig', { timeout: 30_000 }, () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'grn config '));
  });
  after(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  const users = () => [
    { nkey: newUserKey().publicKey, comment: 'orchestrator' },
    { nkey: newUserKey().publicKey, permissions: workerPermissions('n1'), comment: 'worker n1' },
    { nkey: newUserKey().publicKey, permissions: workerPermissions('*'), comment: 'any worker' },
  ];

  test('passes nats-server -t, with every option (a store path with spaces, $ subjects)', async () => {
    const file = join(dir, 'full.conf');
    const text = generateServerConfig({
      serverName: 'grn',
      host: '0.0.0.0',
      port: 4222,
      storeDir: join(dir, 'store here'),
      maxFileStore: '2G',
      monitorPort: 8222,
      users: users(),
    });
    await writeFile(file, text);
    const result = await configTest(file);
    assert.equal(result.exitCode, 0, String(result.all));
    assert.match(String(result.all), /configuration file .* is valid/);
    assert.match(text, /^listen: "0\.0\.0\.0:4222"$/m);
    assert.match(text, /^max_payload: 1048576$/m);
    assert.match(text, /^http: "0\.0\.0\.0:8222"$/m);
    assert.match(text, /max_file_store: "2G"/);
    assert.match(text, /"\$JS\.API\.CONSUMER\.MSG\.NEXT\.GRN_TRIALS\.\*"/);
  });

  test('minimal loopback config passes too and has no anonymous access', async () => {
    const file = join(dir, 'min.conf');
    const text = generateServerConfig({ host: '127.0.0.1', port: 4999, storeDir: dir, users: users().slice(0, 1) });
    await writeFile(file, text);
    assert.equal((await configTest(file)).exitCode, 0);
    assert.doesNotMatch(text, /no_auth_user|http:|tls/);
    assert.throws(() => generateServerConfig({ host: '127.0.0.1', port: 1, storeDir: dir, users: [] }), /anonymous/);
  });

  test('tls block: nats-server -t loads the files, and rejects missing ones', async () => {
    await execa('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1', '-subj', '/CN=localhost', '-keyout', 'key.pem', '-out', 'cert.pem'], { cwd: dir });
    const tls = { certFile: join(dir, 'cert.pem'), keyFile: join(dir, 'key.pem'), caFile: join(dir, 'cert.pem'), verify: true };
    const file = join(dir, 'tls.conf');
    const text = generateServerConfig({ host: '127.0.0.1', port: 4999, storeDir: dir, users: users(), tls });
    await writeFile(file, text);
    const ok = await configTest(file);
    assert.equal(ok.exitCode, 0, String(ok.all));
    assert.match(text, /tls \{\n {2}cert_file: ".*cert\.pem"\n {2}key_file: ".*key\.pem"\n {2}ca_file: ".*cert\.pem"\n {2}verify: true/);
    await writeFile(file, generateServerConfig({ host: '127.0.0.1', port: 4999, storeDir: dir, users: users(), tls: { ...tls, certFile: join(dir, 'missing.pem') } }));
    assert.notEqual((await configTest(file)).exitCode, 0);
  });

  test('cluster block: name, route listen, authenticated routes; nats-server -t accepts it; needs a server name', async () => {
    const file = join(dir, 'member.conf');
    const cluster = { name: 'grn', host: '0.0.0.0', port: 6222, routes: ['nats-route://n1:6222', 'nats-route://n2:6222'], user: 'grn-route', password: 'p/w+x' };
    const text = generateServerConfig({ serverName: 'grn-1', host: '0.0.0.0', port: 4222, storeDir: join(dir, 'n1'), users: users(), cluster });
    await writeFile(file, text);
    const result = await configTest(file);
    assert.equal(result.exitCode, 0, String(result.all));
    assert.match(text, /cluster \{\n {2}name: "grn"\n {2}listen: "0\.0\.0\.0:6222"\n {2}authorization \{\n {4}user: "grn-route"\n {4}password: "p\/w\+x"/);
    assert.ok(text.includes('"nats-route://grn-route:p%2Fw%2Bx@n1:6222"'), 'the password is URL-encoded in the routes');
    assert.throws(() => generateServerConfig({ host: '0.0.0.0', port: 4222, storeDir: dir, users: users(), cluster }), /server_name/);
  });

  test('the orchestrator gets everything, a worker a fixed list', () => {
    assert.deepEqual(orchestratorPermissions(), { publish: { allow: ['>'] }, subscribe: { allow: ['>'] } });
    const n1 = workerPermissions('n1').publish.allow;
    assert.ok(n1.includes('$KV.grn-nodes.n1') && n1.includes('grn.gpu.n1.>') && n1.includes('grn.node.n1'));
    assert.ok(!n1.some((s) => s.startsWith('grn.trials') || s.startsWith('$KV.grn-sweeps') || s.includes('STREAM.DELETE') || s === '>'));
    assert.ok(workerPermissions('*').publish.allow.includes('$KV.grn-nodes.*'));
  });
});
