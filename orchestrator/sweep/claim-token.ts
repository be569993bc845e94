import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { isRevisionConflict } from '../../shared/protocol/cell-store.js';
import type { Stores } from './infrastructure.js';

/**
 * Claim tokens: each trial message carries HMAC-SHA256(sweep key, "<sweep>.<cell>"), and the
 * acceptor takes a result only with its cell's token. The sweep key lives in `grn-keys`, a bucket
 * no worker or viewer may read, so a worker learns a cell's token only by being delivered that
 * cell (inboxes are per node, so not by listening to another's deliveries either). A resumed
 * orchestrator reads the same key back, and tokens of messages published before stay valid.
 */
export interface ClaimTokens {
  token(cell: string): string;
  verify(cell: string, token: string | undefined): boolean;
}

const encoder = new TextEncoder();

export function claimTokens(sweep: string, key: Uint8Array): ClaimTokens {
  const token = (cell: string) => createHmac('sha256', key).update(`${sweep}.${cell}`).digest('base64url');
  return {
    token,
    verify(cell, given) {
      if (typeof given !== 'string') return false;
      const want = encoder.encode(token(cell));
      const got = encoder.encode(given);
      return want.length === got.length && timingSafeEqual(want, got);
    },
  };
}

/** The sweep's key: created once (create-if-absent, so two orchestrators agree), then read. */
export async function sweepClaimTokens(stores: Pick<Stores, 'keys'>, sweep: string): Promise<ClaimTokens> {
  for (let tries = 0; tries < 3; tries++) {
    const entry = await stores.keys.get(sweep);
    if (entry && entry.operation === 'PUT' && entry.length > 0) return claimTokens(sweep, entry.value);
    try {
      const key = randomBytes(32);
      await stores.keys.create(sweep, key);
      return claimTokens(sweep, key);
    } catch (err) {
      if (!isRevisionConflict(err)) throw err;
    }
  }
  throw new Error(`sweep ${sweep}: could not read or create its claim-token key`);
}
