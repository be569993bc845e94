import type { ObjectStore } from '@nats-io/obj';
import { TrialResultSchema, type TrialResult } from '../result.js';
import { decodeJson, ResultRecordSchema, type ResultRecord } from './messages.js';
import { cellKey } from './names.js';

const decoder = new TextDecoder();

/** Where an attempt's files go in the Object Store: each attempt its own names, so none overwrites another's. */
export function attemptObjectPrefix(sweep: string, cell: string, attempt: number, node: string): string {
  return `${sweep}/${cell}/attempt-${attempt}-${node}-`;
}

/** A stored result as read back: the record and its whole trial result, or why it cannot be used. */
export type StoredResult = { readonly record: ResultRecord; readonly result: TrialResult } | { readonly unreadable: string };

/**
 * Reads a `grn-results` value as the orchestrator and the workers must both judge it: a record of
 * the right shape, for the cell its key names, whose trial result (inline, or in the Object Store)
 * is a valid result. Anything else — not JSON, another cell's record, a result that is missing or
 * malformed — is unreadable, with the reason: it does not count as the cell's result.
 */
export async function readStoredResult(key: string, value: Uint8Array, artifacts: ObjectStore): Promise<StoredResult> {
  let record: ResultRecord;
  try {
    record = decodeJson(ResultRecordSchema, value, `result ${key}`);
  } catch (err) {
    return { unreadable: (err as Error).message };
  }
  if (cellKey(record.sweep, record.cell) !== key) return { unreadable: `result ${key}: the record names cell ${cellKey(record.sweep, record.cell)}` };
  let raw: unknown = record.result;
  if (record.object) {
    const blob = await artifacts.getBlob(record.object).catch((err: Error) => {
      throw new Error(`result ${key}: reading ${record.object} from the Object Store: ${err.message}`);
    });
    if (!blob) return { unreadable: `result ${key}: its object ${record.object} is not in the Object Store` };
    try {
      raw = JSON.parse(decoder.decode(blob));
    } catch (err) {
      return { unreadable: `result ${key}: object ${record.object} is not JSON (${(err as Error).message})` };
    }
  }
  const parsed = TrialResultSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    return { unreadable: `result ${key}: not a trial result (${issue ? `${issue.path.join('.') || '(root)'}: ${issue.message}` : 'invalid'})` };
  }
  return { record, result: parsed.data };
}
