#!/usr/bin/env node
// The `grn` executable: runs the compiled CLI (npm ci / npm run build create dist/).
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const entry = new URL('../dist/orchestrator/cli/main.js', import.meta.url);
if (!existsSync(fileURLToPath(entry))) {
  process.stderr.write('grn: not built yet; run `npm ci` (or `npm run build`) in the project folder first\n');
  process.exit(1);
}
// `grn sweep status ID | head` closes the pipe early: that is not an error.
process.stdout.on('error', (err) => {
  if (err.code === 'EPIPE') process.exit(0);
  throw err;
});
const { main } = await import(entry.href);
process.exitCode = await main(process.argv.slice(2));
