import { randomBytes } from 'node:crypto';
import { access, mkdir, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { UsageError } from '../../shared/errors.js';
import { ID_PATTERN } from '../../shared/protocol/names.js';
import { generateServerConfig, type ServerTls, type ServerUser } from './config.js';
import { newUserKey, writeCredentialsFile } from './credentials.js';
import { viewerPermissions, workerPermissions } from './permissions.js';

/**
 * `grn server init`: a standalone server for several machines. One key per worker node, so a
 * node's key only speaks for that node (its registry entry, its GPU metrics) and one leaked or
 * retired node can be locked out by deleting its entry from nats.conf.
 */

export interface InitOptions {
  out: string;
  host: string;
  port: number;
  nodes: string[];
  /** Default `out`: JetStream then keeps its data in `<out>/jetstream`. */
  storeDir?: string;
  maxFileStore?: string;
  monitorPort?: number;
  tls?: ServerTls;
  /** Replace existing credentials (nodes holding the old files are refused from then on). */
  force: boolean;
  /**
   * A JetStream cluster instead of one server: one config per member (`nats-1.conf` …), all with
   * the same users and keys, each with its own store (`<storeDir>/nats-<i>/jetstream`). `host` is
   * then each member's listen address; `port` / `monitorPort` come from the members.
   */
  cluster?: readonly ClusterMember[];
}

/** One server of a cluster, as clients and the other members reach it. */
export interface ClusterMember {
  /** Its `server_name`, e.g. `grn-1`. */
  name: string;
  /** Address the other members and the clients use (a host name or IP). */
  host: string;
  /** Client port. */
  port: number;
  /** Route port (member-to-member). */
  clusterPort: number;
  monitorPort?: number;
}

export interface ClusterLayout {
  /** How many servers. */
  size: number;
  /** Each member's address; default 127.0.0.1 for all (a cluster on one machine, for trying it out). */
  peers?: readonly string[];
  /** Client port of the first member (4222). */
  port: number;
  /** Route port of the first member (6222). */
  clusterPort: number;
  monitorPort?: number;
}

/**
 * The members of a cluster from `--cluster N [--peers a,b,c] --port P --cluster-port C`. Members
 * on different hosts all use P and C; members that share a host (all of them, without --peers)
 * get P, P+1, … and C, C+1, … so they do not collide. A quorum is a majority: 3 servers survive the
 * loss of one, 5 of two; 2 survive none (JetStream stops with either), so fewer than 3 is refused,
 * and an even size is allowed with a warning (4 survive one loss, like 3).
 */
export function clusterMembers(layout: ClusterLayout): { members: ClusterMember[]; warnings: string[] } {
  const { size } = layout;
  if (!Number.isInteger(size) || size < 1) throw new UsageError(`--cluster ${size}: expected the number of servers (3 or 5)`);
  if (size === 1) throw new UsageError('--cluster 1 is a single server: leave out --cluster');
  if (size === 2) {
    throw new UsageError(
      '--cluster 2 is refused: JetStream needs a quorum (a majority) of its servers up, and a majority of 2 is both — losing either server stops every stream. Use 3 (survives the loss of one) or 5 (two)',
    );
  }
  const warnings: string[] = [];
  if (size % 2 === 0) warnings.push(`a cluster of ${size} survives the loss of ${size / 2 - 1} server(s), as one of ${size - 1} does: JetStream needs a majority (${size / 2 + 1} of ${size}) up; an odd size is usually the better buy`);
  const peers = layout.peers ?? Array.from({ length: size }, () => '127.0.0.1');
  if (peers.length !== size) throw new UsageError(`--peers lists ${peers.length} address(es) for --cluster ${size}: give one per server`);
  for (const peer of peers) {
    if (!/^[A-Za-z0-9._:[\]-]+$/.test(peer) || peer.includes('://')) throw new UsageError(`--peers: '${peer}' is not a host name or IP address`);
  }
  const shared = (i: number) => peers.filter((p) => p === peers[i]).length > 1;
  const members = peers.map((host, i): ClusterMember => {
    const step = shared(i) ? i : 0;
    return {
      name: `grn-${i + 1}`,
      host,
      port: layout.port + step,
      clusterPort: layout.clusterPort + step,
      ...(layout.monitorPort !== undefined ? { monitorPort: layout.monitorPort + step } : {}),
    };
  });
  checkMembers(members);
  return { members, warnings };
}

/** Two members on one host with the same port (client, route or monitoring) would not start. */
export function checkMembers(members: readonly ClusterMember[]): void {
  const seen = new Map<string, string>();
  for (const m of members) {
    for (const [what, port] of [['client', m.port], ['cluster', m.clusterPort], ['monitor', m.monitorPort]] as const) {
      if (port === undefined) continue;
      if (!Number.isInteger(port) || port < 1 || port > 65535) throw new UsageError(`${m.name}: ${what} port ${port} is not a port number (1-65535)`);
      const key = `${m.host}:${port}`;
      const other = seen.get(key);
      if (other) throw new UsageError(`port ${port} on ${m.host} is given twice (${other} and ${m.name} ${what}): each server on a host needs its own client, cluster and monitor ports`);
      seen.set(key, `${m.name} ${what}`);
    }
  }
  const names = members.map((m) => m.name);
  const dup = names.find((n, i) => names.indexOf(n) !== i);
  if (dup) throw new UsageError(`server name '${dup}' is given twice`);
}

export interface InitResult {
  /** nats.conf; for a cluster the first member's config. */
  config: string;
  /** For a cluster, its servers in order: config file, client URL, store. */
  members?: Array<{ name: string; config: string; url: string; clusterPort: number; storeDir: string }>;
  /** Advice that did not stop init (an even cluster size). */
  warnings: string[];
  storeDir: string;
  orchestratorCreds: string;
  /** Read-only: dashboards and status from other machines. */
  viewerCreds: string;
  /** node id → credentials file. */
  nodeCreds: Map<string, string>;
}

async function exists(file: string): Promise<boolean> {
  return access(file).then(
    () => true,
    () => false,
  );
}

export function nodeCredsName(node: string): string {
  return `node-${node}.nk`;
}

export async function initServer(opts: InitOptions): Promise<InitResult> {
  for (const node of opts.nodes) {
    if (!ID_PATTERN.test(node)) throw new UsageError(`node name '${node}' must be letters, digits, '-' or '_' (it becomes a subject token)`);
  }
  const duplicate = opts.nodes.find((n, i) => opts.nodes.indexOf(n) !== i);
  if (duplicate) throw new UsageError(`node '${duplicate}' is listed twice`);
  if (opts.tls?.verify && !opts.tls.caFile) throw new UsageError('--tls-verify needs --tls-ca (the CA that signed the client certificates)');
  for (const file of [opts.tls?.certFile, opts.tls?.keyFile, opts.tls?.caFile]) {
    if (file && !(await exists(file))) throw new UsageError(`TLS file ${file} does not exist`);
  }

  const cluster = opts.cluster;
  if (cluster) {
    if (cluster.length < 3) throw new UsageError(`a cluster of ${cluster.length} is refused: JetStream needs a quorum (a majority) of servers up; use 3 or 5`);
    checkMembers(cluster);
  }
  const out = resolve(opts.out);
  const config = join(out, 'nats.conf');
  const memberConfigs = (cluster ?? []).map((_, i) => join(out, `nats-${i + 1}.conf`));
  const orchestratorCreds = join(out, 'creds', 'orchestrator.nk');
  const viewerCreds = join(out, 'creds', 'viewer.nk');
  const nodeCreds = new Map(opts.nodes.map((n) => [n, join(out, 'creds', nodeCredsName(n))]));
  // Check everything before writing anything, so a refused run leaves no half-new set of keys.
  if (!opts.force) {
    for (const file of [...(cluster ? memberConfigs : [config]), orchestratorCreds, viewerCreds, ...nodeCreds.values()]) {
      if (await exists(file)) throw new UsageError(`${file} already exists: pass --force to replace the server's config and ALL its keys (every node then needs its new file), or choose another --out`);
    }
  }
  // The folder stays readable (a packaged nats-server may run as its own user and must read
  // nats.conf); only creds/ is private.
  await mkdir(out, { recursive: true, mode: 0o755 });
  await mkdir(join(out, 'creds'), { recursive: true, mode: 0o700 });

  const orchestrator = newUserKey();
  await writeCredentialsFile(orchestratorCreds, orchestrator, 'role orchestrator (full access)', { overwrite: opts.force });
  const viewer = newUserKey();
  await writeCredentialsFile(viewerCreds, viewer, 'role viewer (reads and watches, changes nothing)', { overwrite: opts.force });
  const users: ServerUser[] = [
    { nkey: orchestrator.publicKey, comment: 'orchestrator: everything (creds/orchestrator.nk)' },
    { nkey: viewer.publicKey, permissions: viewerPermissions(), comment: 'viewer: dashboards and status, read-only (creds/viewer.nk)' },
  ];
  for (const [node, file] of nodeCreds) {
    const key = newUserKey();
    await writeCredentialsFile(file, key, `role worker, node ${node}`, { overwrite: opts.force });
    users.push({ nkey: key.publicKey, permissions: workerPermissions(node), comment: `worker node ${node} (creds/${nodeCredsName(node)})` });
  }
  const storeDir = resolve(opts.storeDir ?? out);
  const tls = opts.tls && {
    ...opts.tls,
    certFile: resolve(opts.tls.certFile),
    keyFile: resolve(opts.tls.keyFile),
    ...(opts.tls.caFile ? { caFile: resolve(opts.tls.caFile) } : {}),
  };
  const common = {
    ...(opts.maxFileStore ? { maxFileStore: opts.maxFileStore } : {}),
    ...(tls ? { tls } : {}),
    users,
  };
  if (!cluster) {
    const text = generateServerConfig({
      serverName: 'grn',
      host: opts.host,
      port: opts.port,
      storeDir,
      ...(opts.monitorPort !== undefined ? { monitorPort: opts.monitorPort } : {}),
      ...common,
    });
    // Public keys only, and a packaged nats-server may run as its own user: readable by all.
    await writeFile(config, text, { mode: 0o644 });
    return { config, storeDir, orchestratorCreds, viewerCreds, nodeCreds, warnings: [] };
  }
  // Routes authenticate with one shared secret, so nobody else who reaches a route port joins the
  // cluster (and sees every message): these configs are readable by owner and group only.
  const routePassword = randomBytes(24).toString('base64url');
  const routes = cluster.map((m) => `nats-route://${m.host}:${m.clusterPort}`);
  const scheme = tls ? 'tls' : 'nats';
  const members = [];
  for (const [i, m] of cluster.entries()) {
    const memberStore = join(storeDir, `nats-${i + 1}`);
    const text = generateServerConfig({
      serverName: m.name,
      host: opts.host,
      port: m.port,
      storeDir: memberStore,
      ...(m.monitorPort !== undefined ? { monitorPort: m.monitorPort } : {}),
      cluster: { name: 'grn', host: opts.host, port: m.clusterPort, routes, user: 'grn-route', password: routePassword },
      ...common,
    });
    await writeFile(memberConfigs[i]!, text, { mode: 0o640 });
    members.push({ name: m.name, config: memberConfigs[i]!, url: `${scheme}://${m.host}:${m.port}`, clusterPort: m.clusterPort, storeDir: memberStore });
  }
  return { config: memberConfigs[0]!, members, storeDir, orchestratorCreds, viewerCreds, nodeCreds, warnings: [] };
}
