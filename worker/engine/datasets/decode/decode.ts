import jpeg from 'jpeg-js';
import { PNG } from 'pngjs';

/**
 * Decoding one image file into HWC uint8 pixels, the channel conversions and the bilinear resize,
 * on plain typed arrays so the same code runs in the decode workers and in tests. Everything
 * throws a plain Error whose message is the reason; the worker turns it into `{ok: false}`.
 */
export interface DecodedImage {
  readonly height: number;
  readonly width: number;
  readonly channels: 1 | 3;
  /** height × width × channels bytes. */
  readonly pixels: Uint8Array;
}

export interface ProcessOptions {
  /** Resize to [height, width] (bilinear, half-pixel centres, no antialiasing). */
  readonly size?: readonly [number, number];
  /** Convert to 1 (grey) or 3 (RGB) channels; without it, the file's own. */
  readonly channels?: 1 | 3;
  /** Decode as a segmentation mask of class indices instead (one channel, resized nearest). */
  readonly mask?: MaskOptions;
}

/**
 * How a mask PNG's pixels become class indices: a palette PNG's palette index is the class (VOC's
 * SegmentationClass), a grey PNG's value is; an RGB PNG is mapped through `colors` when given
 * (VOC's colour map, for masks saved as RGB), and is an error otherwise.
 */
export interface MaskOptions {
  /** [r, g, b, index] for every colour an RGB mask may hold. */
  readonly colors?: ReadonlyArray<readonly [number, number, number, number]>;
}

export type ImageFormat = 'jpeg' | 'png';

/** The format by magic bytes (a .jpg that is really a PNG still decodes). */
export function sniffFormat(bytes: Uint8Array): ImageFormat | null {
  if (bytes.length >= 3 && bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[2] === 0xff) return 'jpeg';
  const png = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];
  if (bytes.length >= 8 && png.every((b, i) => bytes[i] === b)) return 'png';
  return null;
}

/** Decodes a JPEG or PNG to its own channel count: 1 for grey files, else 3 (alpha dropped). */
export function decodeImage(bytes: Uint8Array): DecodedImage {
  const format = sniffFormat(bytes);
  if (format === 'jpeg') return decodeJpeg(bytes);
  if (format === 'png') return decodePng(bytes);
  const head = Array.from(bytes.subarray(0, 4), (b) => b.toString(16).padStart(2, '0')).join(' ');
  throw new Error(`not a JPEG or PNG (starts with ${head || 'nothing: empty file'})`);
}

function decodeJpeg(bytes: Uint8Array): DecodedImage {
  // jpeg-js always returns RGB (it replicates grey); the frame header says whether the file is grey.
  // tolerantDecoding off: a truncated file must be an error, not an image with grey bands.
  const image = (() => {
    try {
      return jpeg.decode(bytes, { useTArray: true, formatAsRGBA: false, tolerantDecoding: false, maxMemoryUsageInMB: 1024 });
    } catch (err) {
      // jpeg-js speaks of markers and segments: say what that means for the file first.
      throw new Error(`corrupt or truncated JPEG (${(err as Error).message})`);
    }
  })();
  const { width, height, data } = image;
  if (!width || !height || data.length !== width * height * 3) throw new Error(`JPEG decoded to ${data.length} bytes for ${width}x${height}`);
  if (jpegComponents(bytes) === 1) {
    const grey = new Uint8Array(width * height);
    for (let i = 0; i < grey.length; i++) grey[i] = data[i * 3]!;
    return { height, width, channels: 1, pixels: grey };
  }
  return { height, width, channels: 3, pixels: data };
}

/** Number of colour components in the JPEG's frame header (SOFn), or 0 when not found. */
export function jpegComponents(bytes: Uint8Array): number {
  let i = 2;
  while (i + 4 <= bytes.length) {
    if (bytes[i] !== 0xff) return 0;
    const marker = bytes[i + 1]!;
    if (marker === 0xff) {
      i++;
      continue;
    }
    const length = (bytes[i + 2]! << 8) | bytes[i + 3]!;
    const isSof = marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc;
    if (isSof) return i + 9 < bytes.length ? bytes[i + 9]! : 0;
    if (marker === 0xda) return 0;
    i += 2 + length;
  }
  return 0;
}

/** pngjs' reader, its stream-level messages ("read requests waitng on finished stream") as what they mean for the file. */
function readPng(bytes: Uint8Array): PNG {
  try {
    return PNG.sync.read(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));
  } catch (err) {
    const message = (err as Error).message;
    if (/finished stream|unexpected end of file/i.test(message)) throw new Error('truncated PNG: the file ends before its image data does');
    throw new Error(`corrupt PNG (${message})`);
  }
}

function decodePng(bytes: Uint8Array): DecodedImage {
  // pngjs expands palette, grey, 1-16 bit depths and tRNS to 8-bit RGBA.
  const png = readPng(bytes) as PNG & { color?: boolean };
  const { width, height, data } = png;
  if (data.length !== width * height * 4) throw new Error(`PNG decoded to ${data.length} bytes for ${width}x${height}`);
  const channels: 1 | 3 = png.color === false ? 1 : 3;
  const pixels = new Uint8Array(width * height * channels);
  for (let i = 0, n = width * height; i < n; i++) {
    if (channels === 1) pixels[i] = data[i * 4]!;
    else {
      pixels[i * 3] = data[i * 4]!;
      pixels[i * 3 + 1] = data[i * 4 + 1]!;
      pixels[i * 3 + 2] = data[i * 4 + 2]!;
    }
  }
  return { height, width, channels, pixels };
}

/**
 * RGB to grey by ITU-R 601 luma, 0.299 R + 0.587 G + 0.114 B rounded, in the fixed point PIL's
 * convert('L') uses ((19595 R + 38470 G + 7471 B + 2^15) >> 16), so results match it exactly;
 * grey to RGB by replication.
 */
export function convertChannels(image: DecodedImage, channels: 1 | 3): DecodedImage {
  if (image.channels === channels) return image;
  const n = image.height * image.width;
  const src = image.pixels;
  const out = new Uint8Array(n * channels);
  if (channels === 1) {
    for (let i = 0; i < n; i++) out[i] = (19595 * src[i * 3]! + 38470 * src[i * 3 + 1]! + 7471 * src[i * 3 + 2]! + 0x8000) >> 16;
  } else {
    for (let i = 0; i < n; i++) out[i * 3] = out[i * 3 + 1] = out[i * 3 + 2] = src[i]!;
  }
  return { ...image, channels, pixels: out };
}

/**
 * Bilinear resize with half-pixel centres and edge clamping, no antialiasing: source coordinate
 * (d + 0.5)·in/out − 0.5, as OpenCV's INTER_LINEAR and torch's interpolate(align_corners=False,
 * antialias=False) do (PIL's BILINEAR antialiases when shrinking, so shrunk images differ from it).
 * Values are rounded half up.
 */
export function resizeBilinear(image: DecodedImage, height: number, width: number): DecodedImage {
  if (image.height === height && image.width === width) return image;
  const { channels, pixels: src, width: inW, height: inH } = image;
  const out = new Uint8Array(height * width * channels);
  const xs = axis(inW, width);
  const ys = axis(inH, height);
  for (let y = 0; y < height; y++) {
    const y0 = ys.lo[y]!, y1 = ys.hi[y]!, fy = ys.frac[y]!;
    for (let x = 0; x < width; x++) {
      const x0 = xs.lo[x]!, x1 = xs.hi[x]!, fx = xs.frac[x]!;
      for (let c = 0; c < channels; c++) {
        const a = src[(y0 * inW + x0) * channels + c]!;
        const b = src[(y0 * inW + x1) * channels + c]!;
        const d = src[(y1 * inW + x0) * channels + c]!;
        const e = src[(y1 * inW + x1) * channels + c]!;
        const top = a + (b - a) * fx;
        const bottom = d + (e - d) * fx;
        out[(y * width + x) * channels + c] = Math.round(top + (bottom - top) * fy);
      }
    }
  }
  return { height, width, channels, pixels: out };
}

function axis(inSize: number, outSize: number): { lo: Int32Array; hi: Int32Array; frac: Float64Array } {
  const lo = new Int32Array(outSize);
  const hi = new Int32Array(outSize);
  const frac = new Float64Array(outSize);
  const scale = inSize / outSize;
  for (let d = 0; d < outSize; d++) {
    const s = Math.min(Math.max((d + 0.5) * scale - 0.5, 0), inSize - 1);
    lo[d] = Math.floor(s);
    hi[d] = Math.min(lo[d]! + 1, inSize - 1);
    frac[d] = s - lo[d]!;
  }
  return { lo, hi, frac };
}

/**
 * A mask PNG as class indices, one byte a pixel. pngjs expands palettes to RGBA and keeps the
 * palette it read (`palette`, [r, g, b, a] per entry), so each pixel's colour is mapped back to its
 * palette index: exact as long as the palette's colours are distinct (VOC's are), and an error
 * naming the two entries when a used colour is not.
 */
export function decodeMask(bytes: Uint8Array, options: MaskOptions = {}): DecodedImage {
  const format = sniffFormat(bytes);
  if (format === 'jpeg') throw new Error('mask is a JPEG: masks must be PNG (JPEG compression changes class values)');
  if (format !== 'png') return decodeImage(bytes); // says what the bytes are
  // The typings call `palette` a boolean; at run time pngjs' sync reader returns the entries read.
  type Meta = { width: number; height: number; data: Buffer; colorType?: number; depth?: number; palette?: number[][] };
  const png = readPng(bytes) as unknown as Meta;
  const { width, height, data } = png;
  const n = width * height;
  if (data.length !== n * 4) throw new Error(`PNG decoded to ${data.length} bytes for ${width}x${height}`);
  const out = new Uint8Array(n);
  const lookup = (table: Map<number, number>, what: string) => {
    for (let i = 0; i < n; i++) {
      const key = ((data[i * 4]! << 16) | (data[i * 4 + 1]! << 8) | data[i * 4 + 2]!) >>> 0;
      const index = table.get(key);
      if (index === undefined) throw new Error(`pixel (${Math.floor(i / width)}, ${i % width}) has colour (${data[i * 4]}, ${data[i * 4 + 1]}, ${data[i * 4 + 2]}), not in the ${what}`);
      if (index < 0) throw new Error(`pixel (${Math.floor(i / width)}, ${i % width}): its colour is in the ${what} twice (entries ${-index - 1} and later), so its class is ambiguous`);
      out[i] = index;
    }
  };
  if (png.colorType === 3) {
    const table = new Map<number, number>();
    (png.palette ?? []).forEach(([r, g, b], index) => {
      const key = ((r! << 16) | (g! << 8) | b!) >>> 0;
      const first = table.get(key);
      if (first === undefined) table.set(key, index);
      else if (first >= 0) table.set(key, -(first + 1));
    });
    lookup(table, 'palette');
  } else if (png.colorType === 0 || png.colorType === 4) {
    if (png.depth === 16) throw new Error('16-bit grey mask: save masks as 8-bit grey or palette PNGs of class indices');
    for (let i = 0; i < n; i++) out[i] = data[i * 4]!;
  } else if (options.colors) {
    lookup(new Map(options.colors.map(([r, g, b, index]) => [((r << 16) | (g << 8) | b) >>> 0, index])), 'colour map');
  } else {
    throw new Error('RGB mask: expected a palette or 8-bit grey PNG whose values are class indices');
  }
  return { height, width, channels: 1, pixels: out };
}

/**
 * Nearest-neighbour resize as PIL's Image.NEAREST (what torchvision's Resize does to the
 * original's PIL masks): output pixel d takes source floor((d + 0.5)·in/out), so class indices stay
 * class indices.
 */
export function resizeNearest(image: DecodedImage, height: number, width: number): DecodedImage {
  if (image.height === height && image.width === width) return image;
  const { channels, pixels: src, width: inW, height: inH } = image;
  const out = new Uint8Array(height * width * channels);
  const xs = Int32Array.from({ length: width }, (_, x) => Math.min(inW - 1, Math.floor(((x + 0.5) * inW) / width)));
  for (let y = 0; y < height; y++) {
    const sy = Math.min(inH - 1, Math.floor(((y + 0.5) * inH) / height));
    for (let x = 0; x < width; x++) {
      for (let c = 0; c < channels; c++) out[(y * width + x) * channels + c] = src[(sy * inW + xs[x]!) * channels + c]!;
    }
  }
  return { height, width, channels, pixels: out };
}

/** A processed image and the size its file had (an image and its mask must agree before resizing). */
export interface ProcessedImage extends DecodedImage {
  readonly sourceHeight: number;
  readonly sourceWidth: number;
}

/** Decode, convert, resize: what the loader asks of every file (a mask: decode, resize nearest). */
export function processImage(bytes: Uint8Array, options: ProcessOptions): ProcessedImage {
  let image = options.mask ? decodeMask(bytes, options.mask) : decodeImage(bytes);
  const source = { sourceHeight: image.height, sourceWidth: image.width };
  if (options.channels && !options.mask) image = convertChannels(image, options.channels);
  if (options.size) image = (options.mask ? resizeNearest : resizeBilinear)(image, options.size[0], options.size[1]);
  return { ...image, ...source };
}
