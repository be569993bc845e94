import { DataFileError, UsageError } from '../../../../shared/errors.js';
import { listEntries } from '../archive.js';
import type { LoadOptions, SegmentationData } from '../data.js';
import { DEFAULT_HOLDOUT } from './image-folder.js';
import { loadSegmentationSource, stemOf, type MaskPair, type PairLayout } from './segmentation.js';

/**
 * A user's own image/mask pairs, from a folder or a .tar/.tar.gz of it:
 *
 *   train/images/<stem>.jpg|png + train/masks/<stem>.png, test/images/… + test/masks/…
 *   images/<stem>.jpg|png + masks/<stem>.png              (then a seeded holdout is the test split)
 *
 * optionally under one top folder. Masks are 8-bit grey or palette PNGs whose value (the palette
 * index, for palette PNGs) is the pixel's class; `ignore_index` (default 255) marks unlabelled
 * pixels; `classes` says how many there are (default: the largest mask value + 1). An image without
 * a mask, or a mask without an image, is a bad sample (on_bad_sample).
 */
export async function loadSegmentationFolder(name: string, options: LoadOptions): Promise<SegmentationData> {
  const source = options.dataDir;
  if (!source) throw new UsageError(`${name}: a segmentation-folder data set needs a folder or archive (data_dir)`);
  return loadSegmentationSource(name, source, { ...options, loader: 'segmentation-folder', read: readSegmentationFolder, defaultHoldout: DEFAULT_HOLDOUT });
}

const IMAGE = /\.(jpe?g|png)$/i;
const ACCEPTED = 'expected images/<stem>.jpg|png with masks/<stem>.png, or train/ and test/ folders each holding images/ and masks/ (optionally under one top folder)';

export async function readSegmentationFolder(source: string): Promise<PairLayout> {
  const files: Array<{ path: string; bytes: Uint8Array }> = [];
  for await (const entry of listEntries(source, { filter: (p) => IMAGE.test(p) && !p.split('/').some((s) => s.startsWith('.') || s === '__MACOSX') })) files.push(entry);
  // Each file as (prefix, split, role, stem): role is the folder it sits in, split the one above it.
  const parsed = files.map((f) => {
    const parts = f.path.split('/');
    const role = parts.at(-2);
    const split = parts.at(-3);
    const hasSplit = split === 'train' || split === 'test';
    const prefix = parts.slice(0, parts.length - (hasSplit ? 3 : 2)).join('/');
    return { ...f, role, split: hasSplit ? split : undefined, prefix, stem: stemOf(f.path) };
  });
  const relevant = parsed.filter((f) => f.role === 'images' || f.role === 'masks');
  if (relevant.length === 0) {
    throw new DataFileError(source, `no images/ or masks/ folders found (${files.length} image files, e.g. ${files.slice(0, 3).map((f) => f.path).join(', ') || 'none'}); ${ACCEPTED}`);
  }
  const prefixes = new Set(relevant.map((f) => f.prefix));
  if (prefixes.size > 1) throw new DataFileError(source, `images/ and masks/ folders at several places (${[...prefixes].map((p) => p || './').join(', ')}); ${ACCEPTED}`);
  const withSplit = relevant.filter((f) => f.split);
  if (withSplit.length && withSplit.length !== relevant.length) throw new DataFileError(source, `both train/test folders and top-level images/ masks/ found; ${ACCEPTED}`);
  const splits = withSplit.length ? (['train', 'test'] as const) : (['train'] as const);
  for (const split of splits) {
    if (withSplit.length && !relevant.some((f) => f.split === split)) throw new DataFileError(`${source}/${[...prefixes][0] ? `${[...prefixes][0]}/` : ''}${split}`, `folder missing or empty; ${ACCEPTED}`);
  }
  const pairs: MaskPair[] = [];
  for (const split of splits) {
    const inSplit = relevant.filter((f) => (f.split ?? 'train') === split);
    const images = new Map(inSplit.filter((f) => f.role === 'images').map((f) => [f.stem, f]));
    const masks = new Map(inSplit.filter((f) => f.role === 'masks').map((f) => [f.stem, f]));
    for (const stem of [...new Set([...images.keys(), ...masks.keys()])].sort()) {
      const image = images.get(stem);
      const mask = masks.get(stem);
      const missing = !mask ? `image without a mask (no masks/${stem}.png)` : !image ? `mask without an image (no images/${stem}.jpg or .png)` : undefined;
      pairs.push({
        stem,
        split,
        ...(image ? { image: { path: image.path, bytes: image.bytes } } : {}),
        ...(mask ? { mask: { path: mask.path, bytes: mask.bytes } } : {}),
        ...(missing ? { missing } : {}),
      });
    }
  }
  return { pairs };
}
