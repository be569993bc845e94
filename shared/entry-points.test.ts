import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { test } from 'node:test';
import { entryPoints } from './entry-points.js';

test('every file the program starts by path exists in the compiled tree', () => {
  for (const [name, url] of Object.entries(entryPoints)) assert.ok(existsSync(fileURLToPath(url)), `${name}: ${fileURLToPath(url)}`);
});
