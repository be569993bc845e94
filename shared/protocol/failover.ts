import { setTimeout as sleep } from 'node:timers/promises';

/**
 * While a JetStream cluster elects a new leader for a stream (its leader's server was lost), a
 * request to the stream gets no responder (nats.js: "jetstream is not enabled" / 503) or times
 * out, for a few seconds. Retries `fn` on exactly those errors, every 250 ms, for at most
 * `withinMs`; anything else, or the same error after that, is thrown.
 */
export async function duringFailover<T>(fn: () => Promise<T>, withinMs = 30_000): Promise<T> {
  const deadline = Date.now() + withinMs;
  for (;;) {
    try {
      return await fn();
    } catch (err) {
      if (!isFailoverError(err) || Date.now() > deadline) throw err;
      await sleep(250);
    }
  }
}

export function isFailoverError(err: unknown): boolean {
  const e = err as { name?: string; code?: string | number; message?: string };
  return (
    e?.name === 'JetStreamNotEnabled' ||
    e?.name === 'TimeoutError' ||
    e?.name === 'NoRespondersError' ||
    String(e?.code) === '503' ||
    /jetstream is not enabled|no responders|^timeout$/i.test(e?.message ?? '')
  );
}
