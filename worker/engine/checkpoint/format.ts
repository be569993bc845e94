import { crc32 } from 'node:zlib';
import { z } from 'zod';
import { CheckpointError } from './errors.js';

/**
 * The checkpoint container, self-describing and checked:
 *
 *   "GRNCKPT\n" | u32 LE header length | header (UTF-8 JSON) | zero padding to 4 bytes |
 *   tensor data (float32, little-endian, in the header's order) | u32 LE CRC-32 of all before
 *
 * The header names the format (`grn.checkpoint/1`), the state (JSON, any shape the caller gives;
 * non-finite numbers survive as {"$num": "NaN"}) and where each tensor's values lie.
 */
export const CHECKPOINT_FORMAT = 'grn.checkpoint/1';
const MAGIC = Buffer.from('GRNCKPT\n', 'latin1');
const PREFIX = MAGIC.length + 4;

export interface TensorData {
  readonly shape: readonly number[];
  readonly data: Float32Array;
}

const TensorEntry = z.object({
  name: z.string(),
  shape: z.array(z.number().int().nonnegative()),
  /** In float32 values from the start of the data section. */
  offset: z.number().int().nonnegative(),
  length: z.number().int().nonnegative(),
});

const Header = z.object({
  format: z.string(),
  state: z.record(z.string(), z.unknown()),
  tensors: z.array(TensorEntry),
});

/** JSON has no NaN or ±Infinity; a step record or EMA may hold them, and they must come back. */
const encodeNumber = (_key: string, value: unknown) => (typeof value === 'number' && !Number.isFinite(value) ? { $num: String(value) } : value);
const decodeNumber = (_key: string, value: unknown) =>
  value !== null && typeof value === 'object' && !Array.isArray(value) && Object.keys(value).length === 1 && typeof (value as { $num?: unknown }).$num === 'string' ? Number((value as { $num: string }).$num) : value;

export function encodeCheckpoint(state: Record<string, unknown>, tensors: ReadonlyMap<string, TensorData>): Uint8Array {
  const entries: z.infer<typeof TensorEntry>[] = [];
  let offset = 0;
  for (const [name, t] of tensors) {
    entries.push({ name, shape: [...t.shape], offset, length: t.data.length });
    offset += t.data.length;
  }
  const header = Buffer.from(JSON.stringify({ format: CHECKPOINT_FORMAT, state, tensors: entries }, encodeNumber), 'utf8');
  const dataStart = align4(PREFIX + header.length);
  const total = dataStart + offset * 4 + 4;
  const bytes = new Uint8Array(total);
  bytes.set(MAGIC, 0);
  const view = new DataView(bytes.buffer);
  view.setUint32(MAGIC.length, header.length, true);
  bytes.set(header, PREFIX);
  // dataStart is a multiple of 4 in a fresh buffer: the float32 view needs no copy.
  const floats = new Float32Array(bytes.buffer, dataStart, offset);
  for (const [i, t] of [...tensors.values()].entries()) floats.set(t.data, entries[i]!.offset);
  view.setUint32(total - 4, crc32(bytes.subarray(0, total - 4)), true);
  return bytes;
}

export interface DecodedCheckpoint {
  readonly state: Record<string, unknown>;
  readonly tensors: ReadonlyMap<string, TensorData>;
}

/** Reads a checkpoint, or throws a CheckpointError naming what is wrong with the bytes. */
export function decodeCheckpoint(bytes: Uint8Array): DecodedCheckpoint {
  if (bytes.length < MAGIC.length || !Buffer.from(bytes.buffer, bytes.byteOffset, MAGIC.length).equals(MAGIC)) {
    throw new CheckpointError('not-a-checkpoint', `the bytes do not start with the ${CHECKPOINT_FORMAT} signature (${bytes.length} bytes)`);
  }
  if (bytes.length < PREFIX + 4) throw new CheckpointError('truncated', `${bytes.length} bytes: shorter than the fixed prefix`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const headerLength = view.getUint32(MAGIC.length, true);
  if (PREFIX + headerLength + 4 > bytes.length) throw new CheckpointError('truncated', `the header says ${headerLength} bytes but only ${bytes.length - PREFIX} follow`);
  let raw: unknown;
  try {
    raw = JSON.parse(Buffer.from(bytes.buffer, bytes.byteOffset + PREFIX, headerLength).toString('utf8'), decodeNumber);
  } catch (err) {
    throw new CheckpointError('corrupt', `the header is not JSON (${(err as Error).message})`);
  }
  const format = (raw as { format?: unknown } | null)?.format;
  if (typeof format === 'string' && format !== CHECKPOINT_FORMAT) throw new CheckpointError('unsupported-format', `format '${format}', this engine reads ${CHECKPOINT_FORMAT}`);
  const parsed = Header.safeParse(raw);
  if (!parsed.success) throw new CheckpointError('corrupt', `the header is malformed (${parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ')})`);
  const header = parsed.data;
  const dataStart = align4(PREFIX + headerLength);
  const floats = header.tensors.reduce((n, t) => Math.max(n, t.offset + t.length), 0);
  const expected = dataStart + floats * 4 + 4;
  if (bytes.length < expected) throw new CheckpointError('truncated', `${bytes.length} bytes, the header describes ${expected}`);
  if (bytes.length > expected) throw new CheckpointError('corrupt', `${bytes.length - expected} bytes more than the header describes`);
  const stored = view.getUint32(expected - 4, true);
  const actual = crc32(bytes.subarray(0, expected - 4));
  if (stored !== actual) throw new CheckpointError('corrupt', `checksum mismatch (stored ${hex(stored)}, computed ${hex(actual)})`);
  // A view when the bytes sit 4-aligned in memory (freshly read files do), else one copy.
  const aligned = (bytes.byteOffset + dataStart) % 4 === 0;
  const data = aligned ? new Float32Array(bytes.buffer, bytes.byteOffset + dataStart, floats) : new Float32Array(bytes.slice(dataStart, dataStart + floats * 4).buffer);
  const tensors = new Map<string, TensorData>();
  for (const t of header.tensors) {
    const size = t.shape.reduce((a, b) => a * b, 1);
    if (size !== t.length) throw new CheckpointError('corrupt', `tensor '${t.name}' has shape [${t.shape}] but ${t.length} values`);
    tensors.set(t.name, { shape: t.shape, data: data.subarray(t.offset, t.offset + t.length) });
  }
  return { state: header.state, tensors };
}

const align4 = (n: number) => (n + 3) & ~3;
const hex = (n: number) => n.toString(16).padStart(8, '0');
