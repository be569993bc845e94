import type { NatsConnection } from '@nats-io/transport-node';
import { ensureStores } from '../../sweep/infrastructure.js';
import { setSweepStatus } from '../../sweep/publish.js';
import { retryFailedCells } from '../../sweep/retry.js';
import type { DashboardStore } from './store.js';

/** What the dashboard's keys do to the sweep. The app only sees this interface (tests fake it). */
export interface SweepControl {
  /** `p`: stop / resume handing out cells; `c`: cancel (queued cells dropped, running ones abort). */
  setStatus(status: 'paused' | 'running' | 'cancelled'): Promise<void>;
  /** `r`: re-queue these failed cells; returns how many were re-queued. */
  retry(cells: readonly string[]): Promise<number>;
}

/**
 * A refusal by the server's permissions: the client rejects the request with a
 * PermissionViolationError (sometimes wrapped by the JetStream layer, hence the cause and the
 * message test). With it the dashboard knows it is a viewer, not a pilot.
 */
export function isPermissionError(err: unknown): boolean {
  for (let e = err as (Error & { cause?: unknown }) | undefined, depth = 0; e && depth < 4; e = e.cause as typeof e, depth++) {
    if (e.name === 'PermissionViolationError' || /permissions? violation|authorization violation|not authorized/i.test(e.message ?? '')) return true;
  }
  return false;
}

/** The real thing: status changes in grn-sweeps (workers and the orchestrator act on them). */
export function natsControl(nc: NatsConnection, sweepId: string): SweepControl {
  // Stores are looked up on first use: opening them for read happens in the feed, and a viewer
  // without write permission should fail here, on the action, where the refusal is shown.
  let stores: ReturnType<typeof ensureStores> | undefined;
  const getStores = () => (stores ??= ensureStores(nc).catch((err) => {
    stores = undefined;
    throw err;
  }));
  return {
    async setStatus(status) {
      await setSweepStatus(await getStores(), sweepId, status);
    },
    async retry(cells) {
      return (await retryFailedCells(nc, await getStores(), sweepId, cells)).length;
    },
  };
}

const VERB = { paused: 'pause', running: 'resume', cancelled: 'cancel' } as const;

/**
 * Runs a control action for a key press and tells the person how it went: a notice on success,
 * the error otherwise, and read-only mode once the server refuses for lack of permission.
 */
export async function runControl(store: DashboardStore, control: SweepControl, action: { kind: 'status'; status: 'paused' | 'running' | 'cancelled' } | { kind: 'retry' }): Promise<void> {
  const what = action.kind === 'retry' ? 'retry failed cells' : VERB[action.status];
  if (store.readOnly) {
    store.notify(`read-only: cannot ${what} (${store.readOnly})`, 'error');
    return;
  }
  try {
    if (action.kind === 'retry') {
      const failed = store.failedCells();
      if (!failed.length) {
        store.notify('no failed cells to retry');
        return;
      }
      const n = await control.retry(failed);
      store.notify(n ? `re-queued ${n} failed cell(s)` : 'no failed cells to retry');
    } else {
      await control.setStatus(action.status);
      store.notify(action.status === 'paused' ? 'paused: no new cells are handed out (running ones finish)' : action.status === 'running' ? 'resumed: cells are handed out again' : 'cancel requested');
    }
  } catch (err) {
    if (isPermissionError(err)) {
      store.setReadOnly('these credentials may not change the sweep');
      store.notify(`read-only: the server refused to ${what} (these credentials may only watch)`, 'error');
    } else {
      store.notify(`${what} failed: ${(err as Error).message}`, 'error');
    }
  }
}
