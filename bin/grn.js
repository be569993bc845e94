#!/usr/bin/env node
// The `grn` executable: runs the compiled CLI (npm ci / npm run build create dist/).
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const entry = new URL('../dist/orchestrator/cli/main.js', import.meta.url);
if (!existsSync(fileURLToPath(entry))) {
  process.stderr.write('grn: not built yet; run `npm ci` (or `npm run build`) in the project folder first\n');
  process.exit(1);
}
const { runFromCommandLine } = await import(entry.href);
await runFromCommandLine();
