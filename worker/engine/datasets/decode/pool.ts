import { availableParallelism } from 'node:os';
import { Piscina } from 'piscina';
import type { MaskOptions } from './decode.js';
import type { DecodeBatchRequest, DecodeBatchResult, DecodedMeta } from './decode-images.task.js';
import { entryPoints } from '../../../../shared/entry-points.js';

const TASK = entryPoints.decodeImagesTask.href;

export interface DecodeInput {
  /** For the caller's messages; the format is told by the bytes. */
  readonly name: string;
  readonly bytes: Uint8Array;
}

/** One file's outcome: the task's meta with the image's own pixels in place of its offset. */
export type DecodeResult =
  | (Omit<Extract<DecodedMeta, { ok: true }>, 'offset'> & { readonly pixels: Uint8Array })
  | Extract<DecodedMeta, { ok: false }>;

export interface DecodeImagesOptions {
  readonly size?: readonly [number, number];
  readonly channels?: 1 | 3;
  /** Decode masks of class indices instead of images (decode.ts MaskOptions). */
  readonly mask?: MaskOptions;
  /** Worker threads (default: the machine's cores, at most 4). */
  readonly threads?: number;
  /** Files per task: large enough that messaging costs little, small enough to spread over threads. */
  readonly batchSize?: number;
  /** Called every `progressEvery` images and at the end with "decoded N/T images". */
  readonly onProgress?: (message: string) => void;
  readonly progressEvery?: number;
}

export function defaultDecodeThreads(): number {
  return Math.min(4, availableParallelism());
}

/**
 * Decodes files on a pool of worker threads, results in input order. Each batch's input is copied
 * once into one buffer and moved to its worker; its pixels come back as one moved buffer, and the
 * results are views into it (no per-image copy on the main thread).
 */
export async function decodeImages(files: readonly DecodeInput[], options: DecodeImagesOptions = {}): Promise<DecodeResult[]> {
  if (files.length === 0) return [];
  const threads = Math.max(1, Math.floor(options.threads ?? defaultDecodeThreads()));
  const batchSize = options.batchSize ?? 256;
  const every = options.progressEvery ?? 5000;
  const pool = new Piscina({ filename: TASK, minThreads: threads, maxThreads: threads, idleTimeout: 1000 });
  const results: DecodeResult[] = new Array(files.length);
  let done = 0;
  let reported = 0;
  try {
    const tasks: Promise<void>[] = [];
    for (let start = 0; start < files.length; start += batchSize) {
      const batch = files.slice(start, start + batchSize);
      const offsets = new Uint32Array(batch.length + 1);
      for (let i = 0; i < batch.length; i++) offsets[i + 1] = offsets[i]! + batch[i]!.bytes.length;
      const bytes = new Uint8Array(offsets[batch.length]!);
      for (let i = 0; i < batch.length; i++) bytes.set(batch[i]!.bytes, offsets[i]!);
      const request: DecodeBatchRequest = { bytes, offsets, size: options.size, channels: options.channels, mask: options.mask };
      const task = (pool.run(request, { name: 'decodeBatch', transferList: [bytes.buffer, offsets.buffer] }) as Promise<DecodeBatchResult>).then(
        (result) => {
          for (let i = 0; i < result.meta.length; i++) {
            const m = result.meta[i]!;
            results[start + i] = m.ok
              ? {
                  ok: true,
                  height: m.height,
                  width: m.width,
                  channels: m.channels,
                  pixels: result.pixels.subarray(m.offset, m.offset + m.height * m.width * m.channels),
                  sourceHeight: m.sourceHeight,
                  sourceWidth: m.sourceWidth,
                }
              : { ok: false, reason: m.reason };
          }
          done += result.meta.length;
          if (options.onProgress && (done - reported >= every || done === files.length)) {
            reported = done;
            options.onProgress(`decoded ${done}/${files.length} images`);
          }
        },
      );
      tasks.push(task);
    }
    await Promise.all(tasks);
  } finally {
    await pool.destroy();
  }
  return results;
}
