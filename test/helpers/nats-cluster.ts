import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { initServer, type ClusterMember } from '../../orchestrator/server/init.js';
import { jetstreamManager } from '@nats-io/jetstream';
import { connectNats, type NatsAuth } from '../../shared/protocol/connect.js';
import { freePort, launchNatsServer, type RunningServer, type ServerExit } from '../../orchestrator/server/process.js';

/**
 * A real N-node nats-server JetStream cluster on free loopback ports, configured by `grn server
 * init --cluster` itself (same users, keys and permissions as a deployment), each member with its
 * file store in a fresh temp directory. Resolves once every member answers an authenticated
 * JetStream request, which a member only does once the cluster has elected its meta leader.
 */
export interface TestCluster {
  /** All members' client URLs, comma-separated: what `--server` takes. */
  readonly urls: string;
  readonly members: ReadonlyArray<{
    readonly name: string;
    readonly url: string;
    readonly pid: number;
    readonly exited: Promise<ServerExit>;
    /** SIGKILL: the server is gone at once, nothing flushed, no goodbye to its peers. */
    kill(): Promise<ServerExit>;
  }>;
  readonly orchestratorCreds: string;
  /** node id → worker credentials. */
  readonly nodeCreds: ReadonlyMap<string, string>;
  readonly dir: string;
  cleanup(): Promise<void>;
}

export async function startTestCluster(opts: { size?: number; nodes: string[]; readyTimeoutMs?: number }): Promise<TestCluster> {
  const size = opts.size ?? 3;
  const dir = await mkdtemp(join(tmpdir(), 'grn-cluster-'));
  const running: RunningServer[] = [];
  const cleanup = async () => {
    await Promise.all(running.map((r) => r.stop(2000)));
    await rm(dir, { recursive: true, force: true });
  };
  try {
    const ports = new Set<number>();
    while (ports.size < size * 2) ports.add(await freePort('127.0.0.1'));
    const [...free] = ports;
    const members: ClusterMember[] = Array.from({ length: size }, (_, i) => ({ name: `grn-${i + 1}`, host: '127.0.0.1', port: free[2 * i]!, clusterPort: free[2 * i + 1]! }));
    const init = await initServer({ out: dir, host: '127.0.0.1', port: members[0]!.port, nodes: opts.nodes, force: false, cluster: members });
    const auth = { creds: init.orchestratorCreds };
    // All at once: no member is ready (has a meta leader) before a majority of them runs.
    const launched = await Promise.allSettled(
      init.members!.map((m) =>
        launchNatsServer({ configFile: m.config, logFile: join(dir, `${m.name}.log`), url: m.url, auth, readyTimeoutMs: opts.readyTimeoutMs ?? 30_000 }).then((r) => {
          running.push(r);
          return r;
        }),
      ),
    );
    const failed = launched.find((l) => l.status === 'rejected');
    if (failed) throw (failed as PromiseRejectedResult).reason;
    const servers = launched.map((l) => (l as PromiseFulfilledResult<RunningServer>).value);
    await waitForPeers(init.members!.map((m) => m.url).join(','), auth, size, opts.readyTimeoutMs ?? 30_000);
    return {
      urls: init.members!.map((m) => m.url).join(','),
      members: init.members!.map((m, i) => ({
        name: m.name,
        url: m.url,
        pid: servers[i]!.pid,
        exited: servers[i]!.exited,
        kill: () => {
          process.kill(servers[i]!.pid, 'SIGKILL');
          return servers[i]!.exited;
        },
      })),
      orchestratorCreds: init.orchestratorCreds,
      nodeCreds: init.nodeCreds,
      dir,
      cleanup,
    };
  } catch (err) {
    await cleanup();
    throw err;
  }
}

/**
 * A meta leader is not yet a cluster that can place a stream on all its members: each member
 * has to have reported in. Creates (and deletes) a throwaway stream with `size` replicas until the
 * server accepts it, every 100 ms, for at most `timeoutMs`.
 */
export async function waitForPeers(urls: string, auth: NatsAuth, size: number, timeoutMs: number): Promise<void> {
  const nc = await connectNats(urls, auth, 'grn cluster readiness');
  try {
    const jsm = await jetstreamManager(nc);
    const name = `READY_PROBE_${process.pid}`;
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      try {
        await jsm.streams.add({ name, subjects: [`grn-ready-probe.${process.pid}`], num_replicas: size });
        await jsm.streams.delete(name);
        return;
      } catch (err) {
        if (Date.now() > deadline) throw new Error(`the cluster could not place a stream on ${size} servers within ${timeoutMs} ms: ${(err as Error).message}`);
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    }
  } finally {
    await nc.close();
  }
}
