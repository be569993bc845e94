import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { CASES } from './cases.js';
import { DOC, renderTable, tableInDoc } from './render.js';

/**
 * Every hostile input of test/hostile/cases.ts gets the error its row says: the kind (the error
 * class, the CLI's exit code, a report warning) and a message containing the expected text. An
 * input that throws anything untyped (a TypeError, a stack trace) fails its case as that error.
 */
const root = await mkdtemp(join(tmpdir(), 'grn-hostile-'));
after(() => rm(root, { recursive: true, force: true }));

test('the cases: at least 100, unique ids, every area', () => {
  assert.ok(CASES.length >= 100, `${CASES.length} cases`);
  assert.equal(new Set(CASES.map((c) => c.id)).size, CASES.length, 'unique ids');
  assert.deepEqual([...new Set(CASES.map((c) => c.area))].sort(), ['cli', 'data', 'results', 'spec', 'wire']);
});

for (const area of ['spec', 'data', 'wire', 'cli', 'results'] as const) {
  describe(`hostile ${area}`, () => {
    for (const c of CASES.filter((x) => x.area === area)) {
      test(c.id, async () => {
        const dir = await mkdtemp(join(root, `${c.id}-`));
        const seen = await c.run(dir);
        const message = seen.message.split(dir).join('');
        if (process.env.HOSTILE_PRINT) process.stdout.write(`@@ ${c.id}\t${seen.kind}\t${JSON.stringify(message)}\n`);
        assert.equal(seen.kind, c.kind, `${c.id}: ${seen.kind}: ${message}`);
        assert.ok(message.includes(c.expected), `${c.id}: expected the message to contain ${JSON.stringify(c.expected)}, got ${JSON.stringify(message)}`);
        assert.ok(!/\n\s+at .+:\d+:\d+\)?$/m.test(seen.message), `${c.id}: no stack trace in what the user sees`);
      });
    }
  });
}

test('docs/reliability.md holds the table of test/hostile/cases.ts (npm run -s docs:hostile rewrites it)', () => {
  const table = tableInDoc(readFileSync(DOC, 'utf8'));
  assert.ok(table !== null, 'docs/reliability.md has the hostile-input markers');
  assert.equal(table, renderTable(CASES), 'the table is out of date: run `npm run build && npm run -s docs:hostile`');
});
