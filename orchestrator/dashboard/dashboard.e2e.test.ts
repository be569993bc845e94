import assert from 'node:assert/strict';
import { execFile, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { after, before, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';

/**
 * The real `grn dashboard` in a real terminal: tmux runs it at 120×40 on a private tmux server,
 * keys go in with send-keys and the screen comes back with capture-pane. The sweep is real too: a
 * detached `grn sweep run` with its embedded nats-server and two local workers, on the synthetic
 * `sleep` data set (no data files, 1.5 s per cell).
 */
const run = promisify(execFile);
const REPO = fileURLToPath(new URL('../../../', import.meta.url));
const GRN = join(REPO, 'bin', 'grn.js');
const HAS_TMUX = spawnSync('tmux', ['-V']).status === 0;

let dir: string;
let socket: string;
before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'grn-dash-e2e-'));
  socket = join(dir, 'tmux.sock');
});
after(async () => {
  if (!dir) return;
  await run('tmux', ['-S', socket, 'kill-server']).catch(() => undefined);
  // A sweep left behind by a failed run: cancel it, and let it write its manifest before the
  // folder goes (it ends on its own within seconds either way).
  const results = join(dir, 'results');
  for (const id of await readdir(results).catch(() => [] as string[])) {
    if (existsSync(join(results, id, 'manifest.json'))) continue;
    await run(process.execPath, [GRN, 'sweep', 'cancel', id, '--results', results]).catch(() => undefined);
    for (let i = 0; i < 100 && !existsSync(join(results, id, 'manifest.json')); i++) await sleep(200);
  }
  await rm(dir, { recursive: true, force: true });
});

const tmux = (...args: string[]) => run('tmux', ['-S', socket, ...args]);
const screen = async (session: string) => (await tmux('capture-pane', '-p', '-t', session)).stdout;

async function waitForScreen(session: string, what: string, predicate: (text: string) => boolean, timeoutMs = 30_000): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  let text = '';
  while (Date.now() < deadline) {
    text = await screen(session).catch(() => '');
    if (predicate(text)) return text;
    await sleep(150);
  }
  assert.fail(`timed out waiting for ${what}; the screen:\n${text}`);
}

const SPEC = `name: e2e
grid:
  optimizer: [sgd, adam]
  dataset: [sleep]
  seed: [1, 2, 3, 4]
train:
  epochs: 1
  duration_ms: 1500
`;

const quote = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;

/**
 * Runs `grn ARGS` in a new tmux session of 120×40, then its exit status, then waits (so the
 * screen can still be read). CI variables are dropped as a person's terminal would not have
 * them (under CI, Ink prints only the last frame; the dashboard drops them itself too).
 */
async function grnInTmux(session: string, args: string[]): Promise<void> {
  const command = `cd ${quote(REPO)} && env -u CI -u CONTINUOUS_INTEGRATION TERM=xterm-256color LANG=C.UTF-8 ${quote(process.execPath)} ${quote(GRN)} ${args.map(quote).join(' ')}; echo "[grn exited $?]"; sleep 60`;
  await tmux('-u', 'new-session', '-d', '-s', session, '-x', '120', '-y', '40', command);
}

test(
  'grn dashboard SPEC in tmux: grid fills in, a worker shows, p pauses and resumes, q leaves it running, re-attach shows the final table',
  { skip: HAS_TMUX ? false : 'tmux is not installed (apt-get install tmux)', timeout: 120_000 },
  async () => {
    const spec = join(dir, 'e2e.yaml');
    await writeFile(spec, SPEC);
    const results = join(dir, 'results');
    await grnInTmux('dash', ['dashboard', spec, '--local-workers', '2', '--results', results]);

    const grid = await waitForScreen('dash', 'the grid', (t) => /^.sgd\s/m.test(t) && /^.adam\s/m.test(t) && t.includes(' Grid '));
    assert.match(grid, /^\s+sleep/m, 'the data set column');
    await waitForScreen('dash', 'a worker in the nodes panel', (t) => /● \S+-w[12]/.test(t) && /cpu0/.test(t));
    await waitForScreen('dash', 'cells filling in', (t) => /^.sgd\s+\S*✓/m.test(t));

    await tmux('send-keys', '-t', 'dash', 'p');
    await waitForScreen('dash', 'paused', (t) => t.includes(' PAUSED ') && t.includes('paused: no new cells'));
    await tmux('send-keys', '-t', 'dash', 'p');
    await waitForScreen('dash', 'resumed', (t) => t.includes(' RUNNING '));

    // q asks; l leaves the sweep running in the background and names the re-attach command.
    await tmux('send-keys', '-t', 'dash', 'q');
    await waitForScreen('dash', 'the quit question', (t) => t.includes('Quit the dashboard'));
    await tmux('send-keys', '-t', 'dash', 'l');
    const left = await waitForScreen('dash', 'the dashboard gone', (t) => t.includes('[grn exited'));
    assert.match(left, /\[grn exited 0\]/);
    const reattach = /re-attach with: (grn dashboard --sweep (e2e-\S+) --results (\S+))/.exec(left.replace(/\n/g, ''));
    assert.ok(reattach, `the farewell names the re-attach command:\n${left}`);
    const id = reattach[2]!;

    // Re-attach (live if the sweep still runs, else from its results folder): the final table.
    await grnInTmux('again', ['dashboard', '--sweep', id, '--results', results]);
    const final = await waitForScreen('again', 'the final table', (t) => t.includes(' Final ') && /adam\s+sleep\s+0\.00% ± 0\.00\s+4\/4/.test(t), 60_000);
    assert.match(final, /sgd\s+sleep\s+0\.00% ± 0\.00\s+4\/4/);
    assert.match(final, new RegExp(`sweep ${id} done: 8 done, 0 failed, 0 cancelled of 8`));
    assert.match(final, /results \S+e2e-/);
    await tmux('send-keys', '-t', 'again', 'q');
    const after = await waitForScreen('again', 'the dashboard gone', (t) => t.includes('[grn exited'));
    assert.match(after, new RegExp(`sweep ${id} done: 8 done, 0 failed, 0 cancelled of 8; results in `));
    assert.match(after, /\[grn exited 0\]/);
  },
);
