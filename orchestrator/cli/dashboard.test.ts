import assert from 'node:assert/strict';
import { execaNode } from 'execa';
import { fileURLToPath } from 'node:url';
import { test } from 'node:test';

/** `grn dashboard` without a terminal: no Ink, a clear refusal pointing to `grn sweep run`. */
const GRN = fileURLToPath(new URL('../../../bin/grn.js', import.meta.url));

test('grn dashboard refuses without a terminal and names grn sweep run; grn alone prints its usage', async () => {
  const refused = await execaNode(GRN, ['dashboard', 'sweeps/quick.yaml'], { reject: false, stdin: 'pipe' });
  assert.equal(refused.exitCode, 2);
  assert.match(refused.stderr, /grn dashboard needs a terminal .*run `grn sweep run SPEC`, which prints one line per event/);
  assert.equal(refused.stdout, '');
  const bare = await execaNode(GRN, [], { reject: false, stdin: 'pipe' });
  assert.match(`${bare.stdout}${bare.stderr}`, /Usage: grn/);
  assert.match(`${bare.stdout}${bare.stderr}`, /dashboard/);
});
