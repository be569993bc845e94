import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { execa } from 'execa';
import { createAccount, createUser } from '@nats-io/nkeys';
import { GrnError } from '../errors.js';
import { startTestServer } from '../../test/helpers/nats-server.js';
import { startEmbeddedServer } from '../../orchestrator/server/embedded.js';
import { DEFAULT_MAX_PAYLOAD, generateServerConfig } from '../../orchestrator/server/config.js';
import { newUserKey, writeCredentialsFile } from '../../orchestrator/server/credentials.js';
import { freePort, launchNatsServer } from '../../orchestrator/server/process.js';
import { connectNats, parseCredentials, serverList } from './connect.js';
import { workerInboxPrefix } from './names.js';
import { natsUrl } from '../../orchestrator/cli/options.js';

const seedOf = (kp: { getSeed(): Uint8Array }) => new TextDecoder().decode(kp.getSeed());

describe('parseCredentials', () => {
  test('an nkey seed file, with comment lines, is an nkey credential', () => {
    const seed = seedOf(createUser());
    const parsed = parseCredentials(`# grn NATS credentials: role worker, node a\n# public key U…\n${seed}\n`, 'a.nk');
    assert.deepEqual(parsed, { kind: 'nkey', seed });
    assert.equal(parseCredentials(seed, 'bare.nk').kind, 'nkey');
  });

  test('a standard .creds file (JWT + seed) is passed through whole', () => {
    const text = [
      '-----BEGIN NATS USER JWT-----',
      'eyJ0eXAiOiJKV1QiLCJhbGciOiJlZDI1NTE5LW5rZXkifQ.e30.sig',
      '------END NATS USER JWT------',
      '',
      '************************* IMPORTANT *************************',
      '',
      '-----BEGIN USER NKEY SEED-----',
      seedOf(createUser()),
      '------END USER NKEY SEED------',
      '',
    ].join('\n');
    assert.deepEqual(parseCredentials(text, 'u.creds'), { kind: 'jwt', text });
  });

  test('anything else names the file and what was expected', () => {
    assert.throws(() => parseCredentials('hello\n', 'x.nk'), (e: Error) => e instanceof GrnError && /x\.nk/.test(e.message) && /SU/.test(e.message));
    assert.throws(() => parseCredentials('', 'empty.nk'), /empty\.nk/);
    assert.throws(() => parseCredentials(seedOf(createAccount()), 'acct.nk'), /acct\.nk: holds an nkey seed of kind 'A', not a user seed/);
    assert.throws(() => parseCredentials(`${seedOf(createUser())}\n${seedOf(createUser())}`, 'two.nk'), /two\.nk/);
    assert.throws(() => parseCredentials('-----BEGIN NATS USER JWT-----\nabc\n------END NATS USER JWT------\n', 'half.creds'), /half\.creds: has a user JWT but no NKEY SEED/);
  });
});

describe('several servers in --server', () => {
  test('a comma-separated list is split (spaces ignored); --server checks every entry', () => {
    assert.deepEqual(serverList('nats://a:4222, nats://b:4222,nats://c:4222'), ['nats://a:4222', 'nats://b:4222', 'nats://c:4222']);
    assert.deepEqual(serverList('nats://a:4222'), ['nats://a:4222']);
    assert.throws(() => serverList(' , '), /no NATS server/);
    assert.equal(natsUrl('nats://a:4222, nats://b:4222'), 'nats://a:4222,nats://b:4222');
    assert.equal(natsUrl('tls://a:4222'), 'tls://a:4222');
    assert.throws(() => natsUrl('nats://a:4222,http://b'), /got 'http:\/\/b' in/);
    assert.throws(() => natsUrl('nats://a:4222,'), /expected nats:\/\/HOST:PORT,/);
  });
});

describe('connectNats against a real nats-server', { timeout: 60_000 }, () => {
  let server: Awaited<ReturnType<typeof startTestServer>>;
  let dir: string;
  before(async () => {
    server = await startTestServer();
    dir = await mkdtemp(join(tmpdir(), 'grn-connect-'));
  });
  after(async () => {
    await server?.cleanup();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  test('connects with an nkey file and sets reconnect-forever options', async () => {
    const nc = await connectNats(server.url, { creds: server.orchestratorCreds }, 'grn test');
    try {
      assert.equal(nc.info?.max_payload, DEFAULT_MAX_PAYLOAD);
      assert.equal(nc.info?.jetstream, true);
    } finally {
      await nc.close();
    }
  });

  test('a list with a dead entry still connects, to the live one', async () => {
    const dead = `nats://127.0.0.1:${await freePort()}`;
    for (const list of [`${dead},${server.url}`, `${server.url},${dead}`]) {
      const nc = await connectNats(list, { creds: server.orchestratorCreds }, 'grn list test');
      try {
        assert.equal(nc.getServer(), server.url.replace('nats://', ''));
        await nc.flush();
      } finally {
        await nc.close();
      }
    }
  });

  test('an unreachable server fails at once with a clear message', async () => {
    const port = await freePort();
    const started = Date.now();
    await assert.rejects(connectNats(`nats://127.0.0.1:${port}`, {}, 't'), (e: Error) => {
      assert.ok(e instanceof GrnError);
      assert.match(e.message, new RegExp(`^cannot reach the NATS server at nats://127\\.0\\.0\\.1:${port}: connection refused`));
      return true;
    });
    assert.ok(Date.now() - started < 5000, 'the first connect must not retry');
    await assert.rejects(connectNats('nats://no-such-host.invalid:4222', {}, 't'), /cannot reach the NATS server at nats:\/\/no-such-host\.invalid:4222: host not found/);
  });

  test('no credentials: refused, and told to pass --creds', async () => {
    await assert.rejects(connectNats(server.url, {}, 't'), (e: Error) => {
      assert.ok(e instanceof GrnError);
      assert.equal(e.message, `the NATS server at ${server.url} refused the connection: Authorization Violation — pass --creds FILE (or --token) with credentials this server accepts`);
      return true;
    });
  });

  test('credentials the server does not know: refused, naming the file', async () => {
    const stranger = join(dir, 'stranger.nk');
    await writeCredentialsFile(stranger, newUserKey(), 'nobody', { overwrite: true });
    await assert.rejects(connectNats(server.url, { creds: stranger }, 't'), (e: Error) => {
      assert.match(e.message, /refused the connection: Authorization Violation — the server does not know the key in .*stranger\.nk/);
      return true;
    });
    await assert.rejects(connectNats(server.url, { token: 'secret' }, 't'), /Authorization Violation — the token is wrong/);
  });

  test('a missing or malformed credentials file is named', async () => {
    await assert.rejects(connectNats(server.url, { creds: join(dir, 'nope.nk') }, 't'), /cannot read the credentials file .*nope\.nk: no such file/);
    const bad = join(dir, 'bad.nk');
    await writeFile(bad, 'not a seed\n');
    await assert.rejects(connectNats(server.url, { creds: bad }, 't'), /credentials file .*bad\.nk: expected one NATS user nkey seed/);
    await assert.rejects(connectNats(server.url, { creds: bad, token: 'x' }, 't'), /either --creds or --token/);
    // The right shape, but one character changed: the checksum does not match.
    const seed = seedOf(createUser());
    const flipped = join(dir, 'flipped.nk');
    await writeFile(flipped, `${seed.slice(0, 10)}${seed[10] === 'A' ? 'B' : 'A'}${seed.slice(11)}\n`);
    await assert.rejects(connectNats(server.url, { creds: flipped }, 't'), /credentials file .*flipped\.nk: the nkey seed does not decode/);
  });

  test('tls:// to a server without TLS is refused rather than sent in the clear', async () => {
    const url = server.url.replace('nats://', 'tls://');
    await assert.rejects(connectNats(url, { creds: server.orchestratorCreds }, 't'), /does not use TLS: connect with nats:\/\//);
  });

  test('a client survives a server restart (reconnects, then works again)', async () => {
    const resumable = await mkdtemp(join(tmpdir(), 'grn-restart-'));
    const first = await startEmbeddedServer({ dir: resumable });
    const port = Number(new URL(first.url).port);
    const nc = await connectNats(first.url, { creds: first.workerCreds }, 'survivor', { inboxPrefix: workerInboxPrefix('survivor') });
    try {
      const reconnected = (async () => {
        for await (const s of nc.status()) if (s.type === 'reconnect') return true;
        return false;
      })();
      await first.stop();
      const second = await startEmbeddedServer({ dir: resumable, port });
      try {
        assert.equal(await reconnected, true);
        // A round trip on the new server, with the same key (the store dir kept the creds).
        nc.publish('grn.telemetry.s.c', 'x');
        await nc.flush();
        assert.equal(nc.isClosed(), false);
      } finally {
        await nc.close();
        await second.stop();
      }
    } finally {
      await rm(resumable, { recursive: true, force: true });
    }
  });
});

describe('TLS', { timeout: 60_000 }, () => {
  let dir: string;
  let stop: (() => Promise<void>) | undefined;
  let url: string;
  let creds: string;
  let ca: string;
  const openssl = async (...args: string[]) => execa('openssl', args, { cwd: dir });

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'grn-tls-'));
    // A private CA and a server certificate for 127.0.0.1, as an admin would make for a LAN.
    await openssl('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '2', '-subj', '/CN=grn test CA', '-keyout', 'ca.key', '-out', 'ca.pem');
    await openssl('req', '-newkey', 'rsa:2048', '-nodes', '-subj', '/CN=127.0.0.1', '-keyout', 'server.key', '-out', 'server.csr');
    await writeFile(join(dir, 'ext.cnf'), 'subjectAltName=IP:127.0.0.1,DNS:localhost\n');
    await openssl('x509', '-req', '-in', 'server.csr', '-CA', 'ca.pem', '-CAkey', 'ca.key', '-CAcreateserial', '-days', '2', '-extfile', 'ext.cnf', '-out', 'server.pem');
    ca = join(dir, 'ca.pem');
    const key = newUserKey();
    creds = join(dir, 'user.nk');
    await writeCredentialsFile(creds, key, 'tls test', { overwrite: true });
    const port = await freePort();
    url = `tls://127.0.0.1:${port}`;
    const configFile = join(dir, 'nats.conf');
    await writeFile(
      configFile,
      generateServerConfig({
        host: '127.0.0.1',
        port,
        storeDir: dir,
        users: [{ nkey: key.publicKey, comment: 'all' }],
        tls: { certFile: join(dir, 'server.pem'), keyFile: join(dir, 'server.key') },
      }),
    );
    const running = await launchNatsServer({ configFile, logFile: join(dir, 'log'), url, auth: { creds, tls: { caFile: ca } } });
    stop = running.stop;
  });
  after(async () => {
    await stop?.();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  test('tls:// with the CA file connects encrypted', async () => {
    const nc = await connectNats(url, { creds, tls: { caFile: ca } }, 't');
    assert.equal(nc.info?.tls_required, true);
    await nc.close();
  });

  test('nats:// to a TLS server upgrades too (the server requires it)', async () => {
    const nc = await connectNats(url.replace('tls://', 'nats://'), { creds, tls: { caFile: ca } }, 't');
    await nc.close();
  });

  test('an untrusted certificate fails with what to do', async () => {
    await assert.rejects(connectNats(url, { creds }, 't'), (e: Error) => {
      assert.match(e.message, /^TLS with the NATS server at tls:\/\/127\.0\.0\.1:\d+ failed: .*NODE_EXTRA_CA_CERTS/);
      return true;
    });
  });
});
