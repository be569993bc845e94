import { Command, InvalidArgumentError } from 'commander';
import { hostname } from 'node:os';
import { relative } from 'node:path';
import { UsageError } from '../../shared/errors.js';
import { clusterMembers, initServer, type InitResult } from '../server/init.js';
import { nonNegativeInt, positiveInt } from './options.js';

interface InitFlags {
  out: string;
  host: string;
  port: number;
  nodes: string[];
  store?: string;
  maxFileStore?: string;
  monitorPort?: number;
  tlsCert?: string;
  tlsKey?: string;
  tlsCa?: string;
  tlsVerify?: boolean;
  force?: boolean;
  cluster?: number;
  peers?: string[];
  clusterPort: number;
}

function nodeList(value: string): string[] {
  const nodes = value
    .split(',')
    .map((n) => n.trim())
    .filter(Boolean);
  if (!nodes.length) throw new InvalidArgumentError('expected node names, e.g. a,b,c');
  return nodes;
}

function port(value: string): number {
  const n = positiveInt(value);
  if (n > 65535) throw new InvalidArgumentError('expected a port number (1-65535)');
  return n;
}

/** `grn server …`: setting up a NATS server for sweeps that span several machines. */
export function serverCommand(): Command {
  const server = new Command('server').description('set up the NATS server that sweeps across several machines share (see docs/server.md)');
  server
    .command('init')
    .description('write nats.conf and one credentials file per role / worker node for a standalone nats-server')
    .option('--out <dir>', 'folder for nats.conf and creds/', 'grn-server')
    .option('--host <address>', 'address to listen on (0.0.0.0: every interface)', '0.0.0.0')
    .option('--port <n>', 'client port', port, 4222)
    .option('--nodes <a,b,c>', 'worker node names, one credentials file each (worker --node must match)', nodeList, [])
    .option('--store <dir>', 'JetStream store folder (data goes into <dir>/jetstream; default: --out)')
    .option('--max-file-store <size>', 'cap on JetStream disk use, e.g. 20G (default: nats-server\'s, 75% of free disk)')
    .option('--monitor-port <n>', 'HTTP monitoring port (/varz, /jsz) on --host; off unless given', nonNegativeInt)
    .option('--tls-cert <file>', 'server certificate (PEM); clients then use tls://')
    .option('--tls-key <file>', 'private key of --tls-cert')
    .option('--tls-ca <file>', 'CA certificate that clients\' certificates are checked against (with --tls-verify)')
    .option('--tls-verify', 'require every client to present a certificate signed by --tls-ca')
    .option('--cluster <n>', 'a JetStream cluster of n servers (3 or 5): one nats-<i>.conf per server, the same keys for all', positiveInt)
    .option('--peers <a,b,c>', 'with --cluster: the address of each server, as the others and the clients reach it (default 127.0.0.1 for all: a cluster on this machine)', nodeList)
    .option('--cluster-port <n>', 'with --cluster: route port between the servers (servers sharing a host get n, n+1, …; likewise --port and --monitor-port)', port, 6222)
    .option('--force', 'replace an existing config and ALL its keys')
    .exitOverride()
    .showHelpAfterError('(run with --help for usage)')
    .action(async (flags: InitFlags) => {
      if (Boolean(flags.tlsCert) !== Boolean(flags.tlsKey)) throw new UsageError('--tls-cert and --tls-key go together');
      if ((flags.tlsCa || flags.tlsVerify) && !flags.tlsCert) throw new UsageError('--tls-ca / --tls-verify need --tls-cert and --tls-key');
      const tls = flags.tlsCert && flags.tlsKey
        ? { certFile: flags.tlsCert, keyFile: flags.tlsKey, ...(flags.tlsCa ? { caFile: flags.tlsCa } : {}), ...(flags.tlsVerify ? { verify: true } : {}) }
        : undefined;
      if (flags.peers && flags.cluster === undefined) throw new UsageError('--peers goes with --cluster N');
      const layout =
        flags.cluster !== undefined
          ? clusterMembers({
              size: flags.cluster,
              port: flags.port,
              clusterPort: flags.clusterPort,
              ...(flags.peers ? { peers: flags.peers } : {}),
              ...(flags.monitorPort !== undefined ? { monitorPort: flags.monitorPort } : {}),
            })
          : undefined;
      for (const warning of layout?.warnings ?? []) process.stderr.write(`warning: ${warning}\n`);
      if (!flags.nodes.length) process.stderr.write('note: no --nodes given: only the orchestrator can connect until you re-run with --nodes … --force\n');
      const result = await initServer({
        out: flags.out,
        host: flags.host,
        port: flags.port,
        nodes: flags.nodes,
        force: Boolean(flags.force),
        ...(flags.store ? { storeDir: flags.store } : {}),
        ...(flags.maxFileStore ? { maxFileStore: flags.maxFileStore } : {}),
        ...(flags.monitorPort !== undefined ? { monitorPort: flags.monitorPort } : {}),
        ...(tls ? { tls } : {}),
        ...(layout ? { cluster: layout.members } : {}),
      });
      process.stdout.write(result.members ? clusterInstructions(result, flags) : instructions(result, flags, Boolean(tls)));
    });
  return server;
}

function instructions(result: InitResult, flags: InitFlags, tls: boolean): string {
  const rel = (p: string) => relative(process.cwd(), p) || '.';
  const host = flags.host === '0.0.0.0' || flags.host === '::' ? hostname() : flags.host;
  const url = `${tls ? 'tls' : 'nats'}://${host}:${flags.port}`;
  const width = Math.max(...[result.orchestratorCreds, result.viewerCreds, ...result.nodeCreds.values()].map((p) => rel(p).length));
  const lines = [
    `wrote ${rel(result.config)} (listen ${flags.host}:${flags.port}${tls ? ', TLS' : ''}; JetStream data in ${rel(result.storeDir)}/jetstream)`,
    'credentials (mode 0600; each belongs on one machine only, anyone holding it connects as that role):',
    `  ${rel(result.orchestratorCreds).padEnd(width)}  orchestrator, full access`,
    `  ${rel(result.viewerCreds).padEnd(width)}  viewer: dashboards and status, changes nothing`,
    ...[...result.nodeCreds].map(([node, file]) => `  ${rel(file).padEnd(width)}  worker node ${node}`),
    '',
    'start the server (keep it running; restarts keep queued cells and results):',
    `  nats-server -c ${rel(result.config)}`,
    `open port ${flags.port}/tcp to the worker machines only, e.g.  ufw allow from 10.0.0.0/24 to any port ${flags.port} proto tcp`,
    '',
    'run sweeps from the orchestrator machine:',
    `  grn sweep run SPEC --server ${url} --creds ${rel(result.orchestratorCreds)}`,
    'on each worker machine, with its own file copied over (scp, then chmod 600):',
    ...[...result.nodeCreds].map(([node]) => `  grn worker --server ${url} --creds node-${node}.nk --node ${node}`),
    '',
    `(${url} uses this machine's name; use whatever address the workers reach it by)`,
    '',
  ];
  return lines.join('\n');
}

function clusterInstructions(result: InitResult, flags: InitFlags): string {
  const rel = (p: string) => relative(process.cwd(), p) || '.';
  const members = result.members!;
  const urls = members.map((m) => m.url).join(',');
  const width = Math.max(...[result.orchestratorCreds, result.viewerCreds, ...result.nodeCreds.values()].map((p) => rel(p).length));
  const lines = [
    `wrote ${members.length} server configs (cluster 'grn', listen ${flags.host}; JetStream needs ${Math.floor(members.length / 2) + 1} of ${members.length} up):`,
    ...members.map((m) => `  ${rel(m.config)}  ${m.name}  ${m.url}  data in ${rel(m.storeDir)}/jetstream`),
    'credentials (mode 0600; each belongs on one machine only, anyone holding it connects as that role):',
    `  ${rel(result.orchestratorCreds).padEnd(width)}  orchestrator, full access`,
    `  ${rel(result.viewerCreds).padEnd(width)}  viewer: dashboards and status, changes nothing`,
    ...[...result.nodeCreds].map(([node, file]) => `  ${rel(file).padEnd(width)}  worker node ${node}`),
    '',
    'start every server (each on its machine, with its own file; keep them running, e.g. under systemd — docs/server.md):',
    ...members.map((m) => `  nats-server -c ${rel(m.config)}`),
    'the configs hold the route password the servers share: keep them readable by the nats-server user only',
    `open the client ports to the workers and the cluster ports (${[...new Set(members.map((m) => m.clusterPort))].join(', ')}) to the other servers only`,
    '',
    'run sweeps (streams get 3 replicas on a cluster):',
    `  grn sweep run SPEC --server ${urls} --creds ${rel(result.orchestratorCreds)}`,
    'on each worker machine, with its own file copied over (scp, then chmod 600):',
    ...[...result.nodeCreds].map(([node]) => `  grn worker --server ${urls} --creds node-${node}.nk --node ${node}`),
    '',
  ];
  return lines.join('\n');
}
