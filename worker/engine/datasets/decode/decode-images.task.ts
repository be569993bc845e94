import { move, transferableSymbol, valueSymbol } from 'piscina';
import { processImage, type ProcessOptions } from './decode.js';

/**
 * The decode workers' task (piscina, named export): one batch of files in, one ArrayBuffer of
 * pixels out, both moved rather than copied. A file that does not decode is reported with its
 * reason, never thrown: the loader applies the on_bad_sample policy with the file's name.
 */
export interface DecodeBatchRequest extends ProcessOptions {
  /** The batch's files, end to end. */
  readonly bytes: Uint8Array;
  /** count + 1 offsets into `bytes`. */
  readonly offsets: Uint32Array;
}

export type DecodedMeta =
  | { readonly ok: true; readonly height: number; readonly width: number; readonly channels: 1 | 3; readonly offset: number; readonly sourceHeight: number; readonly sourceWidth: number }
  | { readonly ok: false; readonly reason: string };

export interface DecodeBatchResult {
  readonly meta: DecodedMeta[];
  /** Every decoded image's pixels end to end, at their meta's offset. */
  readonly pixels: Uint8Array;
}

export function decodeBatch(request: DecodeBatchRequest): unknown {
  const count = request.offsets.length - 1;
  const images: Array<ReturnType<typeof processImage> | string> = [];
  let total = 0;
  for (let i = 0; i < count; i++) {
    const bytes = request.bytes.subarray(request.offsets[i]!, request.offsets[i + 1]!);
    try {
      const image = processImage(bytes, request);
      images.push(image);
      total += image.pixels.length;
    } catch (err) {
      images.push((err as Error).message || String(err));
    }
  }
  const pixels = new Uint8Array(total);
  const meta: DecodedMeta[] = [];
  let offset = 0;
  for (const image of images) {
    if (typeof image === 'string') {
      meta.push({ ok: false, reason: image });
      continue;
    }
    pixels.set(image.pixels, offset);
    meta.push({ ok: true, height: image.height, width: image.width, channels: image.channels, offset, sourceHeight: image.sourceHeight, sourceWidth: image.sourceWidth });
    offset += image.pixels.length;
  }
  const result: DecodeBatchResult = { meta, pixels };
  return move({
    get [transferableSymbol]() {
      return [pixels.buffer];
    },
    get [valueSymbol]() {
      return result;
    },
  });
}
