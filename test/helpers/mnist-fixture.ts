import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import seedrandom from 'seedrandom';

/** Encodes unsigned-byte IDX bytes: magic 00 00 08 <rank>, big-endian dims, data. */
export function idxBytes(dims: number[], data: Uint8Array): Uint8Array {
  const header = Buffer.alloc(4 + 4 * dims.length);
  header[2] = 0x08;
  header[3] = dims.length;
  dims.forEach((d, i) => header.writeUInt32BE(d, 4 + 4 * i));
  return Buffer.concat([header, data]);
}

/**
 * Synthetic, learnable MNIST-format data: class k lights a 6x6 block at one of ten positions,
 * over low noise. Same seed, same bytes.
 */
export function syntheticDigits(count: number, seed: number): { images: Uint8Array; labels: Uint8Array } {
  const random = seedrandom.alea(`fixture:${seed}`);
  const images = new Uint8Array(count * 784);
  const labels = new Uint8Array(count);
  for (let n = 0; n < count; n++) {
    const label = n % 10;
    labels[n] = label;
    const top = 2 + 12 * Math.floor(label / 5);
    const left = 2 + 5 * (label % 5);
    for (let p = 0; p < 784; p++) images[n * 784 + p] = Math.floor(random() * 40);
    for (let r = 0; r < 6; r++) for (let c = 0; c < 6; c++) images[n * 784 + (top + r) * 28 + left + c] = 200 + Math.floor(random() * 55);
  }
  return { images, labels };
}

/** Writes the four MNIST files (gzip by default) into a new temporary folder and returns it. */
export async function writeMnistFixture(options: { train?: number; test?: number; gzip?: boolean } = {}): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'grn-mnist-'));
  const gz = options.gzip ?? true;
  const write = async (name: string, dims: number[], data: Uint8Array) => {
    const bytes = idxBytes(dims, data);
    await writeFile(join(dir, gz ? name : name.replace(/\.gz$/, '')), gz ? gzipSync(bytes) : bytes);
  };
  const train = syntheticDigits(options.train ?? 320, 1);
  const test = syntheticDigits(options.test ?? 100, 2);
  await write('train-images-idx3-ubyte.gz', [train.labels.length, 28, 28], train.images);
  await write('train-labels-idx1-ubyte.gz', [train.labels.length], train.labels);
  await write('t10k-images-idx3-ubyte.gz', [test.labels.length, 28, 28], test.images);
  await write('t10k-labels-idx1-ubyte.gz', [test.labels.length], test.labels);
  return dir;
}
