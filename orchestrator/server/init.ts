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
}

export interface InitResult {
  config: string;
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

  const out = resolve(opts.out);
  const config = join(out, 'nats.conf');
  const orchestratorCreds = join(out, 'creds', 'orchestrator.nk');
  const viewerCreds = join(out, 'creds', 'viewer.nk');
  const nodeCreds = new Map(opts.nodes.map((n) => [n, join(out, 'creds', nodeCredsName(n))]));
  // Check everything before writing anything, so a refused run leaves no half-new set of keys.
  if (!opts.force) {
    for (const file of [config, orchestratorCreds, viewerCreds, ...nodeCreds.values()]) {
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
  const text = generateServerConfig({
    serverName: 'grn',
    host: opts.host,
    port: opts.port,
    storeDir,
    ...(opts.maxFileStore ? { maxFileStore: opts.maxFileStore } : {}),
    ...(opts.monitorPort !== undefined ? { monitorPort: opts.monitorPort } : {}),
    ...(tls ? { tls } : {}),
    users,
  });
  // Public keys only, and a packaged nats-server may run as its own user: readable by all.
  await writeFile(config, text, { mode: 0o644 });
  return { config, storeDir, orchestratorCreds, viewerCreds, nodeCreds };
}
