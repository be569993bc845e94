import { DataFileError } from '../../../../shared/errors.js';
import { listEntries } from '../archive.js';
import type { LoadOptions, PixelNormalization, SegmentationData } from '../data.js';
import { defaultCacheDir, fetchRawFile, type RemoteFile } from '../files.js';
import { DEFAULT_HOLDOUT } from './image-folder.js';
import { loadSegmentationSource, stemOf, type MaskPair, type PairLayout } from './segmentation.js';

/**
 * Pascal VOC 2012 segmentation in the VOCdevkit layout, from a folder or straight from
 * VOCtrainval_11-May-2012.tar (downloaded and SHA-256 checked when no folder is given):
 *
 *   [VOCdevkit/][VOC2012/]JPEGImages/<id>.jpg            (any image file with the mask's stem)
 *   [VOCdevkit/][VOC2012/]SegmentationClass/<id>.png     palette PNGs: palette index = class, 255 = ignore
 *   [VOCdevkit/][VOC2012/]ImageSets/Segmentation/train.txt, val.txt
 *
 * With both lists, train.txt is the training split and val.txt the test split (1,464 / 1,449
 * images); without them, every image that has a mask, split by `holdout` (default 0.2). Masks saved
 * as RGB instead of palette PNGs are mapped back through VOC's colour map. Images are resized to
 * `size` (default 224x224, the original's) bilinearly, masks nearest, and normalised with
 * ImageNet's mean and std as the original does.
 */
export const VOC2012_ARCHIVE: RemoteFile = {
  name: 'VOCtrainval_11-May-2012.tar',
  sha256: 'e14f763270cf193d0b5f74b169f44157a4b0c6efa708f4dd0ff78ee691763bcb',
  urls: [
    'http://host.robots.ox.ac.uk/pascal/VOC/voc2012/VOCtrainval_11-May-2012.tar',
    'https://thor.robots.ox.ac.uk/pascal/VOC/voc2012/VOCtrainval_11-May-2012.tar',
    'http://pjreddie.com/media/files/VOCtrainval_11-May-2012.tar',
  ],
};

export const VOC_CLASSES = [
  'background', 'aeroplane', 'bicycle', 'bird', 'boat', 'bottle', 'bus', 'car', 'cat', 'chair', 'cow',
  'diningtable', 'dog', 'horse', 'motorbike', 'person', 'pottedplant', 'sheep', 'sofa', 'train', 'tvmonitor',
] as const;

/** torchvision's (and the original's) ImageNet normalisation, in its float32 arithmetic. */
export const IMAGENET_NORMALIZATION: PixelNormalization = { mean: [0.485, 0.456, 0.406], std: [0.229, 0.224, 0.225], arithmetic: 'float32' };

export const VOC_DEFAULT_SIZE: readonly [number, number] = [224, 224];
export const VOC_IGNORE_INDEX = 255;

/**
 * VOC's colour map (VOCdevkit's labelcolormap.m): class i's colour spreads i's bits over the
 * three channels from the most significant bit down. Index 255 (the boundary) is (224, 224, 192).
 */
export function vocColorMap(entries = 256): Array<[number, number, number]> {
  return Array.from({ length: entries }, (_, i) => {
    let r = 0, g = 0, b = 0;
    for (let j = 0, c = i; j < 8; j++, c >>= 3) {
      r |= ((c >> 0) & 1) << (7 - j);
      g |= ((c >> 1) & 1) << (7 - j);
      b |= ((c >> 2) & 1) << (7 - j);
    }
    return [r, g, b];
  });
}

/** The colours an RGB VOC mask may hold: the 21 classes and the boundary. */
const RGB_MASK_COLORS = vocColorMap().flatMap(([r, g, b], i) => (i < VOC_CLASSES.length || i === VOC_IGNORE_INDEX ? [[r, g, b, i] as [number, number, number, number]] : []));

const MASK = /^(.*?)SegmentationClass\/([^/]+)\.png$/i;
const LIST = /^(.*?)ImageSets\/Segmentation\/([^/]+)\.txt$/i;
const IMAGE = /^(.*?)JPEGImages\/([^/]+)\.(jpe?g|png)$/i;

export async function loadVoc2012(options: LoadOptions): Promise<SegmentationData> {
  const cacheDir = options.cacheDir ?? defaultCacheDir();
  const source = options.dataDir ?? (await fetchRawFile(VOC2012_ARCHIVE, { cacheDir, onProgress: options.onProgress })).path;
  return loadSegmentationSource('voc2012', source, {
    ...options,
    size: options.size ?? VOC_DEFAULT_SIZE,
    classes: VOC_CLASSES.length,
    ignoreIndex: VOC_IGNORE_INDEX,
    channels: 3,
    loader: 'voc2012',
    read: readVocLayout,
    fixedNormalization: IMAGENET_NORMALIZATION,
    maskOptions: { colors: RGB_MASK_COLORS },
    defaultHoldout: DEFAULT_HOLDOUT,
  });
}

/**
 * Finds the VOC root (the folder holding SegmentationClass/, at any depth, so VOCdevkit/,
 * VOC2012/ or the tar all work) and reads its pairs in two passes: the masks and lists first (a
 * few MB), then only the images that have a mask, so the 17,125 JPEGs of the full tar are not held.
 */
export async function readVocLayout(source: string): Promise<PairLayout> {
  const masks = new Map<string, { path: string; bytes: Uint8Array }>();
  const lists = new Map<string, string>();
  const roots = new Set<string>();
  for await (const entry of listEntries(source, { filter: (p) => MASK.test(p) || LIST.test(p) })) {
    const mask = MASK.exec(entry.path);
    if (mask) {
      roots.add(mask[1]!);
      masks.set(`${mask[1]}\0${mask[2]}`, entry);
    } else {
      const list = LIST.exec(entry.path)!;
      lists.set(`${list[1]}\0${list[2]!.toLowerCase()}`, Buffer.from(entry.bytes).toString('utf8'));
    }
  }
  if (roots.size === 0) {
    throw new DataFileError(source, 'no VOC layout: no SegmentationClass/*.png found (expected [VOCdevkit/VOC2012/]JPEGImages/, SegmentationClass/, ImageSets/Segmentation/)');
  }
  if (roots.size > 1) throw new DataFileError(source, `several VOC folders (${[...roots].map((r) => r || './').join(', ')}): point at one of them`);
  const root = [...roots][0]!;
  const stems = new Set([...masks.keys()].filter((k) => k.startsWith(`${root}\0`)).map((k) => k.slice(root.length + 1)));
  const train = lists.get(`${root}\0train`);
  const val = lists.get(`${root}\0val`);
  const listed = train !== undefined && val !== undefined;
  const ids = (text: string) => text.split(/\r?\n/).map((l) => l.trim()).filter(Boolean);
  const wanted = new Set(listed ? [...ids(train), ...ids(val)] : stems);

  const images = new Map<string, { path: string; bytes: Uint8Array }>();
  for await (const entry of listEntries(source, {
    filter: (p) => {
      const m = IMAGE.exec(p);
      return !!m && m[1] === root && wanted.has(m[2]!);
    },
  })) {
    const stem = stemOf(entry.path);
    // A .jpg wins over another file of the same stem (VOC's own images are JPEGs).
    if (!images.has(stem) || /\.jpe?g$/i.test(entry.path)) images.set(stem, entry);
  }
  const pair = (stem: string, split: 'train' | 'test', list?: string): MaskPair => {
    const mask = masks.get(`${root}\0${stem}`);
    const image = images.get(stem);
    const where = list ? `listed in ${root}ImageSets/Segmentation/${list}, but ` : '';
    const missing = !mask ? `${where}no ${root}SegmentationClass/${stem}.png` : !image ? `${where}no ${root}JPEGImages/${stem}.jpg (or .png)` : undefined;
    return { stem, split, image, mask, ...(missing ? { missing } : {}) };
  };
  const pairs = listed
    ? [...ids(train).map((s) => pair(s, 'train', 'train.txt')), ...ids(val).map((s) => pair(s, 'test', 'val.txt'))]
    : [...stems].sort().map((s) => pair(s, 'train'));
  return { pairs, classes: VOC_CLASSES.length, classNames: VOC_CLASSES };
}
