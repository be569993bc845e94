import { createHash } from 'node:crypto';
import { parse as parseYaml } from 'yaml';
import { SweepSpecSchema } from './spec.js';

/**
 * What makes two specs the same sweep: the normalised spec (parsed, defaults filled in, keys
 * sorted), not its text — so comments, key order and spelled-out defaults do not count, while any
 * change to the grid, the parameters or the training settings does. Text that is not a valid spec
 * (a test's stub) falls back to the text itself.
 */
export function specIdentity(text: string): string {
  let canonical = `text:${text}`;
  try {
    const parsed = SweepSpecSchema.safeParse(parseYaml(text));
    if (parsed.success) canonical = `spec:${stableJson(parsed.data)}`;
  } catch {
    // not YAML: the text is the identity
  }
  return createHash('sha256').update(canonical).digest('hex');
}

/** JSON with object keys sorted at every level. */
export function stableJson(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) =>
    v && typeof v === 'object' && !Array.isArray(v) ? Object.fromEntries(Object.entries(v as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) : v,
  );
}
