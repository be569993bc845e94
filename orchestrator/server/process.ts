import { jetstreamManager } from '@nats-io/jetstream';
import { execa } from 'execa';
import { closeSync, openSync } from 'node:fs';
import { access, readFile, stat } from 'node:fs/promises';
import { constants as fsConstants } from 'node:fs';
import { createServer } from 'node:net';
import { delimiter, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { GrnError } from '../../shared/errors.js';
import { connectNats, type NatsAuth } from '../../shared/protocol/connect.js';

/**
 * Running a nats-server binary as a child process: finding it, starting it so it cannot outlive
 * us, knowing when it is really ready (authenticated JetStream answers, not just an open port),
 * and stopping it.
 */

/** Debian's package installs into /usr/sbin, which is not on an ordinary user's PATH. */
const EXTRA_DIRS = ['/usr/sbin', '/usr/local/bin', '/usr/local/sbin', '/opt/homebrew/bin'];

export const INSTALL_HINT =
  'install it — Debian/Ubuntu: apt-get install nats-server; macOS: brew install nats-server; others: https://github.com/nats-io/nats-server/releases';

async function isExecutable(file: string): Promise<boolean> {
  try {
    await access(file, fsConstants.X_OK);
    return (await stat(file)).isFile();
  } catch {
    return false;
  }
}

export async function findNatsServer(env: NodeJS.ProcessEnv = process.env, extraDirs: readonly string[] = EXTRA_DIRS): Promise<string> {
  const explicit = env.GRN_NATS_SERVER;
  if (explicit) {
    if (await isExecutable(explicit)) return explicit;
    // Set but wrong: falling back to PATH would hide the mistake (and run another version).
    throw new GrnError(`nats-server not found (looked for $GRN_NATS_SERVER=${explicit}, not an executable file): fix or unset GRN_NATS_SERVER, or ${INSTALL_HINT}`);
  }
  const exe = process.platform === 'win32' ? 'nats-server.exe' : 'nats-server';
  for (const dir of [...(env.PATH ?? '').split(delimiter).filter(Boolean), ...extraDirs]) {
    const candidate = join(dir, exe);
    if (await isExecutable(candidate)) return candidate;
  }
  const extra = extraDirs.length ? `, ${extraDirs.join(', ')}` : '';
  throw new GrnError(`nats-server not found (looked for $GRN_NATS_SERVER, then PATH${extra}): ${INSTALL_HINT}`);
}

/** A port nobody listens on right now. Racy by nature: callers retry on EADDRINUSE. */
export function freePort(host = '127.0.0.1'): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.unref();
    probe.once('error', reject);
    probe.listen({ host, port: 0, exclusive: true }, () => {
      const address = probe.address();
      probe.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

/** The server failed to bind its port (someone took the free port we picked): pick another. */
export class PortInUseError extends GrnError {}

export interface LaunchOptions {
  configFile: string;
  /** stdout and stderr of the server, appended. */
  logFile: string;
  /** Where the server will listen, to check readiness. */
  url: string;
  /** Credentials with JetStream access, to check readiness. */
  auth: NatsAuth;
  readyTimeoutMs?: number;
  env?: NodeJS.ProcessEnv;
}

/** How a server process ended. */
export interface ServerExit {
  readonly code: number | null;
  readonly signal: string | null;
}

export interface RunningServer {
  pid: number;
  /** Resolves when the process has exited, whoever stopped it. */
  exited: Promise<ServerExit>;
  /** SIGTERM (a clean JetStream shutdown), SIGKILL if it is still there after `graceMs`. */
  stop(graceMs?: number): Promise<void>;
}

/**
 * Starts nats-server and resolves once it accepts an authenticated connection with JetStream on.
 *
 * Outliving the parent: execa's `cleanup` kills the server when Node exits or dies of a signal it
 * can handle; on Linux `setpriv --pdeathsig` makes the kernel deliver SIGTERM to the server even
 * when Node is SIGKILLed. Elsewhere a kill -9 of the parent orphans the server; the next start on
 * the same directory kills it (see embedded.ts). Output goes straight to a file, not through a
 * pipe, so an orphan does not die of SIGPIPE mid-write either.
 */
export async function launchNatsServer(opts: LaunchOptions): Promise<RunningServer> {
  const env = opts.env ?? process.env;
  const binary = await findNatsServer(env);
  const setpriv = process.platform === 'linux' ? await findOnPath('setpriv', env) : undefined;
  const [file, args]: [string, string[]] = setpriv
    ? [setpriv, ['--pdeathsig', 'TERM', '--', binary, '-c', opts.configFile]]
    : [binary, ['-c', opts.configFile]];
  const logStart = await fileSize(opts.logFile);
  const fd = openSync(opts.logFile, 'a', 0o600);
  // The child gets its own copy of the descriptor; ours is closed right after the spawn. (execa's
  // types list only descriptors 3-9, its runtime takes any.)
  const out = fd as 3;
  const spawnOptions = { cleanup: true, reject: false, stdin: 'ignore', stdout: out, stderr: out, env, extendEnv: false } as const;
  let child;
  try {
    child = execa(file, args, spawnOptions);
  } finally {
    closeSync(fd);
  }
  if (child.pid === undefined) {
    const result = await child;
    throw new GrnError(`could not start ${binary}: ${result.message ?? 'spawn failed'}`);
  }
  const pid = child.pid;
  let alive = true;
  const exited = child.then((result): ServerExit => {
    alive = false;
    return { code: result.exitCode ?? null, signal: result.signal ?? null };
  });
  const stop = async (graceMs = 5000): Promise<void> => {
    if (!alive) return;
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
    await exited;
    clearTimeout(timer);
  };
  const log = async () => (await readFile(opts.logFile, 'utf8').catch(() => '')).slice(logStart);
  const deadline = Date.now() + (opts.readyTimeoutMs ?? 15_000);
  let lastError = '';
  for (;;) {
    if (!alive) {
      const text = await log();
      if (/address already in use/i.test(text)) throw new PortInUseError(`nats-server could not bind ${opts.url}: address already in use`);
      throw new GrnError(`nats-server exited during startup (${opts.configFile}): ${tail(text)}`);
    }
    try {
      // Raced with the exit: if the server died, whatever answers on the port is not it.
      const probe = connectNats(opts.url, opts.auth, 'grn readiness probe');
      const died = exited.then(() => null);
      const nc = await Promise.race([probe, died]);
      if (!nc) {
        void probe.then((late) => late.close(), () => undefined);
        continue;
      }
      try {
        // Not only listening: JetStream enabled and answering for this account.
        await (await jetstreamManager(nc)).getAccountInfo();
        return { pid, exited, stop };
      } finally {
        await nc.close();
      }
    } catch (err) {
      lastError = (err as Error).message;
    }
    if (Date.now() > deadline) {
      await stop();
      throw new GrnError(`nats-server did not become ready within ${((opts.readyTimeoutMs ?? 15_000) / 1000).toFixed(0)} s (${lastError}); its log: ${tail(await log())}`);
    }
    await sleep(100);
  }
}

function tail(text: string, lines = 12): string {
  const kept = text.trim().split('\n').slice(-lines).join(' | ');
  return kept || '(no output)';
}

async function fileSize(file: string): Promise<number> {
  try {
    return (await stat(file)).size;
  } catch {
    return 0;
  }
}

async function findOnPath(name: string, env: NodeJS.ProcessEnv): Promise<string | undefined> {
  for (const dir of [...(env.PATH ?? '').split(delimiter).filter(Boolean), '/usr/bin', '/bin']) {
    if (await isExecutable(join(dir, name))) return join(dir, name);
  }
  return undefined;
}

/** Whether `pid` is alive and is a nats-server started with `configFile` (not a recycled pid). */
export async function isOurServer(pid: number, configFile: string): Promise<boolean> {
  try {
    process.kill(pid, 0);
  } catch (err) {
    // EPERM: alive but someone else's — certainly not ours to kill.
    return false;
  }
  const cmdline = await commandLine(pid);
  // Unknown command line (no /proc and no ps): trust the pid only if it is alive, as the pid file
  // was written by us for this directory.
  return cmdline === undefined || (cmdline.includes('nats-server') && cmdline.includes(configFile));
}

async function commandLine(pid: number): Promise<string | undefined> {
  try {
    return (await readFile(`/proc/${pid}/cmdline`, 'utf8')).replace(/\0/g, ' ');
  } catch {
    const ps = await execa('ps', ['-o', 'args=', '-p', String(pid)], { reject: false });
    return ps.exitCode === 0 ? String(ps.stdout) : undefined;
  }
}

/** Whether a process exists (EPERM: it does, someone else's). */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Stops a server this process did not start (an orphan of a killed run): SIGTERM, then SIGKILL. */
export async function killProcess(pid: number, graceMs = 5000): Promise<void> {
  const alive = () => isAlive(pid);
  if (!alive()) return;
  process.kill(pid, 'SIGTERM');
  for (const start = Date.now(); Date.now() - start < graceMs; ) {
    if (!alive()) return;
    await sleep(50);
  }
  if (alive()) process.kill(pid, 'SIGKILL');
  for (let i = 0; i < 40 && alive(); i++) await sleep(50);
}
