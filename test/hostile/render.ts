import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { HostileCase } from './cases.js';

/**
 * The hostile-input table of docs/reliability.md, rendered from test/hostile/cases.ts between the
 * markers below: `npm run -s docs:hostile` rewrites it, and hostile.test.ts fails when it is stale.
 */
export const START = '<!-- hostile-input:start -->';
export const END = '<!-- hostile-input:end -->';
export const DOC = fileURLToPath(new URL('../../../docs/reliability.md', import.meta.url));

const cell = (text: string) => text.replace(/\|/g, '\\|').replace(/\n/g, ' ');
const code = (text: string) => (text.includes('`') ? cell(text) : `\`${cell(text)}\``);

export function renderTable(cases: readonly HostileCase[]): string {
  const counts = new Map<string, number>();
  for (const c of cases) counts.set(c.area, (counts.get(c.area) ?? 0) + 1);
  const summary = [...counts].map(([area, n]) => `${area} ${n}`).join(', ');
  const rows = cases.map((c) => `| ${c.id} | ${c.area} | ${cell(c.input)} | ${cell(c.kind === 'ok' ? 'no error' : c.kind)} | ${c.expected === '' ? '—' : code(c.expected)} |`);
  return [
    START,
    `<!-- generated from test/hostile/cases.ts by \`npm run -s docs:hostile\`; do not edit by hand -->`,
    '',
    `${cases.length} cases (${summary}).`,
    '',
    '| id | area | input | what the user gets | message (contains) |',
    '|---|---|---|---|---|',
    ...rows,
    END,
  ].join('\n');
}

/** The document with its table replaced (or, without markers, appended under a Hostile input heading). */
export function withTable(doc: string, table: string): string {
  const start = doc.indexOf(START);
  const end = doc.indexOf(END);
  if (start >= 0 && end > start) return doc.slice(0, start) + table + doc.slice(end + END.length);
  return `${doc.replace(/\n*$/, '\n')}\n## Hostile input\n\n${table}\n`;
}

/** The table as docs/reliability.md holds it, or null when the markers are missing. */
export function tableInDoc(doc: string): string | null {
  const start = doc.indexOf(START);
  const end = doc.indexOf(END);
  return start >= 0 && end > start ? doc.slice(start, end + END.length) : null;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const { CASES } = await import('./cases.js');
  writeFileSync(DOC, withTable(readFileSync(DOC, 'utf8'), renderTable(CASES)));
  process.stderr.write(`${DOC}: hostile-input table of ${CASES.length} cases written\n`);
}
