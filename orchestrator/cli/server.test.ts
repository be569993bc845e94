import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { CommanderError } from 'commander';
import { UsageError } from '../../shared/errors.js';
import { serverCommand } from './server.js';

/** Runs `grn server …` and returns what it printed on stdout. */
async function run(args: string[]): Promise<string> {
  const chunks: string[] = [];
  const write = process.stdout.write.bind(process.stdout);
  process.stdout.write = ((chunk: string | Uint8Array) => {
    chunks.push(String(chunk));
    return true;
  }) as typeof process.stdout.write;
  try {
    const command = serverCommand().exitOverride();
    for (const c of [command, ...command.commands]) c.configureOutput({ writeErr: () => undefined });
    await command.parseAsync(args, { from: 'user' });
  } finally {
    process.stdout.write = write;
  }
  return chunks.join('');
}

describe('grn server init', { timeout: 30_000 }, () => {
  const dirs: string[] = [];
  after(async () => {
    for (const dir of dirs) await rm(dir, { recursive: true, force: true });
  });

  test('writes the files and prints how to start the server and join workers', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'grn-cli-server-'));
    dirs.push(dir);
    const out = join(dir, 'srv');
    const text = await run(['init', '--out', out, '--host', '10.0.0.5', '--port', '4333', '--nodes', 'a, b', '--max-file-store', '5G']);
    assert.match(text, /nats-server -c .*srv\/nats\.conf/);
    assert.match(text, /grn worker --server nats:\/\/10\.0\.0\.5:4333 --creds node-a\.nk --node a/);
    assert.match(text, /grn worker --server nats:\/\/10\.0\.0\.5:4333 --creds node-b\.nk --node b/);
    assert.match(text, /4333\/tcp/);
    const conf = await readFile(join(out, 'nats.conf'), 'utf8');
    assert.match(conf, /listen: "10\.0\.0\.5:4333"/);
    assert.match(conf, /max_file_store: "5G"/);
    await assert.rejects(run(['init', '--out', out, '--nodes', 'a']), UsageError);
  });

  test('--cluster 3 writes three configs and prints every URL in --server for workers and sweeps', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'grn-cli-cluster-'));
    dirs.push(dir);
    const out = join(dir, 'srv');
    const text = await run(['init', '--out', out, '--cluster', '3', '--peers', 'n1,n2,n3', '--nodes', 'a']);
    const urls = 'nats://n1:4222,nats://n2:4222,nats://n3:4222';
    assert.match(text, /nats-server -c .*srv\/nats-1\.conf\n {2}nats-server -c .*srv\/nats-2\.conf\n {2}nats-server -c .*srv\/nats-3\.conf/);
    assert.ok(text.includes(`grn worker --server ${urls} --creds node-a.nk --node a`), text);
    assert.ok(text.includes(`grn sweep run SPEC --server ${urls} --creds`), text);
    assert.match(text, /JetStream needs 2 of 3 up/);
    const conf = await readFile(join(out, 'nats-2.conf'), 'utf8');
    assert.match(conf, /server_name: "grn-2"/);
    assert.match(conf, /listen: "0\.0\.0\.0:6222"/);
    await assert.rejects(run(['init', '--out', join(dir, 'two'), '--cluster', '2']), /JetStream needs a quorum/);
    await assert.rejects(run(['init', '--out', join(dir, 'peers'), '--peers', 'a,b,c']), /--peers goes with --cluster/);
  });

  test('bad flags are usage errors', async () => {
    await assert.rejects(run(['init', '--port', '70000']), CommanderError);
    await assert.rejects(run(['init', '--nodes', ',']), CommanderError);
    await assert.rejects(run(['init', '--tls-cert', 'x.pem']), /--tls-cert and --tls-key go together/);
    await assert.rejects(run(['init', '--tls-ca', 'ca.pem']), /need --tls-cert/);
  });
});
