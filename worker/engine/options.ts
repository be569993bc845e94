import type { z } from 'zod';

/**
 * Options checked against an entry's strict schema (a data set's, a format's, a model's): the
 * parsed options with defaults filled in, or one problem per bad entry naming the option, e.g.
 * "unknown option 'width' for model 'mlp' (known: hidden)" — `owner` is "model 'mlp'".
 */
export function checkOptions(schema: z.ZodObject, owner: string, given: Readonly<Record<string, unknown>>): { options: Record<string, unknown>; problems: string[] } {
  const parsed = schema.safeParse(given);
  if (parsed.success) return { options: parsed.data, problems: [] };
  const known = Object.keys(schema.shape);
  const problems = parsed.error.issues.map((issue) =>
    issue.code === 'unrecognized_keys'
      ? `unknown option ${issue.keys.map((k) => `'${k}'`).join(', ')} for ${owner} (${known.length ? `known: ${known.join(', ')}` : 'it takes none'})`
      : `${issue.path.join('.') || '(root)'}: ${issue.message}`,
  );
  return { options: { ...given }, problems };
}
