import assert from 'node:assert/strict';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { render } from 'ink-testing-library';
import { Dashboard, type ExitKind } from './app.js';
import { Launcher } from './panels/launcher.js';
import type { SweepControl } from './state/control.js';
import { DashboardStore } from './state/store.js';
import { cell, nodeRecord, plan, step, sweepRecord } from './test-fixtures.js';

/**
 * The dashboard's components through Ink (ink-testing-library): what the grid, nodes, trial,
 * events and final panels show for a store's state, and what keys do. The store is fed directly,
 * as the NATS feed would; the sweep control is a fake that records calls.
 */

const ARROW_DOWN = '\u001B[B';
const ARROW_RIGHT = '\u001B[C';
const ENTER = '\r';

async function waitFor(frame: () => string | undefined, predicate: (text: string) => boolean, what: string): Promise<string> {
  const deadline = Date.now() + 3000;
  for (;;) {
    const text = frame() ?? '';
    if (predicate(text)) return text;
    if (Date.now() > deadline) assert.fail(`timed out waiting for ${what}; last frame:\n${text}`);
    await sleep(20);
  }
}

/** A control that records what was asked and moves the sweep's status as the server would. */
function fakeControl(store: DashboardStore, refuse?: Error) {
  const calls: string[] = [];
  const control: SweepControl = {
    async setStatus(status) {
      calls.push(`status ${status}`);
      if (refuse) throw refuse;
      store.applySweep({ ...store.sweep!, status });
    },
    async retry(cells) {
      calls.push(`retry ${cells.join(',')}`);
      return cells.length;
    },
  };
  return { control, calls };
}

function demoStore(): DashboardStore {
  const store = new DashboardStore('sw');
  store.setPlan(plan(['sgd', 'adam', 'enhanced-sgd'], ['mnist', 'cifar-10'], [1, 2, 3]));
  store.applySweep(sweepRecord('running', 18));
  store.setConnection('connected', 'nats://127.0.0.1:4222');
  return store;
}

function mount(store: DashboardStore, opts: { columns?: number; rows?: number; refuse?: Error } = {}) {
  const { control, calls } = fakeControl(store, opts.refuse);
  const exits: ExitKind[] = [];
  const ink = render(<Dashboard store={store} control={control} reattach="grn dashboard --sweep sw" onExit={(how) => exits.push(how)} size={{ columns: opts.columns ?? 100, rows: opts.rows ?? 34 }} />);
  return { ...ink, calls, exits, frame: () => ink.lastFrame() };
}

test('grid: each cell shows its seeds as done / running / queued / failed and the mean final accuracy', async () => {
  const store = demoStore();
  store.applyCell(cell('sgd-mnist-s1', 'done', { final_score: 0.9 }));
  store.applyCell(cell('sgd-mnist-s2', 'done', { final_score: 0.8 }));
  store.applyCell(cell('sgd-mnist-s3', 'running', { node: 'n1', slot: 'cpu0' }));
  store.applyCell(cell('adam-mnist-s1', 'failed', { error: 'boom' }));
  store.applyCell(cell('adam-mnist-s2', 'done', { final_score: 0.95 }));
  const ui = mount(store);
  try {
    const text = await waitFor(ui.frame, (t) => t.includes('Grid'), 'the grid');
    const row = (label: string) => text.split('\n').find((l) => l.slice(1).startsWith(`${label} `))!;
    assert.match(row('sgd'), /^▸sgd\s+▸✓✓▶\s+85\.0%\s+···\s+—/, 'the selected row and cell are marked');
    assert.match(row('adam'), /✗✓·\s+95\.0%/);
    assert.match(row('enhanced-sgd'), /···\s+—\s+···\s+—/);
    assert.match(text, /mnist\s+cifar-10/);
    assert.match(text, /RUNNING/);
    assert.match(text, /3\/18 done · 1 running · 13 queued · 1 failed/);
    // The selected cell's seeds and the running one's detail.
    assert.match(text, /Trial\s+sgd-mnist-s3 ▶ running · n1\/cpu0/);
    assert.match(text, / s1\s+✓ 90\.0%/);
    assert.match(text, /▸s3\s+▶ #1 n1/, 'the trial shown is marked among the seeds');
  } finally {
    ui.unmount();
  }
});

test('a node joining shows in the nodes panel (GPU, utilisation, VRAM, temperature, power, trial) and the events', async () => {
  const store = demoStore();
  const ui = mount(store);
  try {
    await waitFor(ui.frame, (t) => t.includes('no worker nodes registered yet'), 'the empty nodes panel');
    store.applyCell(cell('sgd-mnist-s1', 'running', { node: 'gpu-box', slot: 'gpu0' }));
    store.applyNode('gpu-box', nodeRecord('gpu-box', [{ slot: 'gpu0', device: 0 }]));
    store.applyGpuMetrics({ node: 'gpu-box', gpu: 0, name: 'NVIDIA H100', utilisation_pct: 87, vram_used_mb: 40_960, vram_total_mb: 81_920, temperature_c: 65, power_w: 310, at: new Date().toISOString() });
    store.applyTelemetry(step('sgd-mnist-s1', { loss: 0.5, samples_per_s: 1234 }));
    const text = await waitFor(ui.frame, (t) => t.includes('node gpu-box joined'), 'the join event');
    assert.match(text, /● gpu-box/);
    assert.match(text, /gpu0\s+H100\s+87%\s+\S+ 40\.0\/80\.0G 65°C 310W sgd-mnist-s1\s+1234\/s/);
    assert.match(text, /Nodes\s+1 live/);
  } finally {
    ui.unmount();
  }
});

test('a failed cell: ✗ in the grid, the error in the events and in its seed list', async () => {
  const store = demoStore();
  const ui = mount(store);
  try {
    store.applyCell(cell('sgd-mnist-s2', 'running'));
    store.applyCell(cell('sgd-mnist-s2', 'failed', { attempt: 3, error: 'DataFileError: train-images missing' }));
    const text = await waitFor(ui.frame, (t) => t.includes('FAILED'), 'the failure event');
    assert.match(text, /✗ sgd-mnist-s2 FAILED after 3 attempt\(s\): DataFileError: train-images missing/);
    assert.match(text, /sgd\s+▸·✗·/);
    assert.match(text, /s2\s+✗ DataFileError/);
  } finally {
    ui.unmount();
  }
});

test('keys: p pauses and resumes, c asks then cancels, r retries the failed cells, q asks then leaves the sweep running', async () => {
  const store = demoStore();
  store.applyCell(cell('adam-mnist-s1', 'failed', { error: 'boom' }));
  store.applyCell(cell('adam-cifar-10-s3', 'failed', { error: 'boom' }));
  const ui = mount(store);
  try {
    await waitFor(ui.frame, (t) => t.includes('RUNNING'), 'the first frame');
    ui.stdin.write('p');
    await waitFor(ui.frame, (t) => t.includes('PAUSED') && t.includes('paused: no new cells'), 'paused');
    ui.stdin.write('p');
    await waitFor(ui.frame, (t) => t.includes('RUNNING') && t.includes('resumed'), 'resumed');

    ui.stdin.write('c');
    await waitFor(ui.frame, (t) => t.includes('Cancel sweep sw?'), 'the confirmation');
    ui.stdin.write('n');
    await waitFor(ui.frame, (t) => !t.includes('Cancel sweep sw?'), 'the confirmation closed');
    assert.ok(!ui.calls.includes('status cancelled'), 'n keeps the sweep');

    ui.stdin.write('r');
    await waitFor(ui.frame, (t) => t.includes('re-queued 2 failed cell(s)'), 'the retry notice');
    assert.ok(ui.calls.includes('retry adam-mnist-s1,adam-cifar-10-s3'));

    ui.stdin.write('q');
    await waitFor(ui.frame, (t) => t.includes('leave sweep sw running in the background'), 'the quit question');
    assert.match(ui.frame()!, /grn dashboard --sweep sw/);
    ui.stdin.write('l');
    await waitFor(() => String(ui.exits.length), (n) => n === '1', 'the exit');
    assert.deepEqual(ui.exits, ['left']);

    ui.stdin.write('c');
    await waitFor(ui.frame, (t) => t.includes('Cancel sweep sw?'), 'the confirmation');
    ui.stdin.write('y');
    await waitFor(ui.frame, (t) => t.includes('CANCELLED'), 'cancelled');
    assert.deepEqual(ui.calls, ['status paused', 'status running', 'retry adam-mnist-s1,adam-cifar-10-s3', 'status cancelled']);
  } finally {
    ui.unmount();
  }
});

test('moving over the grid and into the seeds picks the trial shown, with its sparklines and EnhancedSGD controller', async () => {
  const store = demoStore();
  store.applyCell(cell('enhanced-sgd-cifar-10-s2', 'running', { node: 'n1', slot: 'cpu0' }));
  for (let i = 0; i < 20; i++) {
    store.applyTelemetry({
      ...step('enhanced-sgd-cifar-10-s2', { epoch: 1, epochs: 2, batch: i, batches: 100, loss: 2 - i * 0.05, lr: 0.01 + i * 0.001, momentum: 0.9, grad_var: 0.1, entropy: 3, epsilon: 0.05, mix_prob: 0.3, action: 'lr×1.05 mom+0.005', samples_per_s: 500 }),
    });
  }
  const ui = mount(store);
  try {
    await waitFor(ui.frame, (t) => t.includes('Grid'), 'the grid');
    ui.stdin.write(ARROW_DOWN);
    ui.stdin.write('j');
    ui.stdin.write(ARROW_RIGHT);
    const text = await waitFor(ui.frame, (t) => t.includes('enhanced-sgd-cifar-10-s2 ▶'), 'the running EnhancedSGD trial');
    assert.match(text, /epoch 2\/2 batch 19\/100 · 500\/s/);
    assert.match(text, /loss\s+█[█▇▆▅▄▃▂▁]*▁\s+1\.0500/);
    assert.match(text, /lr\s+▁\S+\s+0\.0290/);
    assert.match(text, /EnhancedSGD ε 0\.0500 mix_prob 0\.3000 action lr×1\.05 mom\+0\.005/);
    // Into the seeds: up/down picks another seed of the cell.
    ui.stdin.write(ENTER);
    ui.stdin.write('k');
    await waitFor(ui.frame, (t) => t.includes('enhanced-sgd-cifar-10-s1 · queued'), 'seed 1 selected');
  } finally {
    ui.unmount();
  }
});

test('read-only: a refused pause is shown and later actions are not tried', async () => {
  const refusal = Object.assign(new Error('Permissions Violation for Publish to "$KV.grn-sweeps.sw"'), { name: 'PermissionViolationError' });
  const store = demoStore();
  const ui = mount(store, { refuse: refusal });
  try {
    await waitFor(ui.frame, (t) => t.includes('RUNNING'), 'the first frame');
    ui.stdin.write('p');
    const text = await waitFor(ui.frame, (t) => t.includes('[read-only]'), 'read-only');
    assert.match(text, /the server refused to pause \(these credentials may only watch\)/);
    ui.stdin.write('p');
    // Keys are handled in order: once the help that '?' opens is on screen, the second 'p' has
    // been handled too, so "not asked again" is checked after the fact, not after a long-enough wait.
    ui.stdin.write('?');
    await waitFor(ui.frame, (t) => t.includes('any key closes this help'), 'the help after the second p');
    assert.deepEqual(ui.calls, ['status paused'], 'not asked again');
  } finally {
    ui.unmount();
  }
});

test('80×24: the frame fits (23 lines, 80 columns) with every panel present; / filters the grid', async () => {
  const store = demoStore();
  store.applyNode('n1', nodeRecord('n1', [{ slot: 'cpu0' }, { slot: 'cpu1' }]));
  store.applyCell(cell('sgd-mnist-s1', 'done', { final_score: 0.9 }));
  const ui = mount(store, { columns: 80, rows: 24 });
  try {
    const text = await waitFor(ui.frame, (t) => t.includes('Events'), 'the layout');
    const lines = text.split('\n');
    assert.ok(lines.length <= 23, `${lines.length} lines`);
    for (const line of lines) assert.ok([...line].length <= 80, `too wide: '${line}'`);
    for (const panel of ['Grid', 'Nodes', 'Trial', 'Events']) assert.match(text, new RegExp(` ${panel} `));
    ui.stdin.write('/');
    for (const ch of 'adam') ui.stdin.write(ch);
    const filtered = await waitFor(ui.frame, (t) => t.includes('filter: adam'), 'the filter');
    assert.doesNotMatch(filtered, /^.sgd /m);
    assert.match(filtered, /^▸adam /m);
  } finally {
    ui.unmount();
  }
});

test('final screen: per optimizer × data set mean ± std over seeds and n, the results folder and report', async () => {
  const store = demoStore();
  store.resultsDir = 'results/sw';
  for (const [id, acc] of [['sgd-mnist-s1', 0.9], ['sgd-mnist-s2', 0.8], ['sgd-mnist-s3', 0.85], ['adam-mnist-s1', 0.95]] as const) store.applyCell(cell(id, 'done', { final_score: acc }));
  store.applyCell(cell('adam-mnist-s2', 'failed', { error: 'x' }));
  store.setReportPath('results/sw/report.md');
  store.applySweep(sweepRecord('failed', 18));
  const ui = mount(store);
  try {
    const text = await waitFor(ui.frame, (t) => t.includes('Final'), 'the final table');
    assert.match(text, /sweep sw failed: 4 done, 1 failed, 0 cancelled of 18/);
    assert.match(text, /sgd\s+mnist\s+85\.00% ± 5\.00\s+3\/3/);
    assert.match(text, /adam\s+mnist\s+95\.00%\s+1\/3 1 failed/);
    assert.match(text, /results results\/sw/);
    assert.match(text, /report\s+results\/sw\/report\.md/);
    ui.stdin.write('g');
    await waitFor(ui.frame, (t) => t.includes(' Grid '), 'back to the grid');
    ui.stdin.write('q');
    await waitFor(() => ui.exits.join(), (t) => t === 'final', 'quit at once');
  } finally {
    ui.unmount();
  }
});

test('launcher: specs with their cell counts (bad ones with the error), local workers adjusted, enter launches', async () => {
  const launched: string[] = [];
  const specs = [
    { path: 'sweeps/bad.yaml', error: 'sweeps/bad.yaml:3:5: grid.optimizer[1]: unknown optimizer' },
    { path: 'sweeps/quick.yaml', name: 'quick', cells: 6, headline: 'quick: 6 cells (3 optimizer variants × 1 data set × 2 seeds)' },
  ];
  const ui = render(
    <Launcher
      specsDir="sweeps"
      loadSpecs={async () => specs}
      describe={async (path) => ({ path, error: 'no such file' })}
      workers="auto"
      onLaunch={(spec, workers) => launched.push(`${spec} ${workers}`)}
      onQuit={() => launched.push('quit')}
      width={100}
      height={20}
    />,
  );
  try {
    const text = await waitFor(() => ui.lastFrame(), (t) => t.includes('quick: 6 cells'), 'the spec list');
    assert.match(text, /bad\.yaml\s+sweeps\/bad\.yaml:3:5: grid\.optimizer\[1\]: unknown optimizer/);
    ui.stdin.write(ENTER); // the bad spec: nothing
    ui.stdin.write(ARROW_DOWN);
    ui.stdin.write(ARROW_RIGHT);
    ui.stdin.write(ARROW_RIGHT);
    await waitFor(() => ui.lastFrame(), (t) => t.includes('◂ 1 ▸'), 'one local worker');
    ui.stdin.write(ENTER);
    await waitFor(() => launched.join(), (t) => t === 'sweeps/quick.yaml 1', 'the launch');
    // The typed-path row: letters are text there, not commands.
    ui.stdin.write(ARROW_DOWN);
    for (const ch of 'my/q.yaml') ui.stdin.write(ch);
    await waitFor(() => ui.lastFrame(), (t) => t.includes('my/q.yaml▌'), 'the typed path');
    ui.stdin.write(ENTER);
    await waitFor(() => ui.lastFrame(), (t) => t.includes('no such file'), 'the typed spec checked');
    assert.deepEqual(launched, ['sweeps/quick.yaml 1']);
  } finally {
    ui.unmount();
  }
});
