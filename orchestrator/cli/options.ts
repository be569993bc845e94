import { InvalidArgumentError } from 'commander';
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

/** `--local-workers N|auto`. */
export function workerCount(value: string): number | 'auto' {
  if (value === 'auto') return 'auto';
  return nonNegativeInt(value);
}

/** `--server nats://host:port` (also tls://). */
export function natsUrl(value: string): string {
  if (!/^(nats|tls|ws|wss):\/\/[^\s/]+$/.test(value) && !/^[^\s/:]+:\d+$/.test(value)) {
    throw new InvalidArgumentError(`expected nats://HOST:PORT, got '${value}'`);
  }
  return value;
}
