/**
 * A child of `bench scale`: runs COUNT real WorkerAgents (worker/agent/agent.ts, the code of
 * `grn worker`) in this one process, each with its own NATS connection, registry entry and
 * heartbeat, one CPU slot each. `noop` trials run inside the agent, so no trainer process is
 * started. Prints one JSON line when every agent is registered; drains them all on SIGTERM.
 *   node scale-workers.js URL CREDS COUNT PREFIX
 */
import { WorkerAgent } from '../worker/agent/agent.js';

const [url, creds, countText, prefix] = process.argv.slice(2);
const count = Number(countText);
const t0 = performance.now();
const agents: WorkerAgent[] = [];
const errors: string[] = [];
// In batches: a thousand simultaneous connects is a thundering herd no real fleet makes at once.
for (let i = 0; i < count; i += 25) {
  const batch = await Promise.all(
    Array.from({ length: Math.min(25, count - i) }, (_, j) =>
      WorkerAgent.start({ server: url!, auth: { creds: creds! }, node: `${prefix}-${i + j}`, gpus: 'none', cpuSlots: 1, drainTimeoutMs: 5000, backend: 'cpu', log: (l) => (/fail|error/i.test(l) ? errors.push(l) : undefined) }),
    ),
  );
  agents.push(...batch);
}
await Promise.all(agents.map((a) => a.ready));
process.stdout.write(`${JSON.stringify({ ready: agents.length, ms: Math.round(performance.now() - t0), errors: errors.slice(0, 3) })}\n`);
process.once('SIGTERM', () => {
  void Promise.all(agents.map((a) => a.drain())).finally(() => process.exit(0));
});
