import { parseArgs } from 'node:util';
import { UsageError } from '../shared/errors.js';

/** Flags shared by the benchmarks, parsed strictly so that a typo is an error, not ignored. */
export function benchArgs<T extends Record<string, { type: 'string' | 'boolean'; default?: string | boolean }>>(args: string[], options: T) {
  try {
    return parseArgs({ args, options: { json: { type: 'boolean', default: false }, ...options }, strict: true, allowPositionals: false }).values;
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
}

export function numberFlag(value: string | boolean | undefined, name: string, fallback: number): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (typeof value !== 'string' || !Number.isFinite(n) || n <= 0) throw new UsageError(`--${name} expects a positive number, got '${value}'`);
  return n;
}
