import { Command, InvalidArgumentError } from 'commander';
import { hostname } from 'node:os';
import { relative } from 'node:path';
import { UsageError } from '../../shared/errors.js';
import { initServer, type InitResult } from '../server/init.js';
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
    .option('--force', 'replace an existing config and ALL its keys')
    .exitOverride()
    .showHelpAfterError('(run with --help for usage)')
    .action(async (flags: InitFlags) => {
      if (Boolean(flags.tlsCert) !== Boolean(flags.tlsKey)) throw new UsageError('--tls-cert and --tls-key go together');
      if ((flags.tlsCa || flags.tlsVerify) && !flags.tlsCert) throw new UsageError('--tls-ca / --tls-verify need --tls-cert and --tls-key');
      const tls = flags.tlsCert && flags.tlsKey
        ? { certFile: flags.tlsCert, keyFile: flags.tlsKey, ...(flags.tlsCa ? { caFile: flags.tlsCa } : {}), ...(flags.tlsVerify ? { verify: true } : {}) }
        : undefined;
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
      });
      process.stdout.write(instructions(result, flags, Boolean(tls)));
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
