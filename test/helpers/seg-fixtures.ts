import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { deflateSync } from 'node:zlib';
import { vocColorMap } from '../../worker/engine/datasets/kinds/voc2012.js';
import { encodeJpeg, encodePng } from './image-fixtures.js';

/**
 * Segmentation fixtures in the real formats: VOC's layout with palette PNG masks (8-bit indexed,
 * VOC's colour map as the palette, written by the small encoder below since pngjs writes no
 * palette PNGs), and the segmentation-folder layout with grey masks. Masks and images agree: each
 * sample is background with one rectangle of a class, outlined by the ignore value, and the image's
 * colour in each region is the class's, so a model can learn them.
 */

const CRC_TABLE = Uint32Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});

function crc32(bytes: Uint8Array): number {
  let c = 0xffffffff;
  for (const b of bytes) c = CRC_TABLE[(c ^ b) & 0xff]! ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

function chunk(type: string, data: Uint8Array): Buffer {
  const head = Buffer.alloc(8);
  head.writeUInt32BE(data.length, 0);
  head.write(type, 4, 'ascii');
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(Buffer.concat([head.subarray(4), data])), 0);
  return Buffer.concat([head, data, crc]);
}

/** An 8-bit palette PNG (colour type 3) of `indices` (h × w), with `palette` as its PLTE. */
export function encodePalettePng(indices: Uint8Array, height: number, width: number, palette: ReadonlyArray<readonly [number, number, number]> = vocColorMap()): Uint8Array {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr.set([8, 3, 0, 0, 0], 8); // depth 8, palette, deflate, adaptive filtering, no interlace
  const raw = Buffer.alloc(height * (width + 1));
  for (let y = 0; y < height; y++) raw.set(indices.subarray(y * width, (y + 1) * width), y * (width + 1) + 1); // filter 0 (none)
  const plte = Buffer.from(palette.flat());
  const signature = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  return Buffer.concat([signature, chunk('IHDR', ihdr), chunk('PLTE', plte), chunk('IDAT', deflateSync(raw)), chunk('IEND', new Uint8Array(0))]);
}

/** Sample `index`'s mask: background 0, a rectangle of class `cls`, its outline `ignore`. */
export function fixtureMask(height: number, width: number, cls: number, index: number, ignore = 255): Uint8Array {
  const mask = new Uint8Array(height * width);
  const top = 1 + (index % 3), left = 2 + (index % 4);
  const bottom = Math.min(height - 2, top + Math.floor(height / 2)), right = Math.min(width - 2, left + Math.floor(width / 2));
  for (let y = top; y <= bottom; y++) {
    for (let x = left; x <= right; x++) mask[y * width + x] = y === top || y === bottom || x === left || x === right ? ignore : cls;
  }
  return mask;
}

/** An RGB image whose colour in each pixel is its mask class's (ignored pixels mid grey). */
export function fixtureImage(mask: Uint8Array, classes: number, ignore = 255): Uint8Array {
  const out = new Uint8Array(mask.length * 3);
  for (let i = 0; i < mask.length; i++) {
    const v = mask[i]!;
    const k = v === ignore ? -1 : v;
    out[i * 3] = k < 0 ? 128 : (k * 97 + 20) % 256;
    out[i * 3 + 1] = k < 0 ? 128 : (k * 151 + 200) % 256;
    out[i * 3 + 2] = k < 0 ? 128 : Math.round((255 * k) / Math.max(1, classes - 1));
  }
  return out;
}

export interface VocFixture {
  /** Samples in train.txt, then val.txt. */
  readonly train?: number;
  readonly val?: number;
  readonly height?: number;
  readonly width?: number;
  /** Write ImageSets/Segmentation/{train,val}.txt (default true). */
  readonly lists?: boolean;
  /** Folders above the VOC root, e.g. 'VOCdevkit/VOC2012/' (default: that). */
  readonly prefix?: string;
  /** Masks as RGB PNGs in VOC's colours instead of palette PNGs. */
  readonly rgbMasks?: boolean;
}

/** The stems a VOC fixture writes, in order: 2007_000000, 2007_000001, … */
export function vocStem(i: number): string {
  return `2007_${String(i).padStart(6, '0')}`;
}

/** Writes a tiny VOCdevkit tree under `root`; returns `root`. Sample i has class 1 + (i mod 20). */
export async function writeVocFolder(root: string, spec: VocFixture = {}): Promise<string> {
  const { train = 4, val = 2, height = 20, width = 24, lists = true, prefix = 'VOCdevkit/VOC2012/' } = spec;
  const base = join(root, prefix);
  const colors = vocColorMap();
  const put = async (rel: string, bytes: Uint8Array | string) => {
    await mkdir(dirname(join(base, rel)), { recursive: true });
    await writeFile(join(base, rel), bytes);
  };
  const stems = Array.from({ length: train + val }, (_, i) => vocStem(i));
  for (const [i, stem] of stems.entries()) {
    const mask = fixtureMask(height, width, 1 + (i % 20), i);
    await put(`JPEGImages/${stem}.jpg`, encodeJpeg(fixtureImage(mask, 21), height, width, 3));
    if (spec.rgbMasks) {
      const rgb = new Uint8Array(mask.length * 3);
      mask.forEach((v, p) => rgb.set(colors[v]!, p * 3));
      await put(`SegmentationClass/${stem}.png`, encodePng(rgb, height, width, 3));
    } else {
      await put(`SegmentationClass/${stem}.png`, encodePalettePng(mask, height, width));
    }
  }
  if (lists) {
    await put('ImageSets/Segmentation/train.txt', stems.slice(0, train).join('\n') + '\n');
    await put('ImageSets/Segmentation/val.txt', stems.slice(train).join('\n') + '\n');
  }
  return root;
}

export interface SegFolderFixture {
  readonly classes?: number;
  readonly perSplit?: number;
  readonly height?: number;
  readonly width?: number;
  /** 'split': train/ and test/ each with images/ and masks/; 'flat': images/ and masks/ (default split). */
  readonly layout?: 'split' | 'flat';
  /** Masks as palette PNGs instead of grey ones. */
  readonly palette?: boolean;
}

/** Writes a segmentation-folder tree (PNG images, grey or palette masks); returns its root. */
export async function writeSegmentationFolder(root: string, spec: SegFolderFixture = {}): Promise<string> {
  const { classes = 3, perSplit = 4, height = 16, width = 16, layout = 'split' } = spec;
  const splits = layout === 'split' ? ['train', 'test'] : [''];
  for (const [s, split] of splits.entries()) {
    await mkdir(join(root, split, 'images'), { recursive: true });
    await mkdir(join(root, split, 'masks'), { recursive: true });
    for (let i = 0; i < perSplit; i++) {
      const index = i + s * perSplit;
      const mask = fixtureMask(height, width, 1 + (index % (classes - 1)), index);
      const stem = `img${String(index).padStart(3, '0')}`;
      await writeFile(join(root, split, 'images', `${stem}.png`), encodePng(fixtureImage(mask, classes), height, width, 3));
      await writeFile(join(root, split, 'masks', `${stem}.png`), spec.palette ? encodePalettePng(mask, height, width) : encodePng(mask, height, width, 1));
    }
  }
  return root;
}
