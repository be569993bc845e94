import { PNG } from 'pngjs';
import { JET } from './colormap.js';

/** The original's blend: heatmap × 0.4 + image × 0.6 (apply_heatmap_on_image in its main.py). */
export const HEATMAP_WEIGHT = 0.4;

/**
 * The heatmap over the image, as `height × width × 3` RGB bytes. `image` is the sample's own bytes
 * (`channels` 1 or 3; grey is repeated into R, G and B) — the exact picture the model was given
 * before normalisation, where the original de-normalised its input tensor back. `cam` holds one
 * value in [0, 1] per pixel; as the original, it becomes a JET colour through ⌊255·cam⌋, then
 * each channel is 0.4·heat + 0.6·image, rounded to the nearest byte.
 */
export function overlay(image: Uint8Array, channels: number, cam: ArrayLike<number>, width: number, height: number): Uint8Array {
  if (channels !== 1 && channels !== 3) throw new RangeError(`overlay: images have 1 or 3 channels, not ${channels}`);
  const pixels = width * height;
  if (image.length !== pixels * channels || cam.length !== pixels) throw new RangeError(`overlay: a ${width}x${height} image needs ${pixels * channels} bytes and ${pixels} heatmap values`);
  const out = new Uint8Array(pixels * 3);
  for (let p = 0; p < pixels; p++) {
    const level = Math.min(255, Math.max(0, Math.floor(255 * cam[p]!)));
    for (let c = 0; c < 3; c++) {
      const pixel = image[p * channels + (channels === 1 ? 0 : c)]!;
      out[3 * p + c] = Math.round(HEATMAP_WEIGHT * JET[3 * level + c]! + (1 - HEATMAP_WEIGHT) * pixel);
    }
  }
  return out;
}

/** RGB bytes as a PNG file (8-bit RGB, no alpha). */
export function encodePng(rgb: Uint8Array, width: number, height: number): Uint8Array {
  const png = new PNG({ width, height });
  for (let p = 0; p < width * height; p++) {
    png.data[4 * p] = rgb[3 * p]!;
    png.data[4 * p + 1] = rgb[3 * p + 1]!;
    png.data[4 * p + 2] = rgb[3 * p + 2]!;
    png.data[4 * p + 3] = 255;
  }
  return new Uint8Array(PNG.sync.write(png, { colorType: 2 }));
}
