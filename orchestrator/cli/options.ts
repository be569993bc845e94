import { InvalidArgumentError, type Command } from 'commander';
import type { NatsAuth } from '../../shared/protocol/connect.js';
import type { HyperParameterValue } from '../../shared/trial.js';

/** Option parsers that reject bad values with a message commander prints (exit code 2). */
export function positiveInt(value: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value.trim()) || !Number.isSafeInteger(n) || n <= 0) throw new InvalidArgumentError('expected a positive integer');
  return n;
}

export function nonNegativeInt(value: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value.trim()) || !Number.isSafeInteger(n)) throw new InvalidArgumentError('expected a non-negative integer');
  return n;
}

export function positiveNumber(value: string): number {
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n) || n <= 0) throw new InvalidArgumentError('expected a positive number');
  return n;
}

/** `--hp key=value`, repeatable: numbers, booleans and strings, collected into one record. */
export function hyperParameter(value: string, previous: Record<string, HyperParameterValue> = {}): Record<string, HyperParameterValue> {
  const match = /^([A-Za-z_][A-Za-z0-9_]*)=(.+)$/.exec(value);
  if (!match) throw new InvalidArgumentError(`expected key=value, got '${value}'`);
  const [, key, raw] = match as unknown as [string, string, string];
  let parsed: HyperParameterValue = raw;
  if (raw === 'true' || raw === 'false') parsed = raw === 'true';
  else if (raw.trim() !== '' && Number.isFinite(Number(raw))) parsed = Number(raw);
  return { ...previous, [key]: parsed };
}

/** `--replicas N`: JetStream keeps 1 to 5 copies of a stream. */
export function replicaCount(value: string): number {
  const n = positiveInt(value);
  if (n > 5) throw new InvalidArgumentError('expected 1 to 5 (JetStream keeps at most 5 copies of a stream)');
  return n;
}

/** `--local-workers N|auto`. */
export function workerCount(value: string): number | 'auto' {
  if (value === 'auto') return 'auto';
  return nonNegativeInt(value);
}

/** `--server nats://host:port` (also tls://), or several, comma-separated: the members of a cluster. */
export function natsUrl(value: string): string {
  const urls = value.split(',').map((u) => u.trim());
  for (const url of urls) {
    if (!/^(nats|tls|ws|wss):\/\/[^\s/,]+$/.test(url) && !/^[^\s/:,]+:\d+$/.test(url)) {
      throw new InvalidArgumentError(urls.length > 1 ? `expected nats://HOST:PORT,nats://HOST:PORT,…, got '${url}' in '${value}'` : `expected nats://HOST:PORT, got '${value}'`);
    }
  }
  return urls.join(',');
}

/** The flags every command that talks to a NATS server shares. */
export interface ConnectionFlags {
  server?: string;
  creds?: string;
  token?: string;
  tlsCa?: string;
  tlsCert?: string;
  tlsKey?: string;
}

/** Adds --server (required or not), --creds, --token and the TLS files to a command. */
export function connectionOptions(command: Command, server: { required: boolean; help: string }): Command {
  if (server.required) command.requiredOption('--server <url>', server.help, natsUrl);
  else command.option('--server <url>', server.help, natsUrl);
  return command
    .option('--creds <file>', 'credentials file from `grn server init` (an nkey seed) or a NATS .creds file')
    .option('--token <token>', 'token, for servers configured with token auth')
    .option('--tls-ca <file>', 'CA certificate to trust for a TLS server (or set NODE_EXTRA_CA_CERTS)')
    .option('--tls-cert <file>', 'client certificate, for servers that verify clients (mutual TLS)')
    .option('--tls-key <file>', 'key of --tls-cert');
}

export function natsAuth(flags: ConnectionFlags): NatsAuth {
  const tls = flags.tlsCa || flags.tlsCert || flags.tlsKey ? { caFile: flags.tlsCa, certFile: flags.tlsCert, keyFile: flags.tlsKey } : undefined;
  return { creds: flags.creds, token: flags.token, ...(tls ? { tls } : {}) };
}
