import assert from 'node:assert/strict';
import { test } from 'node:test';
import { initialUi, reduceKey, splitKeys, type KeyContext, type KeyInfo, type UiState } from './keys.js';

/** The key reducer alone: what each key does to the UI state and which action it asks for. */

const ctx: KeyContext = { rows: 3, cols: 2, seeds: 4, sweepStatus: 'running', final: false, page: 2 };

function press(keys: Array<string | KeyInfo>, start: UiState = initialUi, context: KeyContext = ctx) {
  let state = start;
  const effects: unknown[] = [];
  for (const k of keys) {
    const r = typeof k === 'string' ? reduceKey(state, k, {}, context) : reduceKey(state, '', k, context);
    state = r.state;
    if (r.effect) effects.push(r.effect);
  }
  return { state, effects };
}

test('arrows and hjkl move over the grid within its bounds; enter moves into the seeds and back', () => {
  assert.deepEqual(pick(press(['j', 'j', 'j', 'l', 'l']).state), { row: 2, col: 1 });
  assert.deepEqual(pick(press([{ downArrow: true }, { rightArrow: true }, { upArrow: true }, { leftArrow: true }, 'k', 'h']).state), { row: 0, col: 0 });
  const seeds = press([{ return: true }, 'j', 'j', 'j', 'j', 'j']).state;
  assert.equal(seeds.focus, 'seeds');
  assert.equal(seeds.seed, 3, 'clamped to the last seed');
  assert.equal(press([{ escape: true }], seeds).state.focus, 'grid');
});

function pick(s: UiState) {
  return { row: s.row, col: s.col };
}

test('p pauses a running sweep and resumes a paused one; a finished sweep only says so', () => {
  assert.deepEqual(press(['p']).effects, [{ kind: 'status', status: 'paused' }]);
  assert.deepEqual(press(['p'], initialUi, { ...ctx, sweepStatus: 'paused' }).effects, [{ kind: 'status', status: 'running' }]);
  assert.deepEqual(press(['p'], initialUi, { ...ctx, sweepStatus: 'done', final: true }).effects, [{ kind: 'notice', text: 'the sweep is done' }]);
});

test('c asks first: y cancels, anything else keeps the sweep', () => {
  const asked = press(['c']);
  assert.equal(asked.state.overlay, 'confirm-cancel');
  assert.deepEqual(asked.effects, []);
  assert.deepEqual(press(['y'], asked.state).effects, [{ kind: 'status', status: 'cancelled' }]);
  const kept = press(['n'], asked.state);
  assert.deepEqual([kept.state.overlay, kept.effects], [null, []]);
});

test('r retries; q asks whether to leave the sweep running or cancel it; ctrl-c detaches', () => {
  assert.deepEqual(press(['r']).effects, [{ kind: 'retry' }]);
  const asked = press(['q']);
  assert.equal(asked.state.overlay, 'quit');
  assert.deepEqual(press(['l'], asked.state).effects, [{ kind: 'quit', cancel: false }]);
  assert.deepEqual(press(['c'], asked.state).effects, [{ kind: 'quit', cancel: true }]);
  assert.deepEqual(press([{ escape: true }], asked.state).effects, []);
  assert.deepEqual(press(['q'], initialUi, { ...ctx, final: true, sweepStatus: 'done' }).effects, [{ kind: 'quit', cancel: false }], 'nothing left to run: quit at once');
  assert.deepEqual(reduceKey(initialUi, 'c', { ctrl: true }, ctx).effect, { kind: 'quit', cancel: false });
});

test('/ types a filter (keys are text then, not commands); enter keeps it, esc clears it', () => {
  const typing = press(['/', 'a', 'd', 'q', { backspace: true }, 'a']);
  assert.deepEqual([typing.state.filter, typing.state.filtering, typing.effects], ['ada', true, []]);
  const kept = press([{ return: true }], typing.state).state;
  assert.deepEqual([kept.filter, kept.filtering], ['ada', false]);
  assert.equal(press(['/', { escape: true }], kept).state.filter, '');
});

test('? opens help and any key closes it; tab cycles the panel shown alone', () => {
  const help = press(['?']).state;
  assert.equal(help.overlay, 'help');
  assert.equal(press(['p'], help).state.overlay, null);
  assert.deepEqual(press(['p'], help).effects, [], 'the closing key does nothing else');
  const zooms = [1, 2, 3, 4, 5].map((n) => press(Array.from({ length: n }, () => ({ tab: true }))).state.zoom);
  assert.deepEqual(zooms, ['grid', 'nodes', 'trial', 'events', null]);
});

test('keys that arrive in one chunk are split into single presses', () => {
  assert.deepEqual(splitKeys('jj', {}), [{ input: 'j', key: {} }, { input: 'j', key: {} }]);
  assert.deepEqual(splitKeys('\t\r', {}), [{ input: '', key: { tab: true } }, { input: '', key: { return: true } }]);
  assert.deepEqual(splitKeys('p', {}), [{ input: 'p', key: {} }]);
  assert.deepEqual(splitKeys('', { upArrow: true }), [{ input: '', key: { upArrow: true } }]);
});
