import assert from 'node:assert/strict';
import { execaNode } from 'execa';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';

/**
 * `grn sweep run / resume / status` as a user runs them: the real CLI, an embedded nats-server,
 * local worker processes. The orchestrator is killed with SIGKILL mid-sweep; resume must finish
 * only what is missing.
 */
const GRN = fileURLToPath(new URL('../../../bin/grn.js', import.meta.url));
let dir: string;
before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'grn-cli-sweep-'));
});
after(async () => {
  await rm(dir, { recursive: true, force: true });
});

const SPEC = `name: sleepy
grid:
  optimizer: [sgd]
  dataset: [sleep]
  seed: [1, 2, 3, 4, 5, 6, 7, 8]
train:
  epochs: 1
  duration_ms: 700
`;

async function cellFiles(sweepDir: string): Promise<string[]> {
  return (await readdir(join(sweepDir, 'cells')).catch(() => [] as string[])).filter((f) => f.endsWith('.json')).sort();
}

test('resume after killing the orchestrator finishes only the missing cells', async () => {
  const spec = join(dir, 'sleepy.yaml');
  await writeFile(spec, SPEC);
  const results = join(dir, 'results');
  const sweepDir = join(results, 'sleepy-1');
  const first = execaNode(GRN, ['sweep', 'run', spec, '--id', 'sleepy-1', '--results', results, '--local-workers', '1'], { reject: false, all: true });
  let before: string[] = [];
  for (let i = 0; i < 600 && before.length < 3; i++) {
    await sleep(50);
    before = await cellFiles(sweepDir);
  }
  assert.ok(before.length >= 3 && before.length < 8, `killed part-way (${before.length} cells done)`);
  first.kill('SIGKILL');
  await first;
  const kept = new Map<string, string>();
  for (const f of before) kept.set(f, await readFile(join(sweepDir, 'cells', f), 'utf8'));

  const resumedAt = Date.now();
  const resumed = await execaNode(GRN, ['sweep', 'resume', 'sleepy-1', '--results', results, '--local-workers', '1', '--json'], { reject: false });
  assert.equal(resumed.exitCode, 0, resumed.stderr);
  assert.match(resumed.stderr, /resuming sleepy-1/);
  assert.match(resumed.stderr, new RegExp(`sleepy-1: ${before.length} done, 0 failed, 0 cancelled, ${8 - before.length} to run`));
  // Cells that were running when the orchestrator died are not shown running from the stale
  // state: each cell has at most one "running" line, its new attempt's.
  for (let seed = 1; seed <= 8; seed++) {
    const lines = resumed.stderr.split('\n').filter((l) => l.includes(`sgd-sleep-s${seed} running on`));
    assert.ok(lines.length <= 1, `sgd-sleep-s${seed}: ${lines.join(' | ')}`);
  }
  const outcome = JSON.parse(resumed.stdout);
  assert.equal(outcome.counts.done, 8);
  assert.equal((await cellFiles(sweepDir)).length, 8);
  // Cells finished before the kill were not run again: their results are byte for byte the same.
  for (const [f, text] of kept) assert.equal(await readFile(join(sweepDir, 'cells', f), 'utf8'), text, `${f} unchanged`);
  // The sweep started with the first run, not with the resume.
  const manifest = JSON.parse(await readFile(join(sweepDir, 'manifest.json'), 'utf8')) as { started_at: string };
  assert.ok(Date.parse(manifest.started_at) < resumedAt, `started_at ${manifest.started_at} is the first run's`);

  const status = await execaNode(GRN, ['sweep', 'status', 'sleepy-1', '--results', results, '--json'], { reject: false });
  assert.equal(status.exitCode, 0, status.stderr);
  assert.equal(JSON.parse(status.stdout).counts.done, 8);
});

test('a bad spec exits 2 naming the file, line and field; a missing nats-server is named', async () => {
  const spec = join(dir, 'bad.yaml');
  await writeFile(spec, 'name: bad\ngrid:\n  optimizer: [sgd, adma]\n  dataset: [noop]\n  seed: [1]\n');
  const bad = await execaNode(GRN, ['sweep', 'run', spec, '--results', join(dir, 'r2')], { reject: false });
  assert.equal(bad.exitCode, 2);
  assert.match(bad.stderr, /bad\.yaml:3:\d+: grid\.optimizer\[1\]: unknown optimizer 'adma'/);

  const ok = join(dir, 'ok.yaml');
  await writeFile(ok, 'name: ok\ngrid:\n  optimizer: [sgd]\n  dataset: [noop]\n  seed: [1]\n');
  const missing = await execaNode(GRN, ['sweep', 'run', ok, '--results', join(dir, 'r3')], { reject: false, env: { GRN_NATS_SERVER: '/nonexistent/nats-server', PATH: '/nonexistent' } });
  assert.equal(missing.exitCode, 1);
  assert.match(missing.stderr, /nats-server not found/);
  assert.match(missing.stderr, /apt-get install nats-server/);
});
