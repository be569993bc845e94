import { gunzipSync } from 'node:zlib';
import { DataFileError } from '../../../shared/errors.js';

/**
 * The IDX format of MNIST (and Fashion-MNIST, EMNIST): a 4-byte magic (0, 0, type code, number of
 * dimensions), one big-endian uint32 per dimension, then the values. Only unsigned bytes (0x08)
 * are used by these data sets.
 */
export interface IdxArray {
  readonly dims: number[];
  readonly data: Uint8Array;
}

const UBYTE = 0x08;

/** True when the bytes start with the gzip magic 1f 8b, so files may be stored either way. */
export function isGzip(bytes: Uint8Array): boolean {
  return bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b;
}

/** Decompresses gzip input (naming the file when the stream is corrupt), passes raw input through. */
export function decompress(bytes: Uint8Array, file: string): Uint8Array {
  if (!isGzip(bytes)) return bytes;
  try {
    return gunzipSync(bytes);
  } catch (err) {
    throw new DataFileError(file, `corrupt or truncated gzip stream (${(err as Error).message})`);
  }
}

/** Parses decompressed IDX bytes, checking the magic, the rank and that the data is all there. */
export function parseIdx(bytes: Uint8Array, file: string, expectedRank: number | readonly number[]): IdxArray {
  const ranks = typeof expectedRank === 'number' ? [expectedRank] : expectedRank;
  if (bytes.length < 4) throw new DataFileError(file, `too short for an IDX header (${bytes.length} bytes)`);
  if (bytes[0] !== 0 || bytes[1] !== 0) {
    throw new DataFileError(file, `not an IDX file: wrong magic ${hex(bytes.subarray(0, 4))} (expected 00 00 08 0${ranks[0]})`);
  }
  if (bytes[2] !== UBYTE) {
    throw new DataFileError(file, `unsupported IDX element type 0x${bytes[2]!.toString(16)} (only unsigned bytes, 0x08)`);
  }
  const rank = bytes[3]!;
  if (!ranks.includes(rank)) {
    throw new DataFileError(file, `IDX file has ${rank} dimensions, expected ${ranks.join(' or ')}`);
  }
  const headerLength = 4 + 4 * rank;
  if (bytes.length < headerLength) throw new DataFileError(file, 'truncated IDX header');
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const dims: number[] = [];
  for (let i = 0; i < rank; i++) dims.push(view.getUint32(4 + 4 * i, false));
  const expected = dims.reduce((a, b) => a * b, 1);
  const available = bytes.length - headerLength;
  if (available < expected) {
    throw new DataFileError(file, `truncated: header promises ${expected} values (${dims.join('x')}), file holds ${available}`);
  }
  return { dims, data: bytes.subarray(headerLength, headerLength + expected) };
}

function hex(bytes: Uint8Array): string {
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join(' ');
}
