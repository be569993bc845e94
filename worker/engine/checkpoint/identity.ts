import { createHash } from 'node:crypto';
import type { TrialConfig } from '../../../shared/trial.js';
import { CheckpointError } from './errors.js';

/**
 * What makes two runs the same training, so a checkpoint of one may continue the other: the trial
 * config less what only says where or how it runs (device, local data path, backend, how often to
 * checkpoint), the optimizer's full hyper-parameters (defaults move between versions) and the
 * data's checksums (the same name may hold other files on another machine).
 */
export type TrialIdentity = Record<string, unknown>;

const WHERE_NOT_WHAT = new Set<keyof TrialConfig>(['deviceIndex', 'dataDir', 'backend', 'checkpointEvery']);

export function trialIdentity(config: TrialConfig, hyperparameters: Readonly<Record<string, unknown>>, dataSha256: Readonly<Record<string, string>>): TrialIdentity {
  const fields: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(config)) if (!WHERE_NOT_WHAT.has(key as keyof TrialConfig) && value !== undefined) fields[key] = value;
  fields.hyperparameters = { ...hyperparameters };
  fields.data_sha256 = { ...dataSha256 };
  return canonical(fields) as TrialIdentity;
}

/** A short digest of an identity, for names and logs. */
export function identityHash(identity: TrialIdentity): string {
  return createHash('sha256').update(JSON.stringify(identity)).digest('hex').slice(0, 16);
}

/** Refuses a checkpoint of another trial, naming the fields that differ. */
export function checkIdentity(saved: unknown, expected: TrialIdentity): void {
  if (saved === null || typeof saved !== 'object') throw new CheckpointError('corrupt', 'it names no trial');
  const got = canonical(saved) as Record<string, unknown>;
  const keys = [...new Set([...Object.keys(got), ...Object.keys(expected)])].sort();
  const differ = keys.filter((k) => JSON.stringify(got[k]) !== JSON.stringify(expected[k]));
  if (differ.length === 0) return;
  const shown = differ.slice(0, 4).map((k) => `${k}: checkpoint ${brief(got[k])}, trial ${brief(expected[k])}`);
  throw new CheckpointError('foreign-trial', `it is of another trial (${shown.join('; ')}${differ.length > 4 ? `; ${differ.length - 4} more` : ''})`);
}

/** Keys sorted at every level, so the same identity always serialises to the same text. */
function canonical(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(canonical);
  if (value === null || typeof value !== 'object') return value;
  return Object.fromEntries(
    Object.keys(value)
      .sort()
      .map((k) => [k, canonical((value as Record<string, unknown>)[k])]),
  );
}

function brief(value: unknown): string {
  const text = value === undefined ? 'absent' : JSON.stringify(value);
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}
