import { createHash } from 'node:crypto';
import { UsageError } from '../../../shared/errors.js';
import type { GradcamRecord } from '../../../shared/result.js';
import type { GradcamConfig } from '../../../shared/trial.js';
import type { ImageClassificationData, SegmentationData } from '../datasets/data.js';
import type { Model } from '../models/types.js';
import { ImageBatches } from '../tasks/image-batches.js';
import { gradCam } from './cam.js';
import { encodePng, overlay } from './overlay.js';

/** A file a trial produced besides its result (a Grad-CAM PNG), by the name the result lists. */
export interface TrialArtefact {
  readonly name: string;
  readonly bytes: Uint8Array;
}

/**
 * The test samples Grad-CAM explains: `n` indices spread evenly over the test split
 * (⌊i·count/n⌋), so class-sorted splits (image folders) still show several classes. They depend
 * on nothing but the split's size — not the seed, not the optimizer — so every cell of a sweep
 * shows the same images side by side (where the test split itself is fixed: a `holdout` split is
 * drawn from the trial's seed, so there the samples match across optimizers of one seed only).
 */
export function gradcamSamples(count: number, n: number): number[] {
  const k = Math.min(count, n);
  return Array.from({ length: k }, (_, i) => Math.floor((i * count) / k));
}

/** The layer to explain: the one asked for, else the model's last; a clear error when there is none. */
export function gradcamLayer(model: Model, requested?: string): string {
  const layers = model.camLayers ?? [];
  if (!layers.length || !model.splitAt) throw new UsageError(`Grad-CAM: model '${model.name}' has no layer it can explain (only convolutional image models have; simple-cnn does)`);
  if (requested === undefined) return layers.at(-1)!;
  if (!layers.includes(requested)) throw new UsageError(`Grad-CAM layer '${requested}': model '${model.name}' has no such layer; its layers: ${layers.join(', ')}`);
  return requested;
}

/** Names the PNGs: `<dataset>-<optimizer>-seed<k>-<i>.png`, i the sample's place among the explained ones. */
export interface GradcamNaming {
  readonly dataset: string;
  readonly optimizer: string;
  readonly seed: number;
}

/**
 * Grad-CAM overlays of the fixed test samples (gradcamSamples) for a trained image model: the
 * result's record of them and the PNG files themselves.
 */
export async function gradcamImages(
  model: Model,
  data: ImageClassificationData | SegmentationData,
  config: GradcamConfig,
  naming: GradcamNaming,
): Promise<{ record: GradcamRecord; artefacts: TrialArtefact[] }> {
  const layer = gradcamLayer(model, config.layer);
  const indices = gradcamSamples(data.test.count, config.samples);
  if (!indices.length) throw new UsageError(`Grad-CAM: data set '${data.name}' has no test samples to explain`);
  const [height, width, channels] = data.sample.shape;
  const batches = new ImageBatches(data.test, data.sample, indices.length);
  const inputs = batches.images(indices, 0, indices.length);
  let maps;
  try {
    maps = await gradCam(model, inputs, layer, [height, width]);
  } finally {
    inputs.dispose();
    batches.dispose();
  }
  const pixels = height * width;
  const bytes = pixels * channels;
  const artefacts: TrialArtefact[] = [];
  const images: GradcamRecord['images'] = [];
  indices.forEach((index, i) => {
    const image = data.test.pixels.subarray(index * bytes, (index + 1) * bytes);
    const png = encodePng(overlay(image, channels, maps.maps.subarray(i * pixels, (i + 1) * pixels), width, height), width, height);
    const file = `${naming.dataset}-${naming.optimizer}-seed${naming.seed}-${i}.png`;
    artefacts.push({ name: file, bytes: png });
    images.push({
      file,
      index,
      ...(data.task === 'image-classification' ? { label: data.test.labels[index]! } : {}),
      predicted: maps.predicted[i]!,
      width,
      height,
      sha256: createHash('sha256').update(png).digest('hex'),
    });
  });
  return { record: { layer, target: 'predicted', score: data.task === 'segmentation' ? 'pixel-mean logit' : 'logit', images }, artefacts };
}
