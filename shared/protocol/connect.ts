import {
  connect,
  credsAuthenticator,
  tokenAuthenticator,
  type Authenticator,
  type ConnectionOptions,
  type NatsConnection,
  type TlsOptions,
} from '@nats-io/transport-node';
import { readFile } from 'node:fs/promises';
import { GrnError } from '../errors.js';
import { nkeySeedAuthenticator } from './nkey-signer.js';

/**
 * How a process (orchestrator, worker, status view) reaches the NATS server. Everything that can
 * go wrong on the first connect becomes one GrnError line naming the server or the file to fix.
 */

/** What a client presents to the server. At most one of `creds` / `token`. */
export interface NatsAuth {
  /** Path to a credentials file: a NATS user nkey seed file (what `grn server init` writes) or a standard `.creds` file (JWT + seed). */
  creds?: string;
  /** A token for servers configured with `authorization { token: … }`. */
  token?: string;
  /**
   * TLS beyond what the server URL implies. A server with `tls { }` is always spoken to over TLS;
   * `caFile` trusts a private CA (otherwise Node's store plus NODE_EXTRA_CA_CERTS), `certFile` and
   * `keyFile` present a client certificate to servers that verify clients.
   */
  tls?: { caFile?: string; certFile?: string; keyFile?: string };
}

/** A parsed credentials file. */
export type Credentials =
  | { kind: 'nkey'; seed: string }
  | { kind: 'jwt'; text: string };

const JWT_MARKER = /-----BEGIN NATS USER JWT-----/;
/** A user nkey seed: 'SU' then base32 (58 characters in all). */
const USER_SEED = /^SU[A-Z2-7]{56}$/;
const ANY_SEED = /^S[A-Z][A-Z2-7]{56}$/;

/**
 * Tells our nkey files from standard `.creds` files by content. Our files carry `#` comment lines
 * naming the role and node, which nkeyAuthenticator would choke on, so only the seed line is kept.
 */
export function parseCredentials(text: string, file: string): Credentials {
  if (JWT_MARKER.test(text)) {
    if (!/-----BEGIN USER NKEY SEED-----/.test(text)) throw new GrnError(`credentials file ${file}: has a user JWT but no NKEY SEED block`);
    return { kind: 'jwt', text };
  }
  const lines = text
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter((l) => l !== '' && !l.startsWith('#') && !l.startsWith('//'));
  const seeds = lines.filter((l) => ANY_SEED.test(l));
  if (seeds.length !== 1 || lines.length !== 1) {
    throw new GrnError(`credentials file ${file}: expected one NATS user nkey seed (a line starting SU…) or a .creds file with a user JWT`);
  }
  const seed = seeds[0]!;
  if (!USER_SEED.test(seed)) throw new GrnError(`credentials file ${file}: holds an nkey seed of kind '${seed[1]}', not a user seed (SU…)`);
  return { kind: 'nkey', seed };
}

export async function readCredentials(file: string): Promise<Credentials> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'no such file' : code === 'EACCES' ? 'permission denied' : (err as Error).message;
    throw new GrnError(`cannot read the credentials file ${file}: ${why}`);
  }
  return parseCredentials(text, file);
}

async function authenticatorFor(auth: NatsAuth): Promise<Authenticator | undefined> {
  if (auth.creds && auth.token) throw new GrnError('give either --creds or --token, not both');
  if (auth.token) return tokenAuthenticator(auth.token);
  if (!auth.creds) return undefined;
  const creds = await readCredentials(auth.creds);
  const encoder = new TextEncoder();
  // (A .creds file still signs through nats.js and tweetnacl: ~20 ms per connect, rarely used.)
  if (creds.kind === 'jwt') return credsAuthenticator(encoder.encode(creds.text));
  try {
    return nkeySeedAuthenticator(creds.seed);
  } catch (err) {
    throw new GrnError(`credentials file ${auth.creds}: the nkey seed does not decode (${(err as Error).message}); write it again with grn server init`);
  }
}

/**
 * Reconnect forever (a worker outlives a server restart: its cells are redelivered, its KV writes
 * retried) but only once the first connect worked; a wrong URL or key fails at once.
 */
export const RECONNECT_OPTIONS = {
  maxReconnectAttempts: -1,
  reconnectTimeWait: 500,
  reconnectJitter: 250,
  reconnectJitterTLS: 500,
  waitOnFirstConnect: false,
  /** First-connect handshake limit: a firewalled port answers nothing rather than refusing. */
  timeout: 10_000,
  /** Notice a dead server within ~30 s even when nothing is being published. */
  pingInterval: 10_000,
  maxPingOut: 3,
  // Without this every request builds two Error objects (stack captured) up front in case it
  // fails: measurable at thousands of cells per second; our errors name the call themselves.
  noAsyncTraces: true,
} satisfies Partial<ConnectionOptions>;

/**
 * `--server` may name several servers, comma-separated (`nats://n1:4222,nats://n2:4222,…`): the
 * members of a NATS cluster. The client connects to one of them (in random order, so a fleet of
 * workers spreads over the cluster) and, when that one goes away, reconnects to another; the
 * servers a cluster announces (its `connect_urls`) are added too, but naming them all lets the
 * first connect work while any one is down.
 */
export function serverList(server: string): string[] {
  const list = server
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  if (!list.length) throw new GrnError(`no NATS server in '${server}': expected nats://HOST:PORT, or several separated by commas`);
  return list;
}

/**
 * `inboxPrefix`: reply subjects start with it (a worker's is its node's, `workerInboxPrefix`,
 * which its permissions confine it to).
 */
export async function connectNats(server: string, auth: NatsAuth, name: string, extra: { inboxPrefix?: string } = {}): Promise<NatsConnection> {
  const authenticator = await authenticatorFor(auth);
  const servers = serverList(server);
  const options: ConnectionOptions = { servers, name, ...RECONNECT_OPTIONS };
  if (extra.inboxPrefix) options.inboxPrefix = extra.inboxPrefix;
  if (authenticator) options.authenticator = authenticator;
  // The client upgrades to TLS whenever the server offers it; `tls://` (or any TLS file) makes
  // TLS mandatory, so a plaintext server is refused instead of silently used.
  if (servers.some((s) => /^tls:\/\//i.test(s)) || auth.tls) {
    const tls: TlsOptions = {};
    if (auth.tls?.caFile) tls.caFile = auth.tls.caFile;
    if (auth.tls?.certFile) tls.certFile = auth.tls.certFile;
    if (auth.tls?.keyFile) tls.keyFile = auth.tls.keyFile;
    options.tls = tls;
  }
  try {
    return await connect(options);
  } catch (err) {
    throw connectError(server, auth, err);
  }
}

/** One line for what went wrong on the first connect, with what to do about it. */
export function connectError(server: string, auth: NatsAuth, err: unknown): GrnError {
  const e = err as Error & { code?: string; cause?: Error & { code?: string } };
  const code = e.cause?.code ?? e.code;
  const message = e.message ?? String(err);
  const unreachable = (why: string) => new GrnError(`cannot reach the NATS server at ${server}: ${why}`);
  if (code === 'ECONNREFUSED') return unreachable('connection refused (is nats-server running there, on that port?)');
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') return unreachable(`host not found (${message})`);
  if (code === 'EHOSTUNREACH' || code === 'ENETUNREACH') return unreachable('no route to host');
  if (code === 'ETIMEDOUT' || e.name === 'TimeoutError' || /timeout/i.test(message)) {
    return unreachable('no answer in time (a firewall dropping the port, or not a NATS server)');
  }
  if (e.name === 'AuthorizationError' || /authorization violation|authentication/i.test(message)) {
    const hint = auth.creds
      ? `the server does not know the key in ${auth.creds} — use the credentials file generated together with that server's nats.conf`
      : auth.token
        ? 'the token is wrong'
        : 'pass --creds FILE (or --token) with credentials this server accepts';
    return new GrnError(`the NATS server at ${server} refused the connection: Authorization Violation — ${hint}`);
  }
  if (/does not support 'tls'|tls.*not available/i.test(message)) {
    return new GrnError(`the NATS server at ${server} does not use TLS: connect with nats:// or give the server a tls { } block`);
  }
  if (/tls|certificate|self.signed|ssl|handshake/i.test(message) || /^ERR_TLS|CERT|SELF_SIGNED/.test(code ?? '')) {
    return new GrnError(
      `TLS with the NATS server at ${server} failed: ${message} — trust the CA that signed its certificate: set NODE_EXTRA_CA_CERTS=/path/to/ca.pem (or or pass --tls-ca FILE)`,
    );
  }
  return unreachable(message);
}
