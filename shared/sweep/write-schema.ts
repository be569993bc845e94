/**
 * Regenerates sweeps/schema.json from the spec schema: `npm run build && node dist/shared/sweep/write-schema.js`.
 * A test fails while the file is stale.
 */
import { writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { sweepJsonSchemaText } from './schema.js';

/** sweeps/schema.json, from this module's place in dist/shared/sweep/ (or shared/sweep/). */
export const SCHEMA_FILE = fileURLToPath(new URL(import.meta.url.includes('/dist/') ? '../../../sweeps/schema.json' : '../../sweeps/schema.json', import.meta.url));

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  await writeFile(SCHEMA_FILE, sweepJsonSchemaText());
  process.stdout.write(`wrote ${SCHEMA_FILE}\n`);
}
