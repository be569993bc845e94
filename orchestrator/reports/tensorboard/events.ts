import { maskedCrc32c } from './crc32c.js';

/**
 * TensorBoard event files, written by hand: a TFRecord stream (per record: uint64 length, masked
 * CRC-32C of the length, the bytes, masked CRC-32C of the bytes; all little-endian) of
 * `tensorflow.Event` protobufs. Three messages of event.proto / summary.proto are needed:
 *   Event   { double wall_time = 1; int64 step = 2; string file_version = 3; Summary summary = 5; }
 *   Summary { repeated Value value = 1; }
 *   Value   { string tag = 1; float simple_value = 2; }
 * `simple_value` scalars are what tf.summary v1 and tensorboardX write, and TensorBoard's scalar
 * dashboard reads them. Encoding these few fields straight into one growing buffer is simpler
 * (and, at thousands of runs, much faster) than carrying a protobuf runtime.
 */

export interface Scalar {
  readonly tag: string;
  readonly value: number;
}

function varintLength(v: number): number {
  let n = 1;
  while (v >= 0x80) {
    v = Math.floor(v / 128);
    n++;
  }
  return n;
}

/** Writes a non-negative integer below 2^53 as a protobuf varint; returns the new offset. */
function writeVarint(buf: Buffer, at: number, v: number): number {
  while (v >= 0x80) {
    buf[at++] = (v % 128) | 0x80;
    v = Math.floor(v / 128);
  }
  buf[at++] = v;
  return at;
}

/**
 * Per tag, the bytes of `Summary.value = Value { tag = …; simple_value = ` up to the float itself:
 * the same for every step, so encoded once.
 */
const prefixCache = new Map<string, Buffer>();
function valuePrefix(tag: string): Buffer {
  let p = prefixCache.get(tag);
  if (!p) {
    const t = Buffer.from(tag, 'utf8');
    const valueSize = 1 + varintLength(t.length) + t.length + 1 + 4;
    p = Buffer.alloc(1 + varintLength(valueSize) + 1 + varintLength(t.length) + t.length + 1);
    let at = 0;
    p[at++] = 0x0a; // Summary.value, length-delimited
    at = writeVarint(p, at, valueSize);
    p[at++] = 0x0a; // Value.tag
    at = writeVarint(p, at, t.length);
    at += t.copy(p, at);
    p[at++] = 0x15; // Value.simple_value, 32-bit
    prefixCache.set(tag, p);
  }
  return p;
}

/** Accumulates framed Event records in one buffer. */
export class EventWriter {
  private buf = Buffer.allocUnsafe(1 << 16);
  private at = 0;

  private reserve(n: number): void {
    if (this.at + n <= this.buf.length) return;
    const next = Buffer.allocUnsafe(Math.max(this.buf.length * 2, this.at + n));
    this.buf.copy(next, 0, 0, this.at);
    this.buf = next;
  }

  /** Appends one record holding an Event with the given fields. */
  add(wallTime: number, step: number, scalars: readonly Scalar[] = [], fileVersion?: string): void {
    step = Math.max(0, Math.floor(step));
    const version = fileVersion === undefined ? null : Buffer.from(fileVersion, 'utf8');
    let summary = 0;
    for (const s of scalars) summary += valuePrefix(s.tag).length + 4;
    const size = 9 + 1 + varintLength(step) + (version ? 1 + varintLength(version.length) + version.length : 0) + (summary ? 1 + varintLength(summary) + summary : 0);
    this.reserve(16 + size);
    const b = this.buf;
    const head = this.at;
    b.writeUInt32LE(size, head); // uint64 length, little-endian: an event is far below 4 GiB
    b.writeUInt32LE(0, head + 4);
    b.writeUInt32LE(maskedCrc32c(b, head, head + 8), head + 8);
    let at = head + 12;
    b[at++] = 0x09; // Event.wall_time, 64-bit
    b.writeDoubleLE(wallTime, at);
    at += 8;
    b[at++] = 0x10; // Event.step, varint
    at = writeVarint(b, at, step);
    if (version) {
      b[at++] = 0x1a; // Event.file_version
      at = writeVarint(b, at, version.length);
      at += version.copy(b, at);
    }
    if (summary) {
      b[at++] = 0x2a; // Event.summary
      at = writeVarint(b, at, summary);
      for (const s of scalars) {
        at += valuePrefix(s.tag).copy(b, at);
        b.writeFloatLE(s.value, at);
        at += 4;
      }
    }
    b.writeUInt32LE(maskedCrc32c(b, head + 12, at), at);
    this.at = at + 4;
  }

  bytes(): Buffer {
    return this.buf.subarray(0, this.at);
  }
}

/** One `Event` message, unframed (for tests). */
export function encodeEvent(event: { wallTime: number; step: number; fileVersion?: string; scalars?: readonly Scalar[] }): Buffer {
  const w = new EventWriter();
  w.add(event.wallTime, event.step, event.scalars, event.fileVersion);
  const framed = w.bytes();
  return Buffer.from(framed.subarray(12, framed.length - 4));
}

/** One TFRecord: length, its masked CRC, the data, the data's masked CRC. */
export function tfRecord(data: Uint8Array): Buffer {
  const out = Buffer.allocUnsafe(8 + 4 + data.length + 4);
  out.writeBigUInt64LE(BigInt(data.length), 0);
  out.writeUInt32LE(maskedCrc32c(out, 0, 8), 8);
  out.set(data, 12);
  out.writeUInt32LE(maskedCrc32c(data), 12 + data.length);
  return out;
}

/** Reads back the records of a TFRecord stream, checking both CRCs (for tests and tools). */
export function readTfRecords(file: Buffer): Buffer[] {
  const records: Buffer[] = [];
  for (let at = 0; at < file.length; ) {
    if (at + 12 > file.length) throw new Error(`truncated record header at byte ${at}`);
    const length = Number(file.readBigUInt64LE(at));
    if (file.readUInt32LE(at + 8) !== maskedCrc32c(file, at, at + 8)) throw new Error(`bad length CRC at byte ${at}`);
    if (at + 16 + length > file.length) throw new Error(`truncated record at byte ${at}`);
    if (file.readUInt32LE(at + 12 + length) !== maskedCrc32c(file, at + 12, at + 12 + length)) throw new Error(`bad data CRC at byte ${at}`);
    records.push(file.subarray(at + 12, at + 12 + length));
    at += 16 + length;
  }
  return records;
}

/** An events file's bytes: the file_version event first, as every TensorFlow writer does. */
export function eventFile(startWallTime: number, events: ReadonlyArray<{ wallTime: number; step: number; scalars: readonly Scalar[] }>): Buffer {
  const w = new EventWriter();
  w.add(startWallTime, 0, [], 'brain.Event:2');
  for (const e of events) if (e.scalars.length) w.add(e.wallTime, e.step, e.scalars);
  return w.bytes();
}
