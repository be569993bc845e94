import { createWriteStream } from 'node:fs';
import { mkdir, readdir, readFile, stat, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { createGzip } from 'node:zlib';
import jpeg from 'jpeg-js';
import { PNG } from 'pngjs';
import * as tar from 'tar-stream';

/**
 * Image data set fixtures in the real formats (JPEG via jpeg-js, PNG via pngjs, tar via tar-stream,
 * CIFAR's binary batches), small and deterministic, written into the test's temporary folder.
 */

/** HWC pixels whose content depends on the class and the image index, so mix-ups show. */
export function fixturePixels(height: number, width: number, channels: number, label: number, index = 0): Uint8Array {
  const out = new Uint8Array(height * width * channels);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      for (let c = 0; c < channels; c++) {
        out[(y * width + x) * channels + c] = (label * 53 + index * 11 + y * 7 + x * 3 + c * 60) & 255;
      }
    }
  }
  return out;
}

function toRgba(pixels: Uint8Array, height: number, width: number, channels: number): Buffer {
  const rgba = Buffer.alloc(height * width * 4);
  for (let i = 0; i < height * width; i++) {
    for (let c = 0; c < 3; c++) rgba[i * 4 + c] = pixels[i * channels + (channels === 1 ? 0 : c)]!;
    rgba[i * 4 + 3] = channels === 4 ? pixels[i * 4 + 3]! : 255;
  }
  return rgba;
}

/** A baseline JPEG (always 3 components: jpeg-js writes YCbCr). */
export function encodeJpeg(pixels: Uint8Array, height: number, width: number, channels: number, quality = 95): Uint8Array {
  return jpeg.encode({ data: toRgba(pixels, height, width, channels), width, height }, quality).data;
}

/** A PNG: grey (channels 1), RGB (3) or RGBA (4), 8 bits, or 16 bits when asked. */
export function encodePng(pixels: Uint8Array, height: number, width: number, channels: 1 | 3 | 4, bitDepth: 8 | 16 = 8): Uint8Array {
  const png = new PNG({ width, height });
  png.data = toRgba(pixels, height, width, channels);
  const colorType = channels === 1 ? 0 : channels === 3 ? 2 : 6;
  if (bitDepth === 16) {
    // pngjs packs 16-bit output from 16-bit input: each 8-bit value v becomes v·257 (exactly v again when read back).
    const wide = new Uint16Array(png.data.length);
    for (let i = 0; i < wide.length; i++) wide[i] = png.data[i]! * 257;
    (png as unknown as { data: Uint16Array }).data = wide;
  }
  return PNG.sync.write(png, { colorType, bitDepth, inputHasAlpha: true });
}

export type FixtureFormat = 'jpg' | 'png';

export interface FolderSpec {
  readonly classes: readonly string[];
  /** Images per class in each split. */
  readonly perClass: number;
  readonly height?: number;
  readonly width?: number;
  /** Channels of the written images (JPEG is always written as RGB). */
  readonly channels?: 1 | 3;
  readonly format?: FixtureFormat;
  /** 'split': train/<class>/*, test/<class>/*; 'flat': <class>/*. */
  readonly layout?: 'split' | 'flat';
  /** A top-level folder everything sits under. */
  readonly top?: string;
}

/** Writes an image-folder tree; returns its root. */
export async function writeImageFolder(root: string, spec: FolderSpec): Promise<string> {
  const { classes, perClass, height = 8, width = 8, channels = 3, format = 'png', layout = 'split' } = spec;
  const base = spec.top ? join(root, spec.top) : root;
  const splits = layout === 'split' ? ['train', 'test'] : [''];
  for (const [s, split] of splits.entries()) {
    for (const [label, name] of classes.entries()) {
      const folder = join(base, split, name);
      await mkdir(folder, { recursive: true });
      for (let i = 0; i < perClass; i++) {
        const pixels = fixturePixels(height, width, channels, label, i + 100 * s);
        const bytes = format === 'jpg' ? encodeJpeg(pixels, height, width, channels) : encodePng(pixels, height, width, channels);
        await writeFile(join(folder, `${String(i).padStart(4, '0')}.${format}`), bytes);
      }
    }
  }
  return root;
}

/** Packs a folder tree into a tar (gzipped when `gzip`), with folder entries as GNU tar writes them. */
export async function packTar(dir: string, out: string, options: { gzip?: boolean; prefix?: string } = {}): Promise<string> {
  const pack = tar.pack();
  const sink = createWriteStream(out);
  const done = options.gzip ? pipeline(pack, createGzip(), sink) : pipeline(pack, sink);
  const visit = async (rel: string): Promise<void> => {
    const items = (await readdir(join(dir, rel), { withFileTypes: true })).sort((a, b) => (a.name < b.name ? -1 : 1));
    for (const item of items) {
      const child = rel ? `${rel}/${item.name}` : item.name;
      const name = (options.prefix ?? '') + child;
      if (item.isDirectory()) {
        pack.entry({ name: `${name}/`, type: 'directory' });
        await visit(child);
      } else {
        const bytes = await readFile(join(dir, child));
        await new Promise<void>((resolve, reject) => pack.entry({ name, size: bytes.length }, bytes, (err) => (err ? reject(err) : resolve())));
      }
    }
  };
  await visit('');
  pack.finalize();
  await done;
  return out;
}

/** A tar (or .tar.gz) holding the given files, by name. */
export async function writeTar(out: string, files: Record<string, Uint8Array>, gzip = false): Promise<string> {
  const pack = tar.pack();
  const done = gzip ? pipeline(pack, createGzip(), createWriteStream(out)) : pipeline(pack, createWriteStream(out));
  for (const [name, bytes] of Object.entries(files)) {
    await new Promise<void>((resolve, reject) => pack.entry({ name, size: bytes.length }, Buffer.from(bytes), (err) => (err ? reject(err) : resolve())));
  }
  pack.finalize();
  await done;
  return out;
}

export const CIFAR_CLASSES = ['airplane', 'automobile', 'bird', 'cat', 'deer', 'dog', 'frog', 'horse', 'ship', 'truck'];

/** CIFAR's value of channel c at (y, x) of record r of a batch, for exact checks. */
export function cifarValue(batch: number, record: number, c: number, y: number, x: number): number {
  return (batch * 31 + record * 17 + c * 85 + y * 5 + x * 3) & 255;
}

/** One binary batch: per record a label byte then 1024 R, 1024 G, 1024 B bytes (CHW). */
export function cifarBatch(batch: number, records: number): Uint8Array {
  const out = new Uint8Array(records * 3073);
  for (let r = 0; r < records; r++) {
    out[r * 3073] = (r + batch) % 10;
    for (let c = 0; c < 3; c++) {
      for (let y = 0; y < 32; y++) for (let x = 0; x < 32; x++) out[r * 3073 + 1 + c * 1024 + y * 32 + x] = cifarValue(batch, r, c, y, x);
    }
  }
  return out;
}

/** The files of cifar-10-batches-bin/ with `records` per batch (batch index 0-4 train, 5 test). */
export function cifarFiles(records = 4): Record<string, Uint8Array> {
  const files: Record<string, Uint8Array> = {};
  for (let b = 1; b <= 5; b++) files[`data_batch_${b}.bin`] = cifarBatch(b - 1, records);
  files['test_batch.bin'] = cifarBatch(5, records);
  files['batches.meta.txt'] = Buffer.from(CIFAR_CLASSES.join('\n') + '\n\n');
  return files;
}

/** Writes cifar-10-batches-bin/ under `root`; returns that folder. */
export async function writeCifarFolder(root: string, files = cifarFiles()): Promise<string> {
  const folder = join(root, 'cifar-10-batches-bin');
  await mkdir(folder, { recursive: true });
  for (const [name, bytes] of Object.entries(files)) await writeFile(join(folder, name), bytes);
  return folder;
}

/** Writes cifar-10-binary.tar.gz (members under cifar-10-batches-bin/) at `out`. */
export async function writeCifarArchive(out: string, files = cifarFiles()): Promise<string> {
  const prefixed: Record<string, Uint8Array> = {};
  for (const [name, bytes] of Object.entries(files)) prefixed[`cifar-10-batches-bin/${name}`] = bytes;
  await mkdir(dirname(out), { recursive: true });
  return writeTar(out, prefixed, true);
}

/** A JPEG cut short (its entropy-coded data and end marker gone). */
export function truncatedJpeg(): Uint8Array {
  const whole = encodeJpeg(fixturePixels(16, 16, 3, 1), 16, 16, 3);
  return whole.subarray(0, Math.floor(whole.length / 3));
}

/** A PNG cut short inside its image data. */
export function truncatedPng(): Uint8Array {
  const whole = encodePng(fixturePixels(16, 16, 3, 2), 16, 16, 3);
  return whole.subarray(0, Math.floor(whole.length / 2));
}

/** Bytes that are no image at all. */
export function notAnImage(): Uint8Array {
  return Buffer.from('this is a text file, not an image\n');
}

export async function fileSize(path: string): Promise<number> {
  return (await stat(path)).size;
}
