import assert from 'node:assert/strict';
import { test } from 'node:test';
import { CHROME_LINES, computeLayout, WIDE_COLUMNS } from './layout.js';

/** Panel sizes for terminal sizes: everything fits, nothing overflows. */

const content = { gridLines: 40, nodeLines: 30 };

function used(layout: ReturnType<typeof computeLayout>) {
  const p = layout.panels;
  if (layout.arrangement === 'columns') return Math.max((p.grid?.height ?? 0) + (p.trial?.height ?? 0), (p.nodes?.height ?? 0) + (p.events?.height ?? 0));
  return Object.values(p).reduce((a, b) => a + (b?.height ?? 0), 0);
}

test('80×24: one column, every panel present, the body exactly filled, one line spare for Ink', () => {
  const l = computeLayout(80, 24, null, content);
  assert.equal(l.arrangement, 'stack');
  assert.equal(l.height, 23);
  assert.equal(used(l), l.body);
  assert.equal(l.body + CHROME_LINES, l.height);
  for (const [name, box] of Object.entries(l.panels)) {
    assert.ok(box && box.height >= 2, `${name} has its title and at least one line`);
    assert.ok(box.width <= 80);
  }
  assert.ok(l.panels.trial!.height >= 7, 'sparklines keep their rows');
});

test('wide terminals put the panels in two columns; small grids and node lists take only what they need', () => {
  const l = computeLayout(WIDE_COLUMNS + 40, 50, null, content);
  assert.equal(l.arrangement, 'columns');
  assert.equal(used(l), l.body);
  assert.ok(l.panels.grid!.width + l.panels.nodes!.width < WIDE_COLUMNS + 40);
  const small = computeLayout(100, 40, null, { gridLines: 4, nodeLines: 3 });
  assert.equal(small.panels.grid!.height, 4);
  assert.equal(small.panels.nodes!.height, 3);
  assert.equal(used(small), small.body, 'events take the rest');
});

test('tab zoom: one panel gets the whole body', () => {
  const l = computeLayout(80, 24, 'nodes', content);
  assert.deepEqual(l.panels.nodes, { width: 80, height: l.body });
  assert.equal(l.panels.grid, null);
});
