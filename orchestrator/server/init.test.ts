import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { execa } from 'execa';
import { UsageError } from '../../shared/errors.js';
import { readUserKey } from './credentials.js';
import { initServer } from './init.js';
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
});
