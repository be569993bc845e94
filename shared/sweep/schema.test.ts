import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { test } from 'node:test';
import { sweepJsonSchema, sweepJsonSchemaText } from './schema.js';
import { SCHEMA_FILE } from './write-schema.js';

test('sweeps/schema.json matches the spec schema', async () => {
  const onDisk = await readFile(SCHEMA_FILE, 'utf8').catch(() => '');
  assert.ok(
    onDisk === sweepJsonSchemaText(),
    'sweeps/schema.json is stale or missing: regenerate it with `npm run build && node dist/shared/sweep/write-schema.js`',
  );
});

test('the JSON Schema describes the fields for editors', () => {
  const schema = sweepJsonSchema() as { $id: string; title: string; required: string[]; properties: Record<string, { description?: string }> };
  assert.equal(schema.$id, 'urn:grn:sweep-spec');
  assert.equal(schema.title, 'GradRetentionNet sweep spec');
  assert.deepEqual(schema.required, ['name', 'grid']);
  for (const key of ['name', 'grid', 'params', 'train', 'target', 'data_root', 'max_deliver']) assert.ok(schema.properties[key]?.description, key);
});
