import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { TuningRecordSchema, type TuningRecord } from '../../../shared/sweep/tuning/index.js';

/**
 * A tuned sweep's tuning.json (orchestrator/sweep/tuning-stage.ts writes it), or null without one.
 * One that cannot be read is said in `warnings` and leaves the report without its Tuning section.
 */
export async function loadTuning(root: string, warnings: string[]): Promise<TuningRecord | null> {
  const path = join(root, 'tuning.json');
  if (!existsSync(path)) return null;
  let raw: unknown;
  try {
    raw = JSON.parse(await readFile(path, 'utf8'));
  } catch (err) {
    warnings.push(`tuning.json is not readable (${(err as Error).message.split('\n')[0]}): no Tuning section`);
    return null;
  }
  const parsed = TuningRecordSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    warnings.push(`tuning.json is not a tuning record (${issue ? `${issue.path.join('.') || 'top'}: ${issue.message}` : 'invalid'}): no Tuning section`);
    return null;
  }
  return parsed.data;
}
