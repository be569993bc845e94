import { access, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { z } from 'zod';
import { GrnError } from '../../shared/errors.js';
import { generateServerConfig } from './config.js';
import { newUserKey, readUserKey, writeCredentialsFile, type UserKey } from './credentials.js';
import { workerPermissions } from './permissions.js';
import { freePort, isAlive, isOurServer, killProcess, launchNatsServer, PortInUseError, type ServerExit } from './process.js';

/**
 * The single-machine server: a nats-server child on a free loopback port, its keys, config and
 * JetStream store in one directory (inside the results folder), so a resumed sweep finds its
 * queue and KV state again. Nothing listens beyond 127.0.0.1 and nothing connects without a key.
 *
 * Layout of `dir`:
 *   nats.conf            regenerated on every start (the port changes)
 *   creds/orchestrator.nk  full access
 *   creds/worker.nk      worker permissions for any node id (local workers share it)
 *   jetstream/           the JetStream file store
 *   nats-server.log      the server's output, appended
 *   server.json          url, pid and creds paths while running
 */

export interface EmbeddedServer {
  url: string;
  dir: string;
  pid: number;
  orchestratorCreds: string;
  workerCreds: string;
  /** Resolves when the server process has exited, whether by stop() or not. */
  exited: Promise<ServerExit>;
  stop(): Promise<void>;
}

const ServerInfoSchema = z.object({
  url: z.string(),
  pid: z.number().int().positive(),
  orchestratorCreds: z.string(),
  workerCreds: z.string(),
  config: z.string(),
  /** The process that started the server (absent in files from older versions). */
  ownerPid: z.number().int().positive().optional(),
});
type ServerInfoFile = z.infer<typeof ServerInfoSchema>;

const PORT_ATTEMPTS = 5;

export function embeddedPaths(dir: string) {
  const root = resolve(dir);
  return {
    root,
    config: join(root, 'nats.conf'),
    orchestratorCreds: join(root, 'creds', 'orchestrator.nk'),
    workerCreds: join(root, 'creds', 'worker.nk'),
    log: join(root, 'nats-server.log'),
    info: join(root, 'server.json'),
  };
}

async function exists(file: string): Promise<boolean> {
  return access(file).then(
    () => true,
    () => false,
  );
}

/** Reuses the keys in `file` (a resumed sweep) or makes new ones. */
async function userKey(file: string, describe: string): Promise<UserKey> {
  if (await exists(file)) return readUserKey(file);
  const key = newUserKey();
  await writeCredentialsFile(file, key, describe, { overwrite: false });
  return key;
}

export async function startEmbeddedServer(opts: { dir: string; port?: number }): Promise<EmbeddedServer> {
  const paths = embeddedPaths(opts.dir);
  await mkdir(paths.root, { recursive: true, mode: 0o700 });
  // Two servers on one store would corrupt it. A server still running from this folder is either
  // an orphan (its owner was killed where no parent-death signal exists): stop it; or the server
  // of another live grn process (a concurrent sweep on the same results): leave it alone.
  const previous = await readInfoFile(paths.info);
  if (previous && (await isOurServer(previous.pid, paths.config))) {
    const owner = previous.ownerPid;
    if (owner !== undefined && owner !== process.pid && isAlive(owner)) {
      throw new GrnError(
        `a nats-server (pid ${previous.pid}, ${previous.url}) already runs from ${paths.root} for grn process ${owner}: wait for that run to end, or stop it`,
      );
    }
    await killProcess(previous.pid);
  }
  await rm(paths.info, { force: true });

  const orchestrator = await userKey(paths.orchestratorCreds, 'role orchestrator (embedded server, full access)');
  const worker = await userKey(paths.workerCreds, "role worker, any node (embedded server's local workers)");

  for (let attempt = 1; ; attempt++) {
    const port = opts.port ?? (await freePort('127.0.0.1'));
    const url = `nats://127.0.0.1:${port}`;
    const config = generateServerConfig({
      serverName: 'grn-embedded',
      host: '127.0.0.1',
      port,
      storeDir: paths.root,
      users: [
        { nkey: orchestrator.publicKey, comment: 'orchestrator: everything' },
        { nkey: worker.publicKey, permissions: workerPermissions('*'), comment: 'local workers (any node id)' },
      ],
    });
    await writeFile(paths.config, config, { mode: 0o600 });
    let running;
    try {
      running = await launchNatsServer({ configFile: paths.config, logFile: paths.log, url, auth: { creds: paths.orchestratorCreds } });
    } catch (err) {
      // Another process took the port between our probe and the server's bind.
      if (err instanceof PortInUseError && opts.port === undefined && attempt < PORT_ATTEMPTS) continue;
      throw err;
    }
    const info: ServerInfoFile = {
      url,
      pid: running.pid,
      orchestratorCreds: paths.orchestratorCreds,
      workerCreds: paths.workerCreds,
      config: paths.config,
      ownerPid: process.pid,
    };
    await writeFile(paths.info, `${JSON.stringify(info, null, 2)}\n`, { mode: 0o600 });
    runningServers.add(running.pid);
    void running.exited.then(() => runningServers.delete(running.pid));
    let stopping: Promise<void> | undefined;
    return {
      url,
      dir: paths.root,
      pid: running.pid,
      orchestratorCreds: paths.orchestratorCreds,
      workerCreds: paths.workerCreds,
      exited: running.exited,
      stop: () =>
        (stopping ??= (async () => {
          await running.stop();
          await rm(paths.info, { force: true });
        })()),
    };
  }
}

/**
 * Servers this process started and has not seen exit. If the process leaves without stopping them
 * (a second Ctrl-C, an uncaught error), they are killed on the way out: the parent-death signal
 * they get is a SIGTERM, which a server wedged on a full disk never finishes handling, and it
 * would be left running, holding the store. (A JetStream file store recovers from a kill.)
 */
const runningServers = new Set<number>();
process.on('exit', () => {
  for (const pid of runningServers) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
});

async function readInfoFile(file: string): Promise<ServerInfoFile | null> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch {
    return null;
  }
  try {
    return ServerInfoSchema.parse(JSON.parse(text));
  } catch (err) {
    throw new GrnError(`${file}: not a grn server.json (${(err as Error).message.split('\n')[0]}); delete it if no server runs there`);
  }
}

/**
 * The embedded server running from `dir` (another process's, e.g. for `grn status` or a local
 * worker joining a running sweep), or null when none is: no server.json, or its pid is gone.
 */
export async function readServerInfo(dir: string): Promise<{ url: string; pid: number; orchestratorCreds: string; workerCreds: string } | null> {
  const paths = embeddedPaths(dir);
  const info = await readInfoFile(paths.info);
  if (!info || !(await isOurServer(info.pid, info.config))) return null;
  return { url: info.url, pid: info.pid, orchestratorCreds: info.orchestratorCreds, workerCreds: info.workerCreds };
}
