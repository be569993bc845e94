import { z } from 'zod';
import { SweepSpecSchema } from './spec.js';

/** The id of sweeps/schema.json: a name, not a download location (editors use the file itself). */
export const SWEEP_SCHEMA_ID = 'urn:grn:sweep-spec';

/**
 * The sweep spec as JSON Schema (draft-07, which the YAML editor plugins understand best), for
 * completion and help in editors. It describes the input (defaults are optional). Names of
 * optimizers, data sets and hyper-parameters are checked at load time only: they come from the
 * engine's registries, which the schema file does not track.
 */
export function sweepJsonSchema(): Record<string, unknown> {
  const schema = z.toJSONSchema(SweepSpecSchema, { io: 'input', target: 'draft-7' }) as Record<string, unknown>;
  const { $schema, title, description, ...rest } = schema;
  return { $schema, $id: SWEEP_SCHEMA_ID, title, description, ...rest };
}

/** The exact text of sweeps/schema.json. */
export function sweepJsonSchemaText(): string {
  return `${JSON.stringify(sweepJsonSchema(), null, 2)}\n`;
}
