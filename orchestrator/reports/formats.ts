import { UsageError } from '../../shared/errors.js';

/**
 * Outputs of `grn report`; `tensorboard` is the per-step telemetry export. Apart from report.ts
 * so that the CLI can describe and check `--format` without loading the report's plotting stack
 * (vega, resvg), which it imports only when a report is written.
 */
export const FORMATS = ['md', 'html', 'csv', 'json', 'tex', 'tensorboard'] as const;
export type Format = (typeof FORMATS)[number];

export function parseFormats(text: string): Format[] {
  const names = text.split(',').map((s) => s.trim().toLowerCase()).filter(Boolean);
  const bad = names.filter((n) => !(FORMATS as readonly string[]).includes(n));
  if (bad.length || names.length === 0) throw new UsageError(`--format: unknown format${bad.length > 1 ? 's' : ''} ${bad.map((b) => `'${b}'`).join(', ') || "''"}; known: ${FORMATS.join(', ')}`);
  return [...new Set(names)] as Format[];
}
