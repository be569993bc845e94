import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { INLINE_BLOB_BYTES, type IpcBlob } from './ipc.js';

let written = 0;

/** `bytes` as an IPC blob: inline when small, else a new file in `scratch` (the receiver's to delete). */
export async function toBlob(bytes: Uint8Array, scratch: string | undefined, label: string): Promise<IpcBlob> {
  if (bytes.length <= INLINE_BLOB_BYTES || !scratch) return { base64: Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64') };
  const file = join(scratch, `${label}-${process.pid}-${written++}.bin`);
  await writeFile(file, bytes);
  return { file };
}

export async function fromBlob(blob: IpcBlob): Promise<Uint8Array> {
  if ('base64' in blob) return new Uint8Array(Buffer.from(blob.base64, 'base64'));
  // A fresh Buffer from readFile is its own ArrayBuffer at offset 0: the float32 data decodes without a copy.
  return new Uint8Array(await readFile(blob.file));
}
